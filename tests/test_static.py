"""Static vectors: neighbours as gensim gives them, cosines, and reading vectors files."""

from __future__ import annotations

import gzip
import math
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from wordlens.core.errors import InputError, LoadError
from wordlens.core.vectors.static_vectors import StaticVectors, detect_vectors_format, load_vectors_file

from conftest import RIVER_NEIGHBOURS, TINY_DIM, TINY_VECTORS, TINY_WORDS, make_tiny_keyed_vectors


def unit(vector):
    vector = np.asarray(vector, dtype=np.float64)
    return vector / np.linalg.norm(vector)


def numpy_cosine(a, b):
    return float(unit(TINY_VECTORS[a]) @ unit(TINY_VECTORS[b]))


# --- the tiny vectors' geometry (checked by plain numpy, independent of the code under test) ----


def test_tiny_geometry_is_as_designed():
    assert numpy_cosine("queen", "woman") > 0.9
    assert numpy_cosine("queen", "dog") < 0.1
    for word, degrees in RIVER_NEIGHBOURS.items():
        assert numpy_cosine("river", word) == pytest.approx(math.cos(math.radians(degrees)))


def test_info(tiny_vectors):
    assert tiny_vectors.info.name == "tiny"
    assert tiny_vectors.info.size == len(TINY_WORDS) == 30
    assert tiny_vectors.info.dim == TINY_DIM


def test_empty_keyed_vectors_are_refused():
    from gensim.models import KeyedVectors

    with pytest.raises(LoadError, match="no words"):
        StaticVectors.from_keyed_vectors(KeyedVectors(vector_size=4), name="empty")


def test_a_matrix_that_does_not_fit_the_word_list_is_refused():
    with pytest.raises(LoadError, match="3 vectors but 2 words"):
        StaticVectors(["a", "b"], np.ones((3, 4), dtype=np.float32), name="odd")


# --- neighbours ----------------------------------------------------------------------------


def test_neighbours_known_by_construction(tiny_vectors):
    [river] = tiny_vectors.neighbours(["river"], topn=3, restrict_vocab=None)
    assert river.word == "river" and river.key == "river" and river.in_vocab
    assert [n.word for n in river.items] == ["stream", "lake", "sea"]
    expected = [math.cos(math.radians(RIVER_NEIGHBOURS[w])) for w in ("stream", "lake", "sea")]
    assert [n.cosine for n in river.items] == pytest.approx(expected, abs=1e-6)


def test_restrict_vocab_limits_the_candidates(tiny_vectors):
    sea_rank = TINY_WORDS.index("sea")
    [river] = tiny_vectors.neighbours(["river"], topn=3, restrict_vocab=sea_rank)  # sea is just outside
    words = [n.word for n in river.items]
    assert words[:2] == ["stream", "lake"] and "sea" not in words
    assert all(TINY_WORDS.index(w) < sea_rank for w in words)
    [river] = tiny_vectors.neighbours(["river"], topn=3, restrict_vocab=sea_rank + 1)
    assert [n.word for n in river.items] == ["stream", "lake", "sea"]


def test_query_may_be_rarer_than_the_candidates(tiny_vectors):
    # the query word itself lies outside restrict_vocab: it is still answered
    assert TINY_WORDS.index("sea") >= 13 > max(TINY_WORDS.index(w) for w in ("river", "stream", "lake"))
    [sea] = tiny_vectors.neighbours(["sea"], topn=3, restrict_vocab=13)
    assert sea.in_vocab
    # sea lies at 45 degrees from river, 35 from stream and 20 from lake
    assert [n.word for n in sea.items] == ["lake", "stream", "river"]


QUERY_WORDS = ["queen", "river", "sea", "the", "dog", "東京", "Apple", ",", "zebra-not-there"]


@pytest.mark.parametrize("restrict_vocab", [None, 0, 5, 12, 25, 30, 1000])
@pytest.mark.parametrize("topn", [1, 3, 10, 40])
def test_neighbours_equal_gensim_most_similar(tiny_vectors, tiny_keyed_vectors, topn, restrict_vocab):
    results = tiny_vectors.neighbours(QUERY_WORDS, topn=topn, restrict_vocab=restrict_vocab)
    assert [r.word for r in results] == QUERY_WORDS
    for result in results:
        if result.word not in tiny_keyed_vectors.key_to_index:
            assert not result.in_vocab and result.items == ()
            continue
        expected = tiny_keyed_vectors.most_similar(result.word, topn=topn, restrict_vocab=restrict_vocab)
        assert [n.word for n in result.items] == [w for w, _ in expected], result.word
        np.testing.assert_allclose([n.cosine for n in result.items], [c for _, c in expected], atol=1e-6)
        assert result.word not in [n.word for n in result.items]  # the query is never its own neighbour
        clip = len(TINY_WORDS) if not restrict_vocab else min(restrict_vocab, len(TINY_WORDS))
        in_clip = TINY_WORDS.index(result.word) < clip
        assert len(result.items) == min(topn, clip - in_clip)


def test_neighbours_for_every_word_match_gensim(tiny_vectors, tiny_keyed_vectors):
    results = tiny_vectors.neighbours(TINY_WORDS, topn=5, restrict_vocab=None)
    for word, result in zip(TINY_WORDS, results, strict=True):
        expected = tiny_keyed_vectors.most_similar(word, topn=5)
        assert [(n.word) for n in result.items] == [w for w, _ in expected]
        np.testing.assert_allclose([n.cosine for n in result.items], [c for _, c in expected], atol=1e-6)


def test_topn_zero_gives_no_neighbours(tiny_vectors):
    [queen] = tiny_vectors.neighbours(["queen"], topn=0)
    assert queen.in_vocab and queen.items == ()


def test_out_of_vocabulary_words_never_raise(tiny_vectors):
    results = tiny_vectors.neighbours(["xyzzy", "", "queen", "Xyzzy"], topn=3)
    assert [r.in_vocab for r in results] == [False, False, True, False]
    assert results[0].items == () and results[1].items == () and results[3].items == ()
    assert results[0].key is None
    assert len(results[2].items) == 3
    assert tiny_vectors.neighbours([], topn=3) == []
    assert tiny_vectors.neighbours(["xyzzy"], topn=3)[0].items == ()


def test_repeated_words_get_the_same_answer(tiny_vectors):
    first, second = tiny_vectors.neighbours(["queen", "queen"], topn=4)
    assert first.items == second.items and len(first.items) == 4


def test_lowercase_fallback(tiny_vectors, tiny_keyed_vectors):
    assert "Queen" not in tiny_keyed_vectors.key_to_index
    queen_upper, queen_lower, queen_shout = tiny_vectors.neighbours(["Queen", "queen", "QUEEN"], topn=5)
    assert queen_upper.word == "Queen" and queen_upper.key == "queen"
    assert queen_shout.key == "queen"
    assert queen_upper.items == queen_lower.items
    assert "queen" not in [n.word for n in queen_upper.items]
    expected = tiny_keyed_vectors.most_similar("queen", topn=5, restrict_vocab=None)
    assert [n.word for n in queen_upper.items] == [w for w, _ in expected]


def test_exact_case_is_preferred_over_lowercase(tiny_vectors):
    assert tiny_vectors.key_for("Apple") == "Apple"
    assert tiny_vectors.key_for("apple") == "apple"
    assert tiny_vectors.key_for("APPLE") == "apple"
    assert tiny_vectors.key_for("Zebra") is None
    np.testing.assert_array_equal(tiny_vectors.vector("Apple"), np.float32(TINY_VECTORS["Apple"]))


VECTOR_QUERIES = {
    "an axis": np.eye(TINY_DIM)[0],
    "between two words": np.float32(TINY_VECTORS["river"]) + np.float32(TINY_VECTORS["queen"]),
    "a word's own vector": np.float32(TINY_VECTORS["lake"]),
    "a float64 mix": np.linspace(-1.0, 1.0, TINY_DIM),
}


@pytest.mark.parametrize("restrict_vocab", [None, 5, 13])
@pytest.mark.parametrize("topn", [1, 4, 40])
@pytest.mark.parametrize("query", VECTOR_QUERIES, ids=list(VECTOR_QUERIES))
def test_nearest_to_vector_equals_gensim_similar_by_vector(
    tiny_vectors, tiny_keyed_vectors, query, topn, restrict_vocab
):
    vector = VECTOR_QUERIES[query]
    found = tiny_vectors.nearest_to_vector(vector, topn=topn, restrict_vocab=restrict_vocab)
    expected = tiny_keyed_vectors.similar_by_vector(vector.astype(np.float32), topn=topn, restrict_vocab=restrict_vocab)
    assert [n.word for n in found] == [w for w, _ in expected]
    np.testing.assert_allclose([n.cosine for n in found], [c for _, c in expected], atol=1e-6)


# --- gensim's KeyedVectors, built on demand ---------------------------------------------------


def test_keyed_vectors_are_built_once_over_the_same_arrays():
    from conftest import tiny_matrix

    vectors = StaticVectors(list(TINY_WORDS), tiny_matrix(), name="tiny")
    with ThreadPoolExecutor(max_workers=4) as pool:  # analyses and queries run in threads
        built = list(pool.map(lambda _: vectors.keyed_vectors, range(8)))
    keyed_vectors = built[0]
    assert all(other is keyed_vectors for other in built)
    # nothing copied: gensim reads the very arrays the neighbour search reads
    assert keyed_vectors.vectors is vectors.matrix and keyed_vectors.norms is vectors.norms
    assert keyed_vectors.index_to_key is vectors.words and keyed_vectors.key_to_index is vectors.row_of


def test_vectors_gensim_read_keep_their_keyed_vectors(vector_files):
    loaded = load_vectors_file(vector_files["word2vec binary"])
    keyed_vectors = loaded.keyed_vectors
    assert keyed_vectors.vectors is loaded.matrix and keyed_vectors.key_to_index is loaded.row_of


# --- cosine matrix and similarity ------------------------------------------------------------


def test_cosine_matrix_equals_numpy(tiny_vectors):
    words = ["queen", "woman", "dog", "River", "東京", ","]
    matrix = tiny_vectors.cosine_matrix(words)
    assert matrix.shape == (len(words), len(words))
    for i, a in enumerate(words):
        for j, b in enumerate(words):
            assert matrix[i, j] == pytest.approx(numpy_cosine(a.lower(), b.lower()), abs=1e-6)


def test_cosine_matrix_has_nan_rows_and_columns_for_oov(tiny_vectors):
    words = ["queen", "xyzzy", "dog"]
    matrix = tiny_vectors.cosine_matrix(words)
    assert np.isnan(matrix[1]).all() and np.isnan(matrix[:, 1]).all()
    known = matrix[np.ix_([0, 2], [0, 2])]
    assert not np.isnan(known).any()
    assert known[0, 1] == pytest.approx(numpy_cosine("queen", "dog"), abs=1e-6)
    assert tiny_vectors.cosine_matrix([]).shape == (0, 0)


def test_similarity(tiny_vectors):
    assert tiny_vectors.similarity("queen", "woman") == pytest.approx(numpy_cosine("queen", "woman"), abs=1e-6)
    assert tiny_vectors.similarity("Queen", "DOG") == pytest.approx(numpy_cosine("queen", "dog"), abs=1e-6)
    assert tiny_vectors.similarity("queen", "woman") > tiny_vectors.similarity("queen", "dog")


def test_similarity_names_the_missing_word(tiny_vectors):
    with pytest.raises(InputError) as raised:
        tiny_vectors.similarity("queen", "xyzzy")
    assert "'xyzzy'" in str(raised.value) and "queen" not in str(raised.value)
    assert "tiny" in str(raised.value)
    with pytest.raises(InputError) as raised:
        tiny_vectors.similarity("foo", "bar")
    assert "'foo'" in str(raised.value) and "'bar'" in str(raised.value)


def test_vector_of_unknown_word_raises_input_error(tiny_vectors):
    with pytest.raises(InputError, match="xyzzy"):
        tiny_vectors.vector("xyzzy")


# --- reading vectors files -------------------------------------------------------------------


def assert_same_vectors(loaded: StaticVectors, exact: bool = True):
    assert loaded.words == TINY_WORDS
    expected = np.array([TINY_VECTORS[w] for w in TINY_WORDS], dtype=np.float32)
    if exact:
        np.testing.assert_array_equal(np.asarray(loaded.matrix), expected)
    else:
        np.testing.assert_allclose(np.asarray(loaded.matrix), expected, rtol=1e-5, atol=1e-6)
    assert loaded.info.size == 30 and loaded.info.dim == TINY_DIM
    # and it answers like the reference
    reference = make_tiny_keyed_vectors()
    [queen] = loaded.neighbours(["queen"], topn=5, restrict_vocab=None)
    assert [n.word for n in queen.items] == [w for w, _ in reference.most_similar("queen", topn=5)]


def write_glove_text(path, opener=open):
    with opener(path, "wt", encoding="utf-8") as stream:
        for word in TINY_WORDS:
            values = " ".join(repr(float(np.float32(v))) for v in TINY_VECTORS[word])
            stream.write(f"{word} {values}\n")


@pytest.fixture(scope="module")
def vector_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vectors")
    kv = make_tiny_keyed_vectors()
    files = {
        # names that do not tell the format: it must be read from the content
        "word2vec binary": folder / "w2v_binary.data",
        "word2vec text": folder / "w2v_text.data",
        "GloVe text": folder / "glove.data",
        "word2vec binary .bin": folder / "vectors.bin",
        "GloVe text .gz": folder / "glove.txt.gz",
        "word2vec text .gz": folder / "w2v.txt.gz",
    }
    kv.save_word2vec_format(str(files["word2vec binary"]), binary=True)
    kv.save_word2vec_format(str(files["word2vec binary .bin"]), binary=True)
    kv.save_word2vec_format(str(files["word2vec text"]), binary=False)
    kv.save_word2vec_format(str(files["word2vec text .gz"]), binary=False)
    write_glove_text(files["GloVe text"])
    write_glove_text(files["GloVe text .gz"], opener=gzip.open)
    return files


@pytest.mark.parametrize(
    "kind, fmt",
    [
        ("word2vec binary", "word2vec binary"),
        ("word2vec binary .bin", "word2vec binary"),
        ("word2vec text", "word2vec text"),
        ("word2vec text .gz", "word2vec text"),
        ("GloVe text", "GloVe text"),
        ("GloVe text .gz", "GloVe text"),
    ],
)
def test_load_vectors_file_detects_the_format_from_the_content(vector_files, kind, fmt):
    path = vector_files[kind]
    assert detect_vectors_format(path) == fmt
    loaded = load_vectors_file(path)
    assert loaded.info.name == path.name and loaded.info.source == str(path)
    assert_same_vectors(loaded, exact=(fmt == "word2vec binary"))


def test_load_vectors_file_reports_progress(vector_files):
    stages = []
    load_vectors_file(vector_files["GloVe text"], progress=lambda stage, fraction: stages.append(fraction))
    assert stages and all(0.0 <= f <= 1.0 for f in stages) and stages == sorted(stages)


def test_load_vectors_file_accepts_str_and_home_relative_paths(vector_files, monkeypatch):
    path = vector_files["word2vec text"]
    monkeypatch.setenv("HOME", str(path.parent))
    assert_same_vectors(load_vectors_file(f"~/{path.name}"), exact=False)
    assert_same_vectors(load_vectors_file(str(path)), exact=False)


def test_missing_file(tmp_path):
    with pytest.raises(LoadError, match="not found") as raised:
        load_vectors_file(tmp_path / "nope.txt")
    assert "nope.txt" in str(raised.value)


def test_folder(tmp_path):
    with pytest.raises(LoadError, match="folder"):
        load_vectors_file(tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(LoadError, match="empty"):
        load_vectors_file(path)


def test_binary_garbage_file(tmp_path):
    path = tmp_path / "garbage.dat"
    path.write_bytes(bytes(range(256)) * 8)  # starts with 0x00, not a pickle marker
    with pytest.raises(LoadError) as raised:
        load_vectors_file(path)
    message = str(raised.value)
    assert str(path) in message and "word2vec" in message and "GloVe" in message
    assert "\n" not in message


def test_text_garbage_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("these are just notes\nnot vectors at all\n", encoding="utf-8")
    with pytest.raises(LoadError) as raised:
        load_vectors_file(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


def test_truncated_word2vec_binary_file(vector_files, tmp_path):
    path = tmp_path / "cut.data"
    path.write_bytes(vector_files["word2vec binary"].read_bytes()[:200])
    with pytest.raises(LoadError, match="could not read"):
        load_vectors_file(path)


@pytest.mark.parametrize("name", ["tiny.kv", "tiny.model", "no_suffix_pickle"])
def test_gensim_pickle_needs_allow_pickle(tmp_path, name):
    path = tmp_path / name
    make_tiny_keyed_vectors().save(str(path))
    assert detect_vectors_format(path) == "gensim"
    with pytest.raises(LoadError) as raised:
        load_vectors_file(path)
    assert "--allow-pickle" in str(raised.value) and "pickle" in str(raised.value)
    assert_same_vectors(load_vectors_file(path, allow_pickle=True))


def test_detect_glove_text_with_a_multibyte_character_cut_at_the_read_limit(tmp_path):
    path = tmp_path / "glove.data"
    first = "a" * 4094 + " "  # 4095 bytes: 'é' starts at the last byte read, which cuts it in two
    path.write_bytes(first.encode() + "é 1.0\n".encode())
    assert len(first.encode()) == 4095
    assert detect_vectors_format(path) == "GloVe text"


def test_detect_word2vec_text_header_with_unicode_words(tmp_path):
    path = tmp_path / "unicode.vec"
    path.write_text("2 2\n東京 0.1 0.2\ncafé 0.3 0.4\n", encoding="utf-8")
    assert detect_vectors_format(path) == "word2vec text"
    loaded = load_vectors_file(path)
    assert loaded.words == ["東京", "café"]


def test_detect_pickle_marker_without_suffix(tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(pickle.dumps({"not": "vectors"}, protocol=4))
    assert detect_vectors_format(path) == "gensim"


def test_detect_binary_without_header_is_an_error(tmp_path):
    path = tmp_path / "blob.vec"
    path.write_bytes(b"\x00\xff\xfe" * 50)
    with pytest.raises(LoadError, match="neither word2vec"):
        detect_vectors_format(path)
