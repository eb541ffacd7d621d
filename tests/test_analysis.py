"""Word-level views of token attention, checked against plain loops on a hand-made ContextPart."""

from __future__ import annotations

import numpy as np
import pytest

from wordlens.core.analysis import ContextPart, special_mass_from, strongest_heads, word_attention_from
from wordlens.core.transformer.context_model import ModelInfo

LAYERS, HEADS = 2, 3
# "the walking dogs ." as [CLS] the walk ##ing dog ##s . [SEP]: words 1 and 2 have two pieces each.
TOKENS = ("[CLS]", "the", "walk", "##ing", "dog", "##s", ".", "[SEP]")
TOKEN_WORD = [-1, 0, 1, 1, 2, 2, 3, -1]
N_WORDS = 4


def make_context(seed: int = 0) -> ContextPart:
    rng = np.random.default_rng(seed)
    tokens = len(TOKENS)
    attentions = rng.dirichlet(np.ones(tokens), size=(LAYERS, HEADS, tokens)).astype(np.float32)
    info = ModelInfo(
        name="hand-made", layers=LAYERS, heads=HEADS, hidden_size=4, max_tokens=16, source="", device="cpu"
    )
    return ContextPart(
        model=info,
        tokens=TOKENS,
        offsets=np.zeros((tokens, 2), dtype=np.int64),
        special=np.array([t in ("[CLS]", "[SEP]") for t in TOKENS]),
        token_word=np.array(TOKEN_WORD, dtype=np.int64),
        attentions=attentions,
        hidden_states=np.zeros((LAYERS + 1, tokens, 4), dtype=np.float32),
        truncated=False,
    )


def loop_word_attention(context: ContextPart, word: int, n_words: int) -> np.ndarray:
    """From a word: mean over its pieces' rows. To a word: sum over the target's pieces' columns."""
    a = context.attentions.astype(np.float64)
    rows = [t for t, w in enumerate(TOKEN_WORD) if w == word]
    result = np.zeros((LAYERS, HEADS, n_words))
    for layer in range(LAYERS):
        for head in range(HEADS):
            for target in range(n_words):
                columns = [t for t, w in enumerate(TOKEN_WORD) if w == target]
                total = 0.0
                for row in rows:
                    total += sum(a[layer, head, row, column] for column in columns)
                result[layer, head, target] = total / len(rows) if rows else 0.0
    return result


def loop_special_mass(context: ContextPart, word: int) -> np.ndarray:
    a = context.attentions.astype(np.float64)
    rows = [t for t, w in enumerate(TOKEN_WORD) if w == word]
    specials = [t for t, token in enumerate(TOKENS) if token in ("[CLS]", "[SEP]")]
    result = np.zeros((LAYERS, HEADS))
    for layer in range(LAYERS):
        for head in range(HEADS):
            if rows:
                result[layer, head] = np.mean([sum(a[layer, head, r, s] for s in specials) for r in rows])
    return result


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("word", range(N_WORDS))
def test_word_attention_from_matches_a_loop(seed, word):
    context = make_context(seed)
    ours = word_attention_from(context, word, N_WORDS)
    assert ours.shape == (LAYERS, HEADS, N_WORDS)
    np.testing.assert_allclose(ours, loop_word_attention(context, word, N_WORDS), atol=1e-6)


def test_two_piece_word_is_the_mean_of_its_rows_summed_over_columns():
    context = make_context(5)
    a = context.attentions
    # walking (tokens 2, 3) -> dogs (tokens 4, 5), layer 1 head 2, written out by hand
    expected = ((a[1, 2, 2, 4] + a[1, 2, 2, 5]) + (a[1, 2, 3, 4] + a[1, 2, 3, 5])) / 2
    assert word_attention_from(context, 1, N_WORDS)[1, 2, 2] == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("word", range(N_WORDS))
def test_special_mass_matches_a_loop(word):
    context = make_context(3)
    ours = special_mass_from(context, word)
    assert ours.shape == (LAYERS, HEADS)
    np.testing.assert_allclose(ours, loop_special_mass(context, word), atol=1e-6)


@pytest.mark.parametrize("word", range(N_WORDS))
def test_word_attention_and_special_mass_add_up_to_one(word):
    context = make_context(4)
    total = word_attention_from(context, word, N_WORDS).sum(axis=-1) + special_mass_from(context, word)
    np.testing.assert_allclose(total, 1.0, atol=1e-5)


def test_word_without_tokens_pays_no_attention():
    """A word cut off by truncation has no tokens: zeros, not an error."""
    context = make_context()
    n_words = N_WORDS + 2  # two words past the model's limit
    ours = word_attention_from(context, N_WORDS + 1, n_words)
    assert ours.shape == (LAYERS, HEADS, n_words) and not ours.any()
    assert not special_mass_from(context, N_WORDS + 1).any()
    # and the words after the cut receive nothing
    assert not word_attention_from(context, 0, n_words)[:, :, N_WORDS:].any()


def loop_strongest(attention_to_words: np.ndarray):
    layers, heads, n_words = attention_to_words.shape
    result = []
    for target in range(n_words):
        best = (0, 0)
        for layer in range(layers):
            for head in range(heads):
                if attention_to_words[layer, head, target] > attention_to_words[best + (target,)]:
                    best = (layer, head)
        result.append((best[0], best[1], float(attention_to_words[best + (target,)])))
    return result


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_strongest_heads_matches_a_loop(seed):
    context = make_context(seed)
    to_words = word_attention_from(context, 1, N_WORDS)
    heads = strongest_heads(to_words)
    assert [(h.layer, h.head, h.weight) for h in heads] == [
        (layer, head, pytest.approx(weight)) for layer, head, weight in loop_strongest(to_words)
    ]


def test_strongest_heads_on_a_planted_maximum():
    to_words = np.full((3, 4, 2), 0.1, dtype=np.float32)
    to_words[2, 1, 0] = 0.9  # last layer, head 1 -> word 0
    to_words[0, 3, 1] = 0.7  # first layer, last head -> word 1
    heads = strongest_heads(to_words)
    assert [(h.layer, h.head) for h in heads] == [(2, 1), (0, 3)]
    assert [h.weight for h in heads] == pytest.approx([0.9, 0.7])


def test_context_part_word_lookups():
    context = make_context()
    assert context.word_of(0) == -1 and context.word_of(3) == 1
    assert context.tokens_of(1).tolist() == [2, 3]
    assert context.tokens_of(7).tolist() == []


def test_on_a_real_tiny_analysis_rows_add_up_to_one(tiny_engine):
    analysis = tiny_engine.analyze("Walking dogs, quickly, in Europe!")
    context = analysis.context
    n_words = len(analysis.words)
    for word in range(n_words):
        total = word_attention_from(context, word, n_words).sum(axis=-1) + special_mass_from(context, word)
        np.testing.assert_allclose(total, 1.0, atol=1e-5)


def test_attention_from_word_sums_every_piece_of_each_word_even_when_they_are_not_adjacent():
    from wordlens.core.analysis import attention_from_word

    rng = np.random.default_rng(3)
    token_word = np.array([-1, 0, 1, 1, 2, 1, 3, -1])  # word 1's pieces are split by word 2
    matrices = rng.random((2, 3, 8, 8)).astype(np.float32)
    result = attention_from_word(matrices, token_word, word=1, n_words=5)
    rows = [2, 3, 5]
    for layer in range(2):
        for head in range(3):
            expected = np.zeros(5)
            for column, word in enumerate(token_word):
                if word >= 0:
                    expected[word] += np.mean([matrices[layer, head, row, column] for row in rows])
            np.testing.assert_allclose(result[layer, head], expected, rtol=1e-5)
    assert result[..., 4].max() == 0  # a word with no tokens gets nothing
