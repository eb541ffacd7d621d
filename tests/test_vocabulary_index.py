"""The memory-mapped vocabulary index: the same answers as the in-memory word list and dict, built
once per vectors file, rebuilt when the cache is damaged or the file changes."""

from __future__ import annotations

import os

import numpy as np
import pytest

from wordlens.core.vectors.static_vectors import StaticVectors, load_matrix_and_word_list
from wordlens.core.vectors.vocabulary_index import RowIndex, WordList

from conftest import TINY_WORDS, tiny_matrix

# a word listed twice (the in-memory dict keeps the last row), one with a newline, one non-ASCII
EXTRA_WORDS = ["queen", "two\nlines", "Ünïcode"]
BUILT = "indexing the word list (once)"


def write_vectors_files(folder, words, matrix):
    import pyarrow as arrow
    import pyarrow.parquet as parquet

    matrix_path, words_path = folder / "matrix.npy", folder / "words.parquet"
    np.save(matrix_path, matrix)
    parquet.write_table(arrow.table({"word": words}), words_path)
    return matrix_path, words_path


@pytest.fixture
def vectors_files(tmp_path):
    rng = np.random.default_rng(3)
    extra = rng.normal(size=(len(EXTRA_WORDS), tiny_matrix().shape[1])).astype(np.float32)
    words = [*TINY_WORDS, *EXTRA_WORDS]
    return (*write_vectors_files(tmp_path, words, np.vstack([tiny_matrix(), extra])), words)


def load(matrix_path, words_path, cache, stages=None):
    record = (lambda stage, fraction: stages.append(stage)) if stages is not None else (lambda *_: None)
    return load_matrix_and_word_list(matrix_path, words_path, "tiny file", record, index_folder=cache)


def in_memory(matrix_path, words):
    """The old path: the word list as a Python list, a dict and norms computed at load."""
    return StaticVectors(list(words), np.load(matrix_path, mmap_mode="r"), "tiny file", source=str(matrix_path))


def assert_same_answers(mapped: StaticVectors, old: StaticVectors, words: list[str]) -> None:
    assert isinstance(mapped.words, WordList) and isinstance(mapped.row_of, RowIndex)
    assert mapped.words == old.words and list(mapped.words) == old.words and len(mapped.words) == len(old.words)
    assert mapped.words[3:9] == old.words[3:9] and mapped.words[-1] == old.words[-1]
    assert mapped.words.joined(" ") == " ".join(old.words)
    assert dict(zip(mapped.row_of, mapped.row_of.values(), strict=True)) == old.row_of
    for word in [*words, "QUEEN", "Apple", "APPLE", "absent", "", "two"]:
        assert (word in mapped.row_of) == (word in old.row_of)
        assert mapped.row_of.get(word) == old.row_of.get(word)
        assert mapped.key_for(word) == old.key_for(word)
    np.testing.assert_array_equal(mapped.norms, old.norms)
    np.testing.assert_array_equal(mapped.inverse_norms, old.inverse_norms)
    sentence = ["queen", "river", "Apple", "東京", "Ünïcode", "absent"]
    for restrict in (None, 10, 0):
        assert mapped.neighbours(sentence, topn=5, restrict_vocab=restrict) == \
            old.neighbours(sentence, topn=5, restrict_vocab=restrict)
    np.testing.assert_array_equal(mapped.cosine_matrix(sentence), old.cosine_matrix(sentence))
    # analogies and the odd one out are gensim's own queries, over the same arrays
    for positive, negative in ((["king", "woman"], ["man"]), (["paris", "country"], ["france"])):
        assert mapped.keyed_vectors.most_similar(positive=positive, negative=negative, topn=5) == \
            old.keyed_vectors.most_similar(positive=positive, negative=negative, topn=5)
        assert mapped.keyed_vectors.most_similar_cosmul(positive=positive, negative=negative, topn=5) == \
            old.keyed_vectors.most_similar_cosmul(positive=positive, negative=negative, topn=5)
    assert mapped.keyed_vectors.doesnt_match(["queen", "woman", "king", "river"]) == \
        old.keyed_vectors.doesnt_match(["queen", "woman", "king", "river"])


def test_the_mapped_index_answers_as_the_word_list_and_dict(vectors_files, tmp_path):
    matrix_path, words_path, words = vectors_files
    stages: list[str] = []
    first = load(matrix_path, words_path, tmp_path / "cache", stages)
    assert BUILT in stages
    assert first.row_of["queen"] == len(words) - 3  # the last of the two rows, as the dict
    assert_same_answers(first, in_memory(matrix_path, words), words)


def test_the_index_is_built_once_and_mapped_after(vectors_files, tmp_path):
    matrix_path, words_path, words = vectors_files
    load(matrix_path, words_path, tmp_path / "cache")
    stages: list[str] = []
    again = load(matrix_path, words_path, tmp_path / "cache", stages)
    assert BUILT not in stages and "reading the word list" not in stages
    assert_same_answers(again, in_memory(matrix_path, words), words)


def only_index_folder(cache):
    (folder,) = cache.iterdir()
    return folder


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "no meta", "garbage meta", "no norms"])
def test_a_damaged_cache_is_rebuilt(vectors_files, tmp_path, damage):
    matrix_path, words_path, words = vectors_files
    cache = tmp_path / "cache"
    load(matrix_path, words_path, cache)
    folder = only_index_folder(cache)
    if damage == "flip a byte":
        data = bytearray((folder / "words.bin").read_bytes())
        data[2] ^= 0x01
        (folder / "words.bin").write_bytes(bytes(data))
    elif damage == "truncate":
        path = folder / "offsets.npy"
        path.write_bytes(path.read_bytes()[:-8])
    elif damage == "no meta":
        (folder / "meta.json").unlink()
    elif damage == "garbage meta":
        (folder / "meta.json").write_text("{not json", encoding="utf-8")
    else:
        (folder / "norms.npy").unlink()
    stages: list[str] = []
    rebuilt = load(matrix_path, words_path, cache, stages)
    assert BUILT in stages
    assert_same_answers(rebuilt, in_memory(matrix_path, words), words)
    stages.clear()
    load(matrix_path, words_path, cache, stages)
    assert BUILT not in stages  # and the rebuilt one is whole


def test_a_changed_vectors_file_gets_its_own_index(vectors_files, tmp_path):
    matrix_path, words_path, words = vectors_files
    cache = tmp_path / "cache"
    load(matrix_path, words_path, cache)
    changed = list(words)
    changed[0], changed[1] = changed[1], changed[0]
    write_vectors_files(tmp_path, changed, np.load(matrix_path) * 2)
    stamp = os.stat(matrix_path).st_mtime_ns + 10**9
    os.utime(matrix_path, ns=(stamp, stamp))
    stages: list[str] = []
    reloaded = load(matrix_path, words_path, cache, stages)
    assert BUILT in stages
    assert reloaded.words[0] == changed[0]
    assert_same_answers(reloaded, in_memory(matrix_path, changed), changed)


def test_an_unwritable_cache_falls_back_to_the_word_list_in_memory(vectors_files, tmp_path):
    matrix_path, words_path, words = vectors_files
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    vectors = load(matrix_path, words_path, blocked / "cache")
    assert vectors.words == words and vectors.row_of["river"] == words.index("river")
