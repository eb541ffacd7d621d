"""The bundled GloVe 6B 50d and all-MiniLM-L6-v2, end to end: what the product promises."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wordlens.core.analysis import AnalysisSettings, strongest_heads, word_attention_from
from wordlens.core.sources import bundled_model_folder
from wordlens.core.vectors import queries
from wordlens.core.vectors.static_vectors import DEFAULT_RESTRICT_VOCAB

pytestmark = pytest.mark.real_models

SENTENCE = "France is a country, it is in Europe"


def test_glove_has_400k_words_of_dimension_50(bundled_engine, reference_glove):
    info = bundled_engine.vectors.info
    assert (info.size, info.dim) == (400_000, 50)
    assert info.name == "GloVe 6B 50d"
    assert bundled_engine.vectors.words == reference_glove.index_to_key


@pytest.mark.parametrize("words", [["breakfast", "lunch", "dinner", "car"], ["france", "germany", "paris", "italy"]])
def test_the_odd_one_out_equals_gensim_through_the_keyed_vectors_built_on_demand(
    bundled_engine, reference_glove, words
):
    vectors = bundled_engine.vectors  # loaded without gensim; gensim's queries get a KeyedVectors over its arrays
    assert queries.odd_one_out(vectors, words) == reference_glove.doesnt_match(words)
    assert vectors.keyed_vectors.vectors is vectors.matrix  # no second copy of the matrix


def test_queen_is_nearer_woman_than_dog(bundled_engine):
    vectors = bundled_engine.vectors
    assert vectors.similarity("queen", "woman") > vectors.similarity("queen", "dog")
    cosine = bundled_engine.analyze("queen woman dog").static.cosine
    assert cosine[0, 1] > cosine[0, 2]


@pytest.mark.parametrize(
    "word", ["queen", "woman", "dog", "france", "it", "bank", "river", "money", "europe", ",", "king"]
)
def test_neighbours_equal_gensim_most_similar(bundled_engine, reference_glove, word):
    [found] = bundled_engine.vectors.neighbours([word], topn=10)  # default restrict_vocab
    expected = reference_glove.most_similar(word, topn=10, restrict_vocab=DEFAULT_RESTRICT_VOCAB)
    assert [n.word for n in found.items] == [w for w, _ in expected]
    np.testing.assert_allclose([n.cosine for n in found.items], [c for _, c in expected], atol=1e-6)


def test_neighbours_of_a_rare_word_come_from_the_frequent_ones(bundled_engine, reference_glove):
    rare = reference_glove.index_to_key[250_000]
    [found] = bundled_engine.vectors.neighbours([rare], topn=10)
    expected = reference_glove.most_similar(rare, topn=10, restrict_vocab=DEFAULT_RESTRICT_VOCAB)
    assert found.in_vocab and [n.word for n in found.items] == [w for w, _ in expected]
    assert all(reference_glove.key_to_index[n.word] < DEFAULT_RESTRICT_VOCAB for n in found.items)


def test_a_capitalised_sentence_uses_the_uncased_vocabulary(bundled_engine, reference_glove):
    analysis = bundled_engine.analyze(SENTENCE)
    by_word = {n.word: n for n in analysis.static.neighbours}
    assert by_word["France"].key == "france" and by_word["Europe"].key == "europe"
    expected = reference_glove.most_similar("france", topn=10, restrict_vocab=DEFAULT_RESTRICT_VOCAB)
    assert [n.word for n in by_word["France"].items] == [w for w, _ in expected]


def test_the_model_is_6_layers_of_12_heads(bundled_engine):
    info = bundled_engine.model.info
    assert (info.layers, info.heads) == (6, 12)
    config = json.loads((bundled_model_folder() / "config.json").read_text())
    assert (config["num_hidden_layers"], config["num_attention_heads"]) == (6, 12)
    assert info.name == "all-MiniLM-L6-v2"
    attentions = bundled_engine.analyze(SENTENCE).context.attentions
    assert attentions.shape[:2] == (6, 12)


def test_it_attends_to_france_in_some_head(bundled_engine):
    context = bundled_engine.analyze(SENTENCE).context
    tokens = list(context.tokens)
    it, france = tokens.index("it"), tokens.index("france")
    weights = context.attentions[:, :, it, france]  # (layers, heads), token level
    assert weights.max() >= 0.3


def test_it_attends_to_france_at_word_level(bundled_engine):
    analysis = bundled_engine.analyze(SENTENCE)
    words = [w.text for w in analysis.words]
    it, france = words.index("it"), words.index("France")
    strongest = strongest_heads(word_attention_from(analysis.context, it, len(words)))
    assert strongest[france].weight >= 0.3


def test_analysis_attentions_equal_an_independent_transformers_run(bundled_engine):
    import torch
    import transformers

    folder = bundled_model_folder()
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    model = transformers.AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    model.to(bundled_engine.model.info.device)
    inputs = tokenizer(SENTENCE, return_tensors="pt").to(model.device)
    with torch.no_grad():
        output = model(**inputs, output_attentions=True)
    expected = np.stack([a[0].float().cpu().numpy() for a in output.attentions])

    context = bundled_engine.analyze(SENTENCE, AnalysisSettings()).context
    assert list(context.tokens) == tokenizer.convert_ids_to_tokens(inputs["input_ids"][0].tolist())
    assert np.array_equal(context.attentions, expected)


def test_a_long_text_is_cut_at_512_tokens(bundled_engine):
    text = "the river bank " * 200  # 600 words
    context = bundled_engine.analyze(text).context
    assert context.truncated is True
    assert len(context.tokens) == 512 == bundled_engine.model.info.max_tokens
    assert context.attentions.shape == (6, 12, 512, 512)
