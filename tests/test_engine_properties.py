"""Property-based tests: the engine on arbitrary unicode text of any size, on the tiny models.

Whatever the text (controls, surrogates, combining marks, emoji, scripts the tiny vocabulary
does not know, thousands of words), the analysis is consistent: words point back into the text,
the static and contextual parts have matching shapes, attention rows are distributions.
A few hundred examples in all, so the suite stays quick on CI (WORDLENS_PROPERTY_EXAMPLES sets more).
"""

from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wordlens.core.engine import Engine
from wordlens.core.text import MAX_WORDS, clean_text, split_words, split_words_upto

from conftest import TINY_MAX_POSITIONS

# WORDLENS_PROPERTY_EXAMPLES=5000 for a longer hunt than CI's
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("WORDLENS_PROPERTY_EXAMPLES", 120)), deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Every code point, unpaired surrogates included (they come from command-line bytes that are not UTF-8).
any_character = st.characters(exclude_categories=())
words_like = st.sampled_from(
    ["the", "dog", "walks", "queen", ",", ".", "café", "e\u0301", "東京", "🐶", "\t", "\x1b[2J"]
)
texts = st.one_of(
    st.text(any_character, max_size=200),
    # long texts: past the model's maximum tokens and past the word limit
    st.builds(lambda piece, count: piece * count, st.text(any_character, min_size=1, max_size=12),
              st.integers(min_value=1, max_value=400)),
    st.lists(words_like, max_size=700).map(" ".join),
)


@PROPERTY_SETTINGS
@given(text=texts)
def test_any_text_gives_a_consistent_analysis(tiny_vectors, tiny_model, text):
    analysis = Engine.from_loaded(tiny_vectors, tiny_model).analyze(text)
    assert analysis.text == text

    words = analysis.words
    assert len(words) <= MAX_WORDS
    assert analysis.words_cut == (len(split_words(text, known=tiny_vectors.knows)) > MAX_WORDS)
    for word in words:
        assert 0 <= word.start < word.end <= len(text) and text[word.start:word.end] == word.text

    static = analysis.static
    assert len(static.neighbours) == len(words)
    assert static.cosine.shape == (len(words), len(words))
    finite = np.isfinite(static.cosine)
    assert np.allclose(static.cosine[finite], static.cosine.T[finite])
    assert np.all(np.abs(static.cosine[finite]) <= 1 + 1e-9)

    context = analysis.context
    count = len(context.tokens)
    assert 2 <= count <= TINY_MAX_POSITIONS
    assert context.attentions.shape[2:] == (count, count)
    assert np.allclose(context.attentions.sum(axis=-1), 1.0, atol=1e-4)
    assert context.offsets.shape == (count, 2)
    assert np.all((context.offsets >= 0) & (context.offsets <= len(text)))
    assert np.all((context.token_word >= -1) & (context.token_word < len(words)))
    assert not np.any(context.token_word[context.special] >= 0)
    if context.truncated:
        assert count == TINY_MAX_POSITIONS


@PROPERTY_SETTINGS
@given(text=st.text(any_character, max_size=300), limit=st.integers(min_value=0, max_value=60))
def test_split_words_upto_is_the_start_of_split_words(text, limit):
    words, cut = split_words_upto(text, limit)
    every = split_words(text)
    assert words == every[:limit]
    assert cut == (len(every) > limit)


@PROPERTY_SETTINGS
@given(text=st.text(any_character, max_size=300))
def test_clean_text_is_printable_utf8_of_the_same_length(text):
    cleaned = clean_text(text)
    assert len(cleaned) == len(text)
    cleaned.encode("utf-8")  # no unpaired surrogate left
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in cleaned)
    assert clean_text(cleaned) == cleaned
