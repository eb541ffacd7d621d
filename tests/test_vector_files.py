"""Vector files as found in the wild (core/vectors/vector_files.py): Facebook fastText binaries,
whose unknown words get a vector from their character n-grams ("from subwords"), and text files
with invalid UTF-8, CRLF, a byte-order mark, trailing spaces, gzip or bzip2. Every file is
built in the test."""

from __future__ import annotations

import bz2
import gzip

import numpy as np
import pytest

from wordlens.core.engine import Engine
from wordlens.core.vectors.static_vectors import detect_vectors_format, load_vectors_file
from wordlens.tui.app import WordLensApp

from cli_support import run_json
from tui_support import screen_text, shows, wait_for

pytestmark = pytest.mark.anyio
ROWS = {"the": [0.1, 0.2, 0.3, 0.4], "river": [1.0, 0.0, 0.5, 0.25], "café": [0.5, -1.5, 2.0, 0.0],
        "new york": [0.0, 1.0, -1.0, 3.5]}  # a word with a space, as in GloVe 840B


@pytest.fixture
def anyio_backend():
    return "asyncio"


def vec_bytes(header: bool = True, newline: bytes = b"\n", trailing: bytes = b"") -> bytes:
    lines = [f"{len(ROWS)} 4".encode()] if header else []
    lines += [" ".join([word, *map(str, row)]).encode() + trailing for word, row in ROWS.items()]
    return newline.join(lines) + newline


VARIANTS = {
    "plain.vec": vec_bytes(),
    "crlf.vec": vec_bytes(newline=b"\r\n"),
    "bom.vec": b"\xef\xbb\xbf" + vec_bytes(),
    "trailing.vec": vec_bytes(trailing=b"  "),
    "all.vec": b"\xef\xbb\xbf" + vec_bytes(newline=b"\r\n", trailing=b" "),
    "glove.txt": vec_bytes(header=False),
    "glove-bom-crlf.txt": b"\xef\xbb\xbf" + vec_bytes(header=False, newline=b"\r\n", trailing=b" "),
    "packed.vec.gz": gzip.compress(vec_bytes(newline=b"\r\n")),
    "packed.vec.bz2": bz2.compress(vec_bytes()),
    "glove.txt.gz": gzip.compress(vec_bytes(header=False)),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_text_vectors_load_whatever_their_line_ends_marks_and_compression(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(VARIANTS[name])
    vectors = load_vectors_file(path)
    assert vectors.words == list(ROWS)
    np.testing.assert_array_equal(vectors.matrix, np.array(list(ROWS.values()), dtype=np.float32))
    assert vectors.info.note == ""


def test_words_cut_inside_a_character_load_with_replacements_and_are_counted(tmp_path):
    path = tmp_path / "cut.vec"
    cut = "café".encode()[:-1]  # fastText cuts words at a byte limit, inside a character
    lines = [b"4 2", b"the 0.1 0.2", cut + b" 1 2", "東京".encode()[:4] + b" 3 4", b"river 5 6"]
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert detect_vectors_format(path) == "word2vec text"
    vectors = load_vectors_file(path)
    assert vectors.words == ["the", "caf\ufffd", "東\ufffd", "river"]
    assert "2 words not valid UTF-8" in vectors.info.note


def test_the_cli_says_how_many_words_were_repaired(tmp_path, capsys):
    path = tmp_path / "cut.vec"
    path.write_bytes(b"2 2\nthe 0.1 0.2\ncaf\xc3 1 2\n")
    report = run_json(capsys, "neighbours", "the", "--vectors", path)
    assert "1 word not valid UTF-8" in report["vectors"]["note"]


@pytest.fixture(scope="module")
def fasttext_bin(tmp_path_factory):
    """A tiny FastText model trained here and saved in Facebook's binary format."""
    from gensim.models import FastText
    from gensim.models.fasttext import save_facebook_model

    corpus = [["the", "river", "bank", "is", "wet"], ["the", "queen", "walks", "by", "the", "river"],
              ["money", "in", "the", "bank"], ["rivers", "and", "banks"]] * 20
    model = FastText(vector_size=8, window=2, min_count=1, min_n=3, max_n=4, epochs=5, seed=1, workers=1,
                     bucket=2000)
    model.build_vocab(corpus)
    model.train(corpus, total_examples=len(corpus), epochs=5)
    path = tmp_path_factory.mktemp("fasttext") / "tiny.bin"
    save_facebook_model(model, str(path))
    return path


def test_a_fasttext_binary_loads_and_unknown_words_get_neighbours_from_subwords(fasttext_bin):
    from gensim.models.fasttext import load_facebook_vectors

    assert detect_vectors_format(fasttext_bin) == "fastText binary"
    vectors = load_vectors_file(fasttext_bin)
    assert vectors.info.subwords and "river" in vectors.words and "riverside" not in vectors.words
    known, unknown = vectors.neighbours(["river", "riverside"], topn=3, restrict_vocab=0)
    assert known.in_vocab and not known.from_subwords
    assert not unknown.in_vocab and unknown.from_subwords and len(unknown.items) == 3
    reference = load_facebook_vectors(str(fasttext_bin))
    expected = [word for word, _ in reference.similar_by_vector(reference["riverside"], topn=3)]
    assert [item.word for item in unknown.items] == expected


async def test_the_static_pane_says_from_subwords(fasttext_bin, tiny_model):
    vectors = load_vectors_file(fasttext_bin)
    sentence = "the riverside"
    app = WordLensApp(Engine.from_loaded(vectors, tiny_model), text=sentence)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: shows(app, sentence), what="the analysis")
        await pilot.pause()
        shown = screen_text(app)
        assert "from subwords" in shown and "not in vocabulary" not in shown


def test_gensims_own_fasttext_binary_loads(capsys):
    """crime-and-punishment.bin, shipped with gensim's tests, is a real Facebook fastText file."""
    from gensim.test.utils import datapath

    report = run_json(capsys, "neighbours", "the", "punishmentish", "--vectors", datapath("crime-and-punishment.bin"),
                      "--restrict-vocab", "0")
    known, unknown = report["neighbours"]
    assert known["in_vocab"] and not known["from_subwords"]
    assert unknown["from_subwords"] and len(unknown["items"]) == 10


# ---- words from subwords beyond neighbours: similarity, the sentence's cosines, analogy --------


def unit(vector) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float64)
    return vector / np.linalg.norm(vector)


def test_similarity_and_the_sentence_cosines_use_a_vector_from_subwords(fasttext_bin, tiny_model, capsys):
    from gensim.models.fasttext import load_facebook_vectors

    reference = load_facebook_vectors(str(fasttext_bin))
    expected = float(unit(reference["river"]) @ unit(reference["riverside"]))
    vectors = load_vectors_file(fasttext_bin)
    assert vectors.similarity("river", "riverside") == pytest.approx(expected, abs=1e-6)
    assert vectors.from_subwords(["river", "riverside"]) == ["riverside"]

    cosine = Engine.from_loaded(vectors, tiny_model).analyze("the riverside").static.cosine
    assert cosine[0, 1] == pytest.approx(float(unit(reference["the"]) @ unit(reference["riverside"])), abs=1e-6)

    report = run_json(capsys, "similarity", "river", "riverside", "--vectors", str(fasttext_bin))
    assert report["cosine"] == pytest.approx(expected, abs=1e-6) and report["from_subwords"] == ["riverside"]


def test_analogy_uses_a_vector_from_subwords(fasttext_bin, capsys):
    """3CosAdd written out: the unit vectors of b + c - a, against every word's unit vector, the
    query's vocabulary words left out (the word from subwords is in no row to leave out)."""
    from gensim.models.fasttext import load_facebook_vectors

    reference = load_facebook_vectors(str(fasttext_bin))
    words = list(reference.index_to_key)
    rows = np.array([unit(reference[word]) for word in words])
    query = unit(unit(reference["bank"]) + unit(reference["riverside"]) - unit(reference["river"]))
    scores = rows @ query
    order = [words[i] for i in np.argsort(-scores) if words[i] not in ("river", "bank")][:3]
    report = run_json(capsys, "analogy", "river", "bank", "riverside", "--topn", "3", "--vectors", str(fasttext_bin))
    assert [item["word"] for item in report["items"]] == order
    assert report["from_subwords"] == ["riverside"]


def test_without_subwords_an_unknown_word_is_still_refused():
    from wordlens.core.errors import InputError
    from wordlens.core.vectors.static_vectors import StaticVectors

    vectors = StaticVectors(list(ROWS), np.array(list(ROWS.values()), dtype=np.float32), name="plain")
    assert vectors.from_subwords(["riverside"]) == []
    with pytest.raises(InputError, match="not in the vocabulary"):
        vectors.similarity("river", "riverside")
    assert np.isnan(vectors.cosine_matrix(["river", "riverside"])[0, 1])


async def test_the_word_comparison_marks_a_word_from_subwords(fasttext_bin, tiny_model):
    from wordlens.tui.panes.word_comparison import WordComparison

    vectors = load_vectors_file(fasttext_bin)
    sentence = "the riverside"
    app = WordLensApp(Engine.from_loaded(vectors, tiny_model), text=sentence)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: shows(app, sentence) and app.view.analysis.complete, what="the analysis")
        await pilot.pause()
        shown = str(app.query_one(WordComparison).render())
        cosine = app.view.analysis.static.cosine
        assert not np.isnan(cosine).any()
        assert "riverside~" in shown and "~ from subwords" in shown and " oov" not in shown
