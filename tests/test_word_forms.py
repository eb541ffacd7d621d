"""Words cut as GloVe 6B's tokenizer cut its text (core/word_forms.py), on a tiny vocabulary built here:
clitics off (didn't -> did + n't), forms the vocabulary has kept whole (U.S., well-known, 3.5), and the
written word each split came from, on screen and in JSON."""

from __future__ import annotations

import numpy as np
import pytest

from wordlens.core.engine import Engine
from wordlens.core.text import parts_of, split_words
from wordlens.core.vectors.static_vectors import StaticVectors

# the forms GloVe 6B 50d has (checked in its vocabulary: n't 's ca wo u.s. mr. w. well-known 3.5 1,000
# o'clock 'n' at&t e.g.; not didn't, can't, it's, self-attention)
VOCABULARY = ["the", "i", "did", "n't", "'s", "ca", "wo", "go", "you", "see", "u.s.", "is", "big", ".", ",",
              "mr.", "smith", "said", "no", "w.", "bush", "well-known", "self", "-", "attention", "3.5", "1,000",
              "o'clock", "rock", "'n'", "roll", "at&t", "e.g.", "it", "john", "bank", "river", "on", "sat"]


@pytest.fixture(scope="module")
def vocabulary() -> StaticVectors:
    matrix = np.random.default_rng(3).normal(size=(len(VOCABULARY), 8)).astype(np.float32)
    return StaticVectors(VOCABULARY, matrix, name="tiny GloVe")


def cut(text: str, vectors: StaticVectors | None) -> list[str]:
    return [word.text for word in split_words(text, known=vectors.knows if vectors else None)]


@pytest.mark.parametrize("text, expected", [
    ("I didn't go", ["I", "did", "n't", "go"]),
    ("can't you see?", ["ca", "n't", "you", "see", "?"]),
    ("won't", ["wo", "n't"]),
    ("John's bank", ["John", "'s", "bank"]),
    ("it's big", ["it", "'s", "big"]),
    ("The U.S. is big.", ["The", "U.S.", "is", "big", "."]),
    ("in the U.S.", ["in", "the", "U.S."]),  # the abbreviation keeps its period at the end too
    ("Mr. Smith said no.", ["Mr.", "Smith", "said", "no", "."]),  # "no." is no abbreviation here
    ("George W. Bush", ["George", "W.", "Bush"]),
    ("a well-known self-attention", ["a", "well-known", "self", "-", "attention"]),
    ("3.5 and 1,000 o'clock", ["3.5", "and", "1,000", "o'clock"]),
    ("rock'n'roll", ["rock", "'n'", "roll"]),
    ("AT&T, e.g. it", ["AT&T", ",", "e.g.", "it"]),
    ("wait...what?!", ["wait", ".", ".", ".", "what", "?", "!"]),
])
def test_words_are_cut_as_the_vocabulary_was(vocabulary, text, expected):
    assert cut(text, vocabulary) == expected


def test_without_a_vocabulary_clitics_are_cut_and_nothing_is_joined():
    assert cut("I didn't see the U.S.", None) == ["I", "did", "n't", "see", "the", "U", ".", "S", "."]


def test_a_vocabulary_without_the_clitic_keeps_the_pieces():
    bert_like = StaticVectors(["didn", "'", "t"], np.eye(3, dtype=np.float32), name="pieces")
    assert cut("didn't", bert_like) == ["didn", "'", "t"]


def test_each_split_says_the_written_word_it_came_from(vocabulary):
    words = split_words("I didn't see self-attention at 3.5", known=vocabulary.knows)
    by_text = {word.text: word for word in words}
    assert by_text["did"].part_of == by_text["n't"].part_of
    assert by_text["did"].part_of.text == "didn't"
    assert parts_of(words, words.index(by_text["n't"])) == ["did", "n't"]
    assert parts_of(words, words.index(by_text["attention"])) == ["self", "-", "attention"]
    assert by_text["3.5"].part_of is None and by_text["I"].part_of is None


def test_the_analysis_looks_the_clitic_up_not_the_pieces(vocabulary, tiny_model):
    analysis = Engine.from_loaded(vocabulary, tiny_model).analyze("I didn't go")
    assert [word.text for word in analysis.words] == ["I", "did", "n't", "go"]
    assert [found.key for found in analysis.static.neighbours] == ["i", "did", "n't", "go"]
    # every model token still belongs to a word: didn -> did, ' and t -> n't
    context = analysis.context
    assert set(context.token_word[~context.special].tolist()) == {0, 1, 2, 3}


def test_a_megabyte_without_spaces_is_cut_in_linear_time(vocabulary):
    words = split_words("a," * 200_000, known=vocabulary.knows)
    assert len(words) == 400_000
