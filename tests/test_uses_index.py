"""The uses index on a tiny corpus and the tiny BERT: what it stores is the model's hidden state,
what it answers is numpy's cosine ranking, and its cache is keyed, checked and rebuilt."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from wordlens.core.errors import InputError, LoadError
from wordlens.core.uses.corpus import corpus_of_files, split_sentences
from wordlens.core.uses.uses_index import (
    IndexSettings,
    UsesIndex,
    build_index,
    cached_index,
    encode_all,
    index_folder,
    load_or_build,
    plan_batches,
    unit_query,
    uses_of_word,
)

TINY_CORPUS = """The queen walks to the river bank.
The dog walks quickly in Paris. It is a country in Europe.

The woman walks to the bank, money in the bank!
France is a country. The river walks in France.
The cafe in Paris is quick. A dog is in the cafe.
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def corpus_file(tmp_path) -> Path:
    path = tmp_path / "tiny.txt"
    path.write_text(TINY_CORPUS, encoding="utf-8")
    return path


@pytest.fixture
def settings() -> IndexSettings:
    return IndexSettings(batch=3)  # several batches of different lengths


@pytest.fixture
def built(tiny_model, corpus_file, settings, cache) -> UsesIndex:
    return build_index(tiny_model, corpus_of_files([corpus_file]), settings)


def test_sentences_are_split_and_sourced(corpus_file):
    sentences = corpus_of_files([corpus_file]).sentences()
    assert [s.text for s in sentences][:3] == [
        "The queen walks to the river bank.", "The dog walks quickly in Paris.", "It is a country in Europe."]
    assert sentences[0].source == "tiny.txt:1" and sentences[3].source == "tiny.txt:4"
    assert split_sentences("Mr. Smith went to Washington. He sat by the U.S. bank.") == [
        "Mr. Smith went to Washington.", "He sat by the U.S. bank."]


def test_every_hit_is_the_stored_hidden_state_of_its_sentence(tiny_model, built):
    """Each hit's stored vector is a fresh, single-sentence forward pass of its sentence at that token
    (to float16 rounding), at each layer; its span is that token's span."""
    for layer in built.layers:
        query = tiny_model.run(tiny_model.encode("the bank of the river")).hidden_states[layer, 2]
        uses = built.search(query, layer, top=5)
        assert len(uses) == 5
        for use in uses:
            encoding = tiny_model.encode(use.sentence)
            fresh = tiny_model.run(encoding).hidden_states[layer]
            spans = [tuple(span) for span in encoding.offsets.tolist()]
            position = spans.index((use.start, use.end))
            expected = fresh[position] / np.linalg.norm(fresh[position])
            np.testing.assert_allclose(built.stored_vector(layer, use.row), expected, atol=2e-3)
            assert use.sentence[use.start:use.end].lower() == use.token.removeprefix("##")  # BERT lowercases


def test_cosines_and_order_equal_numpy(tiny_model, built):
    layer = built.layers[-1]
    stored = np.stack([built.stored_vector(layer, row) for row in range(built.token_count)]).astype(np.float64)
    query = tiny_model.run(tiny_model.encode("money in the bank")).hidden_states[layer, 4]
    cosines = stored @ unit_query(query).astype(np.float64)
    uses = built.search(query, layer, top=4)
    np.testing.assert_allclose([use.cosine for use in uses], cosines[[use.row for use in uses]], atol=1e-5)
    # numpy's ranking, one (best) token per sentence: every sentence's use, ranked by numpy's cosines
    every = built.search(query, layer, top=built.sentence_count)
    assert len({use.sentence for use in every}) == len(every) == built.sentence_count
    ranked = sorted((use.row for use in every), key=lambda row: -cosines[row])
    assert [use.row for use in uses] == ranked[:4]
    assert uses[0].cosine == pytest.approx(float(cosines.max()), abs=1e-5)  # the best token of all comes first


def test_uses_of_a_word(tiny_model, built):
    token, layer, uses = uses_of_word(tiny_model, built, "money in the bank", "bank", top=3)
    assert token == "bank" and layer == built.layers[-1] == 2 and len(uses) == 3
    with pytest.raises(InputError, match="not a word"):
        uses_of_word(tiny_model, built, "money in the bank", "river")
    with pytest.raises(InputError, match="not indexed"):
        uses_of_word(tiny_model, built, "money in the bank", "bank", layer=7)


def test_chosen_layers_only(tiny_model, corpus_file, cache):
    index = build_index(tiny_model, corpus_of_files([corpus_file]), IndexSettings(layers=(2,)))
    assert index.layers == (2,)
    with pytest.raises(InputError, match=r"indexed: 2"):
        index.search(np.ones(32), 0)
    with pytest.raises(InputError, match="out of range"):
        IndexSettings(layers=(3,)).layers_for(2)


def test_cache_is_keyed_reused_and_rebuilt_when_damaged(tiny_model, corpus_file, settings, built):
    corpus = corpus_of_files([corpus_file])
    folder = index_folder(tiny_model, corpus, settings)
    assert built.folder == folder and (folder / "manifest.json").is_file()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["model"] == tiny_model.info.name and manifest["tokens"] == built.token_count
    assert cached_index(tiny_model, corpus, settings) is not None
    assert index_folder(tiny_model, corpus, IndexSettings(max_tokens=16)) != folder  # settings are in the key

    layer_file = folder / "layer_2.faiss"
    layer_file.write_bytes(layer_file.read_bytes()[:100])  # truncated
    with pytest.raises(LoadError, match="damaged"):
        UsesIndex(folder)
    assert cached_index(tiny_model, corpus, settings) is None
    layer_file.write_bytes(b"\0" * json.loads((folder / "manifest.json").read_text())["files"]["layer_2.faiss"])
    with pytest.raises(LoadError, match="damaged"):  # the right size, but not a faiss index
        UsesIndex(folder)
    stages = []
    rebuilt = load_or_build(tiny_model, corpus, settings, progress=lambda stage, fraction: stages.append(stage))
    assert any(stage.startswith("embedding the corpus") for stage in stages)
    assert rebuilt.token_count == built.token_count
    query = np.arange(32, dtype=np.float32)
    assert [u.row for u in rebuilt.search(query, 2)] == [u.row for u in UsesIndex(folder).search(query, 2)]


def test_a_changed_corpus_file_is_another_index(tiny_model, corpus_file, settings, built):
    corpus_file.write_text(TINY_CORPUS + "The queen is in Paris, by the river.\n", encoding="utf-8")
    changed = corpus_of_files([corpus_file])
    assert cached_index(tiny_model, changed, settings) is None
    assert load_or_build(tiny_model, changed, settings).sentence_count == built.sentence_count + 1


def test_bad_corpus_paths(tmp_path):
    with pytest.raises(LoadError, match="no such file"):
        corpus_of_files([tmp_path / "missing.txt"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError, match="no .txt files"):
        corpus_of_files([tmp_path / "empty"])
    short = tmp_path / "short.txt"
    short.write_text("too short\n", encoding="utf-8")
    with pytest.raises(LoadError, match="no sentences"):
        corpus_of_files([short]).sentences()


def test_an_inverted_file_answers_as_the_exact_scan(tiny_model, corpus_file, cache, tmp_path):
    """Above `exact_below` tokens each layer is an inverted file; scanning all its lists (a tiny
    corpus has few) it returns the exact scan's uses, cosines and stored vectors."""
    corpus = corpus_of_files([corpus_file])
    exact = build_index(tiny_model, corpus, IndexSettings(batch=3), folder=tmp_path / "exact")
    inverted = build_index(tiny_model, corpus, IndexSettings(batch=3, exact_below=0), folder=tmp_path / "ivf")
    assert set(exact.manifest["search"].values()) == {"exact"} and set(inverted.manifest["search"].values()) == {"ivf"}
    for layer in exact.layers:
        np.testing.assert_array_equal(inverted.stored_vectors(layer), exact.stored_vectors(layer))
        query = tiny_model.run(tiny_model.encode("money in the bank")).hidden_states[layer, 4]
        expected, found = exact.search(query, layer, top=5), inverted.search(query, layer, top=5)
        assert [use.row for use in found] == [use.row for use in expected]
        np.testing.assert_allclose([use.cosine for use in found], [use.cosine for use in expected], atol=1e-6)


def test_batches_hold_a_token_budget(tiny_model, corpus_file):
    encodings = encode_all(tiny_model, corpus_of_files([corpus_file]).sentences(), IndexSettings())
    settings = IndexSettings(batch=100, batch_tokens=40)
    batches = plan_batches(encodings, settings)
    assert sorted(index for batch in batches for index in batch) == list(range(len(encodings)))
    for batch in batches:
        lengths = [len(encodings[index].ids) for index in batch]
        assert lengths == sorted(lengths, reverse=True)
        assert len(batch) == 1 or len(batch) * lengths[0] <= settings.batch_tokens
