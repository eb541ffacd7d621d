"""Static vs contextual (core/contextual.py) on the tiny BERT and hand-made vectors.

The reference figures come from an independent run: the saved tiny model loaded again with plain
transformers, its tokens found by character offsets, and every cosine, mean and correlation
written out with numpy and scipy.
"""

from __future__ import annotations

import re
from itertools import product
from pathlib import Path

import numpy as np
import pytest
import scipy.stats

from wordlens.core.errors import InputError
from wordlens.core.measures import static_vs_context as contextual
from wordlens.core.measures.static_vs_context import (
    compare,
    contextual_static_neighbours,
    drift,
    embedding_neighbours,
    find_word,
    fit_static_map,
    shared_word_attention_difference,
    static_attention_correlation,
    word_states,
)

from conftest import TINY_DIM, TINY_HEADS, TINY_LAYERS, TINY_MAX_POSITIONS, TINY_VECTORS

# Words the tiny tokenizer cuts in pieces (walk ##s, quick ##ly, dog ##s), given static vectors here
# so that compare and the correlation see multi-piece words that are in the static vocabulary.
EXTRA_WORDS = {
    "walks": [0.3, -0.5, 0.2, 0.8, -0.1, 0.4, 0.0, 0.1],
    "quickly": [-0.7, 0.2, 0.9, -0.3, 0.5, 0.1, 0.05, 0.0],
    "dogs": [0.1, -0.1, 0.0, 0.1, 1.1, 0.2, 0.0, 0.02],
}
ALL_VECTORS = {**TINY_VECTORS, **{w: np.asarray(v) for w, v in EXTRA_WORDS.items()}}


@pytest.fixture(scope="module")
def wide_vectors():
    from gensim.models import KeyedVectors

    from wordlens.core.vectors.static_vectors import StaticVectors

    words = list(ALL_VECTORS)
    kv = KeyedVectors(vector_size=TINY_DIM)
    kv.add_vectors(words, np.array([ALL_VECTORS[w] for w in words], dtype=np.float32))
    return StaticVectors.from_keyed_vectors(kv, name="tiny+pieces")


@pytest.fixture
def engine(wide_vectors, tiny_model):
    from wordlens.core.engine import Engine

    return Engine.from_loaded(wide_vectors, tiny_model)


@pytest.fixture(scope="module")
def reference(tiny_model_dir):
    """The saved tiny model and its tokenizer, loaded apart from wordlens."""
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tiny_model_dir))
    model = transformers.AutoModel.from_pretrained(str(tiny_model_dir), attn_implementation="eager").eval()
    return tokenizer, model


class Run:
    def __init__(self, reference, text: str):
        import torch

        tokenizer, model = reference
        encoded = tokenizer(text, return_offsets_mapping=True, return_tensors="pt", truncation=True,
                            max_length=TINY_MAX_POSITIONS)
        offsets = encoded.pop("offset_mapping")[0].numpy()
        with torch.no_grad():
            output = model(**encoded, output_attentions=True, output_hidden_states=True)
        self.text = text
        self.tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0].tolist())
        self.offsets = offsets
        self.special = np.array([t in ("[CLS]", "[SEP]") for t in self.tokens])
        self.hidden = torch.stack(output.hidden_states)[:, 0].double().numpy()  # (L + 1, T, H)
        self.attentions = torch.stack(output.attentions)[:, 0].double().numpy()  # (L, H, T, T)
        self.words = [(m.group(), m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)]

    def pieces(self, word_index: int) -> list[int]:
        _, start, end = self.words[word_index]
        return [t for t, (a, b) in enumerate(self.offsets) if not self.special[t] and a < end and b > start]

    def first(self, word: str) -> int:
        return next(i for i, (w, _, _) in enumerate(self.words) if w.lower() == word.lower())

    def word_attention(self, layer: int, head: int) -> np.ndarray:
        """(W + 1, W + 1): from a word = mean of its pieces' rows, to a word = sum of its pieces'
        columns; the last unit gathers the special tokens."""
        matrix = self.attentions[layer, head]
        units = [self.pieces(i) for i in range(len(self.words))] + [list(np.flatnonzero(self.special))]
        return np.array([[matrix[np.ix_(rows, cols)].sum(axis=1).mean() for cols in units] for rows in units])


def numpy_cosine(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


SENTENCES = [
    "the queen walks quickly by the river bank",
    "France is a country, it is in Europe",
    "dogs walk in paris !",
    "money",
]

# ---------------------------------------------------------------------------------------------
# drift
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", SENTENCES)
def test_drift_is_one_at_layer_0_and_a_plain_cosine_after(engine, reference, text):
    context = engine.analyze(text).context
    run = Run(reference, text)
    assert list(context.tokens) == run.tokens
    for token in range(len(run.tokens)):
        found = drift(context, token)
        assert found.shape == (TINY_LAYERS + 1,)
        assert found[0] == pytest.approx(1.0, abs=1e-6)
        expected = [numpy_cosine(run.hidden[layer, token], run.hidden[0, token]) for layer in range(TINY_LAYERS + 1)]
        np.testing.assert_allclose(found, expected, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------------------------

COMPARISONS = [
    ("the queen walks by the river", "walks the dog quickly", "walks"),  # walk ##s in both
    ("the queen walks quickly", "quickly , the money bank", "quickly"),
    ("I sat by the river bank", "the money is in the bank", "bank"),
    ("The Queen is in Paris", "paris is a queen", "queen"),  # case differs: one vector (lowercase)
    ("dogs walk in Europe", "the dogs !", "DOGS"),
]


@pytest.mark.parametrize("first, second, word", COMPARISONS)
def test_compare_static_is_exactly_one_and_layers_are_plain_cosines(
    engine, wide_vectors, reference, first, second, word
):
    result = compare(engine.analyze(first), engine.analyze(second), word, wide_vectors)
    assert result.word == word
    assert result.static_cosine == 1.0 and type(result.static_cosine) is float
    run_a, run_b = Run(reference, first), Run(reference, second)
    pieces_a, pieces_b = run_a.pieces(run_a.first(word)), run_b.pieces(run_b.first(word))
    assert pieces_a and pieces_b
    expected = [
        numpy_cosine(run_a.hidden[layer, pieces_a].mean(axis=0), run_b.hidden[layer, pieces_b].mean(axis=0))
        for layer in range(TINY_LAYERS + 1)
    ]
    assert result.layers.shape == (TINY_LAYERS + 1,)
    np.testing.assert_allclose(result.layers, expected, atol=1e-5)


def test_compare_of_a_multi_piece_word_uses_the_mean_of_its_pieces(engine, reference):
    analysis = engine.analyze("the queen walks quickly")
    run = Run(reference, analysis.text)
    walks = find_word(analysis, "walks")
    assert [analysis.context.tokens[t] for t in analysis.context.tokens_of(walks)] == ["walk", "##s"]
    np.testing.assert_allclose(word_states(analysis.context, walks), run.hidden[:, [3, 4]].mean(axis=1), atol=1e-5)


def test_compare_of_the_same_sentence_is_one_everywhere(engine, wide_vectors):
    text = "the queen walks by the river"
    result = compare(engine.analyze(text), engine.analyze(text), "river", wide_vectors)
    assert result.static_cosine == 1.0
    np.testing.assert_allclose(result.layers, 1.0, atol=1e-6)
    np.testing.assert_array_equal(result.attention_difference, 0.0)


def test_compare_of_two_case_variants_with_two_vectors(engine, wide_vectors):
    """'Apple' and 'apple' are two entries of a cased vocabulary: their own static cosine."""
    result = compare(engine.analyze("Apple is in Paris"), engine.analyze("the apple !"), "apple", wide_vectors)
    assert result.static_cosine == pytest.approx(numpy_cosine(TINY_VECTORS["Apple"], TINY_VECTORS["apple"]), abs=1e-6)


@pytest.mark.parametrize(
    "first, second, word",
    [
        ("the queen walks", "the river bank", "queen"),  # missing from the second
        ("the river bank", "the queen walks", "queen"),  # missing from the first
        ("the river banks", "the money bank", "bank"),  # 'banks' is not 'bank'
        ("the queen", "the dog", "xyzzy"),
    ],
)
def test_compare_of_a_word_missing_from_a_sentence_is_an_input_error(engine, wide_vectors, first, second, word):
    with pytest.raises(InputError, match=word):
        compare(engine.analyze(first), engine.analyze(second), word, wide_vectors)


def test_compare_of_a_word_outside_the_static_vocabulary_is_an_input_error(engine, wide_vectors):
    with pytest.raises(InputError, match="walking"):
        compare(engine.analyze("walking the dog"), engine.analyze("the dog walking"), "walking", wide_vectors)


def test_compare_without_the_transformer_is_an_input_error(wide_vectors):
    from wordlens.core.engine import Engine

    static_only = Engine.from_loaded(wide_vectors, None)
    with pytest.raises(InputError, match="transformer"):
        compare(static_only.analyze("the queen"), static_only.analyze("a queen"), "queen", wide_vectors)


# ---------------------------------------------------------------------------------------------
# shared_word_attention_difference
# ---------------------------------------------------------------------------------------------


def two_engines(vectors, model):
    from wordlens.core.engine import Engine

    return Engine.from_loaded(vectors, model), Engine.from_loaded(vectors, model)  # no shared cache


@pytest.mark.parametrize("text", ["the queen walks by the river", "France is a country, it is in Europe"])
def test_attention_difference_of_identical_sentences_is_zero(wide_vectors, tiny_model, text):
    one, other = two_engines(wide_vectors, tiny_model)
    first, second = one.analyze(text), other.analyze(text)
    assert first is not second
    difference = shared_word_attention_difference(first, second)
    assert difference.shape == (TINY_LAYERS, TINY_HEADS)
    np.testing.assert_array_equal(difference, 0.0)


def test_attention_difference_ignores_case(wide_vectors, tiny_model):
    one, other = two_engines(wide_vectors, tiny_model)
    difference = shared_word_attention_difference(one.analyze("The Queen walks"), other.analyze("the queen WALKS"))
    np.testing.assert_allclose(difference, 0.0, atol=1e-7)


@pytest.mark.parametrize(
    "first, second",
    [
        ("the queen", "the dog"),  # one shared word
        ("the queen", "a dog"),  # none
        ("the the the", "the money"),  # one word type, repeated
        ("queen", "queen"),
    ],
)
def test_attention_difference_needs_two_shared_words(engine, first, second):
    assert shared_word_attention_difference(engine.analyze(first), engine.analyze(second)) is None


def test_attention_difference_equals_an_independent_computation(engine, reference):
    first, second = "the queen walks by the river", "a river , the queen and a dog"
    result = shared_word_attention_difference(engine.analyze(first), engine.analyze(second))
    run_a, run_b = Run(reference, first), Run(reference, second)
    shared = ["the", "queen", "river"]  # in the first sentence's order
    expected = np.zeros((TINY_LAYERS, TINY_HEADS))
    for layer in range(TINY_LAYERS):
        for head in range(TINY_HEADS):
            maps = []
            for run in (run_a, run_b):
                picks = [run.first(word) for word in shared]
                sub = run.word_attention(layer, head)[np.ix_(picks, picks)]
                maps.append(sub / sub.sum(axis=1, keepdims=True))
            expected[layer, head] = np.abs(maps[0] - maps[1]).mean()
    np.testing.assert_allclose(result, expected, atol=1e-6)
    assert (result > 0).all()


def test_attention_difference_leaves_out_words_cut_from_the_input(engine, reference):
    """BUG: a shared word cut from one input (past the maximum length) has no tokens there; it is
    still counted as shared, its attention row and column taken as zeros, so the difference
    measures the truncation, not the context. Expected: the words both inputs actually hold."""
    long_text = "queen dog " * 40 + "river bank"  # river and bank fall past 64 tokens
    short_text = "river bank queen dog"
    long_analysis, short_analysis = engine.analyze(long_text), engine.analyze(short_text)
    assert long_analysis.context.truncated
    run_long, run_short = Run(reference, long_text), Run(reference, short_text)
    assert not run_long.pieces(run_long.first("river"))
    result = shared_word_attention_difference(short_analysis, long_analysis)
    shared = ["queen", "dog"]  # river and bank never reached the model in the long input
    expected = np.zeros((TINY_LAYERS, TINY_HEADS))
    for layer in range(TINY_LAYERS):
        for head in range(TINY_HEADS):
            maps = []
            for run in (run_short, run_long):
                picks = [run.first(word) for word in shared]
                sub = run.word_attention(layer, head)[np.ix_(picks, picks)]
                maps.append(sub / sub.sum(axis=1, keepdims=True))
            expected[layer, head] = np.abs(maps[0] - maps[1]).mean()
    np.testing.assert_allclose(result, expected, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# static_attention_correlation
# ---------------------------------------------------------------------------------------------

CORRELATION_SENTENCES = [
    # 'by' and 'to' are unknown to the static vectors, walks and quickly are two pieces each
    "the queen walks quickly by a river bank to paris",
    "France is a country , it in Europe with money",
    "dogs walk in paris",
]


@pytest.mark.parametrize("text", CORRELATION_SENTENCES)
def test_static_attention_correlation_equals_scipy_spearman(engine, reference, text):
    analysis = engine.analyze(text)
    result = static_attention_correlation(analysis)
    assert result.shape == (TINY_LAYERS, TINY_HEADS)
    run = Run(reference, text)
    keys = [w if w in ALL_VECTORS else w.lower() if w.lower() in ALL_VECTORS else None for w, _, _ in run.words]
    known = [i for i, key in enumerate(keys) if key is not None]
    assert len(known) < len(run.words) or "by" not in text  # some words are outside the vocabulary
    pairs = [(i, j) for a, i in enumerate(known) for j in known[a + 1 :]]
    static = [numpy_cosine(ALL_VECTORS[keys[i]], ALL_VECTORS[keys[j]]) for i, j in pairs]
    for layer, head in [(0, 0), (0, 3), (1, 1), (TINY_LAYERS - 1, TINY_HEADS - 1)]:
        words = run.word_attention(layer, head)
        attention = [words[i, j] + words[j, i] for i, j in pairs]
        expected = scipy.stats.spearmanr(static, attention).statistic
        assert result[layer, head] == pytest.approx(expected, abs=1e-6), (layer, head)


def test_static_attention_correlation_counts_only_words_that_reached_the_model(engine, reference):
    """BUG: past the model's maximum length, words cut from the input are still "known" (they have
    static vectors) but have no tokens: merge_to_units divides 0 by 0 for them (a RuntimeWarning),
    their attention is NaN, and _ranks gives each NaN its own top rank, so the correlation is
    skewed by the words the model never saw. Expected: pairs of words that have tokens only."""
    import warnings

    text = " ".join(["the queen is in paris , money bank river dog"] * 8)  # 80 words, 62 fit in 64 tokens
    analysis = engine.analyze(text)
    assert analysis.context.truncated
    run = Run(reference, text)
    assert run.tokens == list(analysis.context.tokens)
    kept = [i for i in range(len(run.words)) if run.pieces(i)]
    assert 0 < len(kept) < len(run.words)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = static_attention_correlation(analysis)
    pairs = [(i, j) for a, i in enumerate(kept) for j in kept[a + 1 :]]
    stored = {word: np.asarray(vector, dtype=np.float32) for word, vector in ALL_VECTORS.items()}  # as kv holds them
    static = [numpy_cosine(stored[run.words[i][0]], stored[run.words[j][0]]) for i, j in pairs]
    for layer, head in [(0, 0), (1, 2)]:
        words = run.word_attention(layer, head)
        expected = scipy.stats.spearmanr(static, [words[i, j] + words[j, i] for i, j in pairs]).statistic
        # The repeated sentence makes hundreds of near-ties that float32 vs float64 sums order
        # differently, moving rho in the 3rd decimal; counting the cut words moved it by 0.05.
        assert result[layer, head] == pytest.approx(expected, abs=2e-3), (layer, head)
    assert not [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def test_static_attention_correlation_is_nan_below_three_pairs(engine):
    # two known words: one pair
    result = static_attention_correlation(engine.analyze("the xyzzy queen plugh"))
    assert result.shape == (TINY_LAYERS, TINY_HEADS) and np.isnan(result).all()
    # three known words: three pairs, a figure
    assert not np.isnan(static_attention_correlation(engine.analyze("the queen river"))).any()


# ---------------------------------------------------------------------------------------------
# embedding_neighbours
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["queen", "bank", "##s", "[CLS]", ","])
@pytest.mark.parametrize("topn", [1, 5, 10])
def test_embedding_neighbours_equal_a_numpy_cosine_ranking(tiny_model, reference, token, topn):
    tokenizer, model = reference
    table = model.get_input_embeddings().weight.detach().double().numpy()
    vocab = tokenizer.get_vocab()
    index = vocab[token]
    norms = np.linalg.norm(table, axis=1) * np.linalg.norm(table[index])
    cosines = np.divide(table @ table[index], norms, out=np.zeros(len(table)), where=norms > 0)  # [PAD] is all zeros
    order = [i for i in np.argsort(-cosines, kind="stable") if i != index][:topn]
    expected = tokenizer.convert_ids_to_tokens(order)
    found = embedding_neighbours(tiny_model, token, topn=topn)
    assert [t for t, _ in found] == expected
    np.testing.assert_allclose([s for _, s in found], cosines[order], atol=1e-5)
    assert token not in [t for t, _ in found]


def test_embedding_neighbours_of_an_unknown_token_is_an_input_error(tiny_model):
    with pytest.raises(InputError, match="xyzzy"):
        embedding_neighbours(tiny_model, "xyzzy")


def test_embedding_neighbours_can_list_the_whole_vocabulary(tiny_model):
    """Every other token, when topn reaches the size of the vocabulary (before e5a23c1, topn >=
    the vocabulary size raised numpy's "kth out of bounds" ValueError)."""
    size = len(tiny_model.vocabulary())
    assert len(embedding_neighbours(tiny_model, "queen", topn=size - 1)) == size - 1
    found = embedding_neighbours(tiny_model, "queen", topn=size)
    assert len(found) == size - 1 and "queen" not in [t for t, _ in found]


# ---------------------------------------------------------------------------------------------
# fit_static_map and its disk cache
# ---------------------------------------------------------------------------------------------

# 160 alphabetic three-letter words, single tokens of a dedicated tiny BERT and in its static vectors
SHARED = ["".join(letters) for letters in product("bdgkmpst", "aeiou", "lnrx")][:160]
MAP_DIM = 6


@pytest.fixture(scope="module")
def map_model(tmp_path_factory):
    import torch
    import transformers

    from wordlens.core.transformer.context_model import load_context_model

    from conftest import tiny_bert_config

    folder = tmp_path_factory.mktemp("map-bert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ","] + SHARED + ["only", "here", "##s"]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    transformers.BertTokenizerFast.from_pretrained(str(folder)).save_pretrained(str(folder))
    config = tiny_bert_config()
    config.vocab_size = len(vocab)
    torch.manual_seed(99)
    transformers.BertModel(config).eval().save_pretrained(str(folder))
    return load_context_model(folder, device="cpu")


@pytest.fixture(scope="module")
def map_vectors():
    from gensim.models import KeyedVectors

    from wordlens.core.vectors.static_vectors import StaticVectors

    rng = np.random.default_rng(11)
    # frequency order: some words the tokenizer does not have, and non-alphabetic ones, come first
    words = ["zzyzx", "東京", "x1", ","] + SHARED + ["Bal", "elsewhere"]
    kv = KeyedVectors(vector_size=MAP_DIM)
    kv.add_vectors(words, rng.standard_normal((len(words), MAP_DIM)).astype(np.float32))
    return StaticVectors.from_keyed_vectors(kv, name="map-vectors")


def test_the_map_vocabularies_share_160_words(map_model, map_vectors):
    assert contextual.shared_single_token_words(map_model, map_vectors, 4000) == SHARED
    assert contextual.shared_single_token_words(map_model, map_vectors, 120) == SHARED[:120]


def test_fit_static_map_is_cached_on_disk_and_reloaded(map_model, map_vectors, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert not (tmp_path / "wordlens").exists()
    fitted = fit_static_map(map_model, map_vectors)
    cached = list((tmp_path / "wordlens").glob("static-map-*.npz"))
    assert len(cached) == 1 and cached[0].stat().st_size > 0
    assert fitted.weights.shape == (TINY_LAYERS + 1, map_model.info.hidden_size + 1, MAP_DIM)
    assert fitted.train_words == len(SHARED) - len(SHARED) // 10
    assert fitted.heldout_top10.shape == (TINY_LAYERS + 1,)
    assert ((fitted.heldout_top10 >= 0) & (fitted.heldout_top10 <= 1)).all()

    def no_refit(*args, **kwargs):
        raise AssertionError("the map was fitted again instead of read from the cache")

    monkeypatch.setattr(contextual, "_isolated_word_states", no_refit)
    loaded = fit_static_map(map_model, map_vectors)
    np.testing.assert_array_equal(loaded.weights, fitted.weights)
    assert loaded.weights.dtype == fitted.weights.dtype
    assert loaded.train_words == fitted.train_words
    np.testing.assert_array_equal(loaded.heldout_top10, fitted.heldout_top10)
    assert list((tmp_path / "wordlens").glob("static-map-*.npz")) == cached


def test_static_map_project_shapes(map_model, map_vectors, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    static_map = fit_static_map(map_model, map_vectors)
    hidden = map_model.info.hidden_size
    state = np.random.default_rng(0).standard_normal(hidden)
    for layer in range(TINY_LAYERS + 1):
        projected = static_map.project(state, layer)
        assert projected.shape == (MAP_DIM,)
        np.testing.assert_allclose(projected, np.append(state, 1.0) @ static_map.weights[layer], rtol=1e-6)
    assert static_map.project(np.zeros((5, hidden)), 1).shape == (5, MAP_DIM)


def test_fit_static_map_without_the_cache_writes_nothing(map_model, map_vectors, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fitted = fit_static_map(map_model, map_vectors, use_cache=False)
    assert not (tmp_path / "wordlens").exists()
    again = fit_static_map(map_model, map_vectors, use_cache=False)
    np.testing.assert_array_equal(fitted.weights, again.weights)  # the fit itself is deterministic


def test_a_different_word_count_is_a_different_cache_entry(map_model, map_vectors, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    full = fit_static_map(map_model, map_vectors)
    fewer = fit_static_map(map_model, map_vectors, words=120)
    assert len(list((tmp_path / "wordlens").glob("static-map-*.npz"))) == 2
    assert fewer.train_words == 120 - 12 and full.train_words == 144


def test_the_cache_defaults_to_dot_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert contextual.cache_folder() == Path(tmp_path) / ".cache" / "wordlens"


def test_too_few_shared_words_is_an_input_error(tiny_model, tiny_vectors, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(InputError, match="too few"):
        fit_static_map(tiny_model, tiny_vectors)
    assert not (tmp_path / "wordlens").exists()


def test_contextual_static_neighbours_rank_the_projected_state(map_model, map_vectors, tmp_path, monkeypatch):
    from wordlens.core.engine import Engine

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    static_map = fit_static_map(map_model, map_vectors)
    context = Engine.from_loaded(map_vectors, map_model).analyze("bal den gor").context
    table = np.asarray(map_vectors.matrix, np.float64)
    for layer in range(TINY_LAYERS + 1):
        found = contextual_static_neighbours(static_map, map_vectors, context, token=2, layer=layer, topn=5)
        mapped = np.append(context.hidden_states[layer, 2].astype(np.float64), 1.0) @ static_map.weights[layer]
        cosines = table @ mapped / (np.linalg.norm(table, axis=1) * np.linalg.norm(mapped))
        order = np.argsort(-cosines)[:5]
        assert [w for w, _ in found] == [map_vectors.words[i] for i in order]
        np.testing.assert_allclose([s for _, s in found], cosines[order], atol=1e-5)
