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


# --- the same words in JSON: `wordlens cosines`, and the export (x) -----------------------------


@pytest.fixture
def glove_text_file(tmp_path):
    """The tiny vocabulary as a GloVe text file (no header), for the command line."""
    path = tmp_path / "tiny-glove.txt"
    matrix = np.random.default_rng(3).normal(size=(len(VOCABULARY), 8))
    path.write_text("".join(f"{word} {' '.join(f'{x:.5f}' for x in row)}\n"
                            for word, row in zip(VOCABULARY, matrix, strict=True)), encoding="utf-8")
    return path


def test_the_cosines_command_names_each_split_in_json(capsys, glove_text_file):
    from cli_support import run_json

    report = run_json(capsys, "cosines", "I didn't see the U.S.", "--vectors", glove_text_file)
    words = report["words"]
    assert [word["word"] for word in words] == ["I", "did", "n't", "see", "the", "U.S."]
    assert [word["split_from"] for word in words] == [None, "didn't", "didn't", None, None, None]
    assert words[1]["looked_up_as"] == ["did", "n't"] and words[0]["looked_up_as"] is None
    assert [word["key"] for word in words] == ["i", "did", "n't", "see", "the", "u.s."]


def test_the_cosines_table_says_which_word_was_split(capsys, glove_text_file):
    from cli_support import run

    code, out, err = run(capsys, "cosines", "I didn't go", "--vectors", glove_text_file)
    assert code == 0, err
    assert "'didn't' looked up as did + n't" in " ".join(out.split())


def test_the_export_names_each_split(tmp_path, vocabulary, tiny_model):
    from wordlens.core.measures.attention_views import ViewSpec
    from wordlens.core.reports.export import export_view

    analysis = Engine.from_loaded(vocabulary, tiny_model).analyze("I didn't go")
    exported = export_view(analysis, ViewSpec())
    assert [entry["split_from"] for entry in exported.report["neighbours"]] == [None, "didn't", "didn't", None]


# --- the bundled GloVe 6B 50d ------------------------------------------------------------------


@pytest.mark.real_models
def test_the_bundled_glove_finds_the_stanford_forms(bundled_engine):
    analysis = bundled_engine.analyze("The U.S. trophy didn't fit; it's Mr. Smith's well-known self-attention.")
    words = analysis.words
    assert [word.text for word in words] == [
        "The", "U.S.", "trophy", "did", "n't", "fit", ";", "it", "'s", "Mr.", "Smith", "'s", "well-known", "self",
        "-", "attention", ".",
    ]
    keys = {found.word: found.key for found in analysis.static.neighbours}
    assert keys["n't"] == "n't" and keys["'s"] == "'s" and keys["U.S."] == "u.s." and keys["Mr."] == "mr."
    assert keys["well-known"] == "well-known"
    assert all(found.in_vocab for found in analysis.static.neighbours)  # every word found, none as pieces
    assert parts_of(words, 3) == ["did", "n't"] and parts_of(words, 14) == ["self", "-", "attention"]
