"""Words come from the text; model tokens are mapped back onto those words."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wordlens.core.text import Word, align_tokens_to_words, split_words


def texts(words):
    return [w.text for w in words]


# --- split_words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("France is a country, it is in Europe", ["France", "is", "a", "country", ",", "it", "is", "in", "Europe"]),
        ("Hello, world!", ["Hello", ",", "world", "!"]),
        ("wait...what?!", ["wait", ".", ".", ".", "what", "?", "!"]),
        ("don't", ["do", "n't"]),  # as GloVe's (Stanford) tokenizer cut it, not as BERT's pieces don ' t
        ("  spaced\tout\nlines  ", ["spaced", "out", "lines"]),
        ("route 66 in 1926", ["route", "66", "in", "1926"]),
        ("", []),
        ("   \n\t ", []),
    ],
)
def test_split_words_gives_words_and_punctuation_separately(text, expected):
    assert texts(split_words(text)) == expected


def test_split_words_spans_point_back_into_the_text():
    text = "  Queen, woman;  dog!"
    words = split_words(text)
    assert [(w.start, w.end) for w in words] == [(2, 7), (7, 8), (9, 14), (14, 15), (17, 20), (20, 21)]
    for word in words:
        assert text[word.start : word.end] == word.text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("naïve café", ["naïve", "café"]),  # precomposed accents are letters of the word
        ("東京 is big", ["東京", "is", "big"]),
        ("Straße 🙂 ok", ["Straße", "🙂", "ok"]),  # an emoji is a single symbol word
        ("«quoted»", ["«", "quoted", "»"]),
    ],
)
def test_split_words_unicode(text, expected):
    words = split_words(text)
    assert texts(words) == expected
    for word in words:
        assert text[word.start : word.end] == word.text


@pytest.mark.parametrize(
    "text, expected",
    [
        # "café" typed with a combining accent (NFD, as macOS and some keyboards produce it):
        # the accent belongs to its letter, it is not a punctuation word of its own.
        ("cafe\u0301 au lait", ["cafe\u0301", "au", "lait"]),
        # Hindi: vowel signs and the virama are combining marks inside the word.
        ("हिन्दी भाषा", ["हिन्दी", "भाषा"]),
    ],
)
def test_split_words_keeps_combining_marks_inside_their_word(text, expected):
    assert texts(split_words(text)) == expected


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=40))
def test_split_words_covers_every_visible_character_exactly_once(text):
    words = split_words(text)
    covered = np.zeros(len(text), dtype=int)
    previous_end = 0
    for word in words:
        assert word.text and text[word.start : word.end] == word.text
        assert word.start >= previous_end  # in order, no overlap
        previous_end = word.end
        covered[word.start : word.end] += 1
    for index, char in enumerate(text):
        assert covered[index] == (0 if char.isspace() else 1), (text, index, char)


# --- align_tokens_to_words -------------------------------------------------------------------


def expected_alignment(offsets, special, words):
    """Independent rule: a token belongs to the word whose span contains its span."""
    result = []
    for (begin, end), is_special in zip(offsets, special, strict=True):
        owners = [
            i for i, w in enumerate(words) if not is_special and end > begin and w.start <= begin and end <= w.end
        ]
        result.append(owners[0] if owners else -1)
    return result


def test_subword_pieces_map_to_their_word_and_specials_to_minus_one():
    text = "Walking dogs, quickly."
    words = split_words(text)
    # [CLS] walk ##ing dog ##s , quick ##ly . [SEP]
    offsets = np.array([(0, 0), (0, 4), (4, 7), (8, 11), (11, 12), (12, 13), (14, 19), (19, 21), (21, 22), (0, 0)])
    special = np.array([True] + [False] * 8 + [True])
    token_word = align_tokens_to_words(offsets, special, words)
    assert token_word.tolist() == [-1, 0, 0, 1, 1, 2, 3, 3, 4, -1]
    assert token_word.tolist() == expected_alignment(offsets, special, words)
    assert texts(words)[2] == "," and texts(words)[4] == "."  # punctuation are words of their own


def test_special_tokens_are_minus_one_even_with_a_character_span():
    words = split_words("dog")
    offsets = np.array([(0, 3), (0, 3)])  # some tokenizers give </s> the span of the text
    special = np.array([False, True])
    assert align_tokens_to_words(offsets, special, words).tolist() == [0, -1]


def test_empty_span_tokens_and_empty_text():
    words = split_words("a dog")
    offsets = np.array([(0, 1), (2, 2), (2, 5)])  # a lone space marker has an empty span
    special = np.zeros(3, dtype=bool)
    assert align_tokens_to_words(offsets, special, words).tolist() == [0, -1, 1]
    assert align_tokens_to_words(np.array([(0, 0)]), np.array([True]), ()).tolist() == [-1]


def test_token_span_including_a_leading_space_maps_to_the_word():
    words = split_words("the dog")
    offsets = np.array([(0, 3), (3, 7)])  # byte-level BPE style " dog"
    assert align_tokens_to_words(offsets, np.zeros(2, dtype=bool), words).tolist() == [0, 1]


def test_unicode_offsets_are_characters_not_bytes():
    text = "東京 café 🙂 dogs"
    words = split_words(text)
    assert texts(words) == ["東京", "café", "🙂", "dogs"]
    # spans in characters: 東京 (0,2), café (3,7), 🙂 (8,9), dog (10,13), ##s (13,14)
    offsets = np.array([(0, 1), (1, 2), (3, 7), (8, 9), (10, 13), (13, 14)])
    token_word = align_tokens_to_words(offsets, np.zeros(len(offsets), dtype=bool), words)
    assert token_word.tolist() == [0, 0, 1, 2, 3, 3]


def test_alignment_with_the_real_tiny_tokenizer(tiny_model):
    text = "Café walks quickly, 🙂 dogs!"
    encoding = tiny_model.encode(text)
    words = split_words(text)
    assert texts(words) == ["Café", "walks", "quickly", ",", "🙂", "dogs", "!"]
    assert encoding.tokens == (
        "[CLS]", "cafe", "walk", "##s", "quick", "##ly", ",", "[UNK]", "dog", "##s", "!", "[SEP]",
    )  # fmt: skip
    token_word = align_tokens_to_words(encoding.offsets, encoding.special, words)
    assert token_word.tolist() == [-1, 0, 1, 1, 2, 2, 3, 4, 5, 5, 6, -1]
    assert token_word.tolist() == expected_alignment(encoding.offsets, encoding.special, words)
    # every word has at least one token: nothing the user typed is dropped on the attention side
    assert set(token_word[token_word >= 0].tolist()) == set(range(len(words)))


def test_word_is_a_plain_value():
    assert Word("dog", 4, 7) == Word("dog", 4, 7)
    with pytest.raises(dataclasses.FrozenInstanceError):
        Word("dog", 4, 7).text = "cat"  # frozen: analyses are shared between threads
