"""The approximate-neighbour index (core/ann.py) on small clustered vectors, and how StaticVectors uses it."""

from __future__ import annotations

import numpy as np
import pytest

from wordlens.core.vectors import ann_index as ann
from wordlens.core.vectors.static_vectors import StaticVectors

ROWS, DIM = 6000, 32


def clustered_matrix(rows: int = ROWS, dim: int = DIM, clusters: int = 60, seed: int = 3) -> np.ndarray:
    """Words in topics, as real vectors are: cluster centres plus smaller per-word offsets."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))
    labels = rng.integers(0, clusters, size=rows)
    matrix = centres[labels] + 0.5 * rng.standard_normal((rows, dim))
    return (matrix * rng.lognormal(0, 0.3, size=(rows, 1))).astype(np.float32)


def static_vectors(path, name: str) -> StaticVectors:
    """The matrix in `path` memory-mapped, its words named w0, w1, ..."""
    matrix = np.load(path, mmap_mode="r")
    return StaticVectors([f"w{i}" for i in range(matrix.shape[0])], matrix, name, source=str(path))


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Index files go to this test's own folder, never to ~/.cache."""
    monkeypatch.setenv("WORDLENS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "ann"


@pytest.fixture(scope="module")
def matrix_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("vectors") / "clustered.npy"
    np.save(path, clustered_matrix())
    return path


@pytest.fixture
def vectors(matrix_file):
    return static_vectors(matrix_file, "clustered")


QUERIES = [f"w{i}" for i in range(0, ROWS, ROWS // 20)][:20]


def recall(found, exact) -> float:
    return float(np.mean([
        len({n.word for n in f.items} & {n.word for n in e.items}) / len(e.items)
        for f, e in zip(found, exact, strict=True)
    ]))


def test_ann_recall_against_exact_search(vectors):
    exact = vectors.neighbours(QUERIES, topn=10, restrict_vocab=0, search="exact")
    found = vectors.neighbours(QUERIES, topn=10, restrict_vocab=0, search="ann")
    assert recall(found, exact) >= 0.95


def test_ann_cosines_are_the_exact_ones_best_first(vectors):
    exact = {(entry.word, n.word): n.cosine
             for entry in vectors.neighbours(QUERIES, topn=50, restrict_vocab=0, search="exact") for n in entry.items}
    compared = 0
    for entry in vectors.neighbours(QUERIES, topn=10, restrict_vocab=0, search="ann"):
        cosines = [n.cosine for n in entry.items]
        assert cosines == sorted(cosines, reverse=True)
        assert entry.word not in [n.word for n in entry.items]  # the query word itself is left out
        for n in entry.items:
            if (entry.word, n.word) in exact:
                assert n.cosine == pytest.approx(exact[entry.word, n.word], abs=1e-6)
                compared += 1
    assert compared >= 0.9 * 10 * len(QUERIES)


def test_ann_honours_restrict_vocab(vectors):
    for entry in vectors.neighbours(QUERIES, topn=10, restrict_vocab=1000, search="ann"):
        assert len(entry.items) == 10
        assert all(vectors.row_of[n.word] < 1000 for n in entry.items)


def test_index_is_built_once_then_read_from_the_disk_cache(matrix_file, private_cache, monkeypatch):
    stages: list[tuple[str, float]] = []
    first = static_vectors(matrix_file, "clustered")
    first.ann_index_for(0, progress=lambda stage, fraction: stages.append((stage, fraction)))
    assert [path.suffix for path in private_cache.iterdir()] == [".faiss"]
    assert any("indexing" in stage for stage, _ in stages)
    assert stages[-1][1] == 1.0
    fractions = [fraction for _, fraction in stages]
    assert fractions == sorted(fractions)

    def no_second_build(*args, **kwargs):
        raise AssertionError("the index was built again")

    monkeypatch.setattr(ann, "build", no_second_build)
    again = static_vectors(matrix_file, "clustered")
    again.ann_index_for(0)
    assert again.neighbours(QUERIES[:3], restrict_vocab=0, search="ann") == first.neighbours(
        QUERIES[:3], restrict_vocab=0, search="ann")


def test_a_changed_vectors_file_gets_a_new_index(tmp_path, private_cache):
    path = tmp_path / "changing.npy"
    np.save(path, clustered_matrix(seed=1))
    static_vectors(path, "v").ann_index_for(0)
    np.save(path, clustered_matrix(seed=2))
    static_vectors(path, "v").ann_index_for(0)
    assert len(list(private_cache.iterdir())) == 2


def test_a_damaged_cache_file_is_rebuilt(matrix_file, private_cache):
    vectors = static_vectors(matrix_file, "c")
    vectors.ann_index_for(0)
    (cached,) = private_cache.iterdir()
    cached.write_bytes(b"not an index")
    again = static_vectors(matrix_file, "c")
    again.ann_index_for(0)
    assert again.ann_index_for(0).rows == ROWS
    assert cached.stat().st_size > 1000


def test_auto_uses_the_index_only_from_the_threshold_on(vectors, monkeypatch):
    assert vectors.uses_ann(restrict_vocab=0) is (ROWS * DIM >= ann.ANN_MIN_WORK)
    monkeypatch.setattr(ann, "ANN_MIN_WORK", 2000 * DIM)
    assert not vectors.uses_ann(restrict_vocab=1999)
    assert vectors.uses_ann(restrict_vocab=2000)
    assert vectors.uses_ann(restrict_vocab=0)  # 0: the whole vocabulary
    assert not vectors.uses_ann(restrict_vocab=0, search="exact")
    assert vectors.uses_ann(restrict_vocab=10, search="ann")


def test_small_vocabularies_search_exactly_by_default(tiny_vectors):
    assert tiny_vectors.search == "auto"
    assert not tiny_vectors.uses_ann(restrict_vocab=0)
    tiny_vectors.neighbours(["river"], restrict_vocab=0)
    assert tiny_vectors.ann_indexes == {}


def test_threshold_is_where_a_scan_stops_being_cheap():
    # The bundled GloVe's whole vocabulary and GoogleNews' default 100,000 stay exact; all of
    # GoogleNews' 3,000,000 x 300 does not.
    assert not ann.worth_an_index(400_000, 50)
    assert not ann.worth_an_index(100_000, 300)
    assert ann.worth_an_index(3_000_000, 300)


def test_each_restrict_vocab_has_its_own_index(vectors):
    vectors.neighbours(QUERIES[:2], restrict_vocab=1000, search="ann")
    vectors.neighbours(QUERIES[:2], restrict_vocab=0, search="ann")
    assert sorted(vectors.ann_indexes) == [1000, ROWS]


@pytest.mark.parametrize("rows", [10, 100, 6000, 400_000, 3_000_000])
def test_lists_have_enough_training_rows(rows):
    settings = ann.AnnSettings.for_rows(rows)
    assert settings.lists >= 1
    assert settings.lists * ann.TRAIN_PER_LIST <= max(rows, ann.TRAIN_PER_LIST)
    assert settings.lists >= min(16, rows // ann.TRAIN_PER_LIST // 2)



@pytest.mark.parametrize("lists", [16, 100, 128])
def test_two_level_centres_are_one_unit_vector_per_list_near_the_rows(lists):
    rows = clustered_matrix(rows=lists * ann.TRAIN_PER_LIST)
    units = np.ascontiguousarray(rows / np.linalg.norm(rows, axis=1, keepdims=True), dtype=np.float32)
    centres = ann.two_level_centres(units, lists)
    assert centres.shape == (lists, DIM)
    assert np.linalg.norm(centres, axis=1) == pytest.approx(np.ones(lists), abs=1e-4)
    # k-means centres sit nearer their rows than as many of the rows picked at random would.
    random_rows = units[np.random.default_rng(0).choice(len(units), size=lists, replace=False)]
    assert (units @ centres.T).max(axis=1).mean() > (units @ random_rows.T).max(axis=1).mean()


def test_a_build_leaves_the_callers_faiss_threads_as_they_were(matrix_file):
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(3)  # not what the build sets its own k-means to (one thread)
    try:
        static_vectors(matrix_file, "clustered").ann_index_for(0)
        assert faiss.omp_get_max_threads() == 3
    finally:
        faiss.omp_set_num_threads(before)

# ---------------------------------------------------------------------------------------------
# The CLI's --neighbour-search
# ---------------------------------------------------------------------------------------------


def test_cli_ann_search_gives_the_exact_answer_on_a_small_vocabulary(capsys, vectors_file, private_cache):
    from cli_support import run_json

    argv = ["neighbours", "river", "queen", "--vectors", vectors_file, "--topn", "5", "--restrict-vocab", "0"]
    exact = run_json(capsys, *argv, "--neighbour-search", "exact")
    approximate = run_json(capsys, *argv, "--neighbour-search", "ann")
    assert same_answers(approximate, exact)  # one list: the index scans everything
    assert len(list(private_cache.iterdir())) == 1  # built and saved on first use
    assert same_answers(run_json(capsys, *argv, "--neighbour-search", "ann"), exact)
    assert len(list(private_cache.iterdir())) == 1  # then reused


def same_answers(report_a: dict, report_b: dict) -> bool:
    """Same words in the same order; cosines equal to float32 rounding (a different BLAS call)."""
    for a, b in zip(report_a["neighbours"], report_b["neighbours"], strict=True):
        assert [item["word"] for item in a["items"]] == [item["word"] for item in b["items"]]
        assert [item["cosine"] for item in a["items"]] == pytest.approx([item["cosine"] for item in b["items"]],
                                                                        abs=1e-6)
    return True


def test_cli_auto_search_builds_no_index_for_a_small_vocabulary(capsys, vectors_file, private_cache):
    from cli_support import run_json

    run_json(capsys, "neighbours", "river", "--vectors", vectors_file, "--restrict-vocab", "0")
    assert not private_cache.exists()


def test_cli_rejects_an_unknown_search(capsys, vectors_file):
    from cli_support import run

    code, out, err = run(capsys, "neighbours", "river", "--vectors", vectors_file, "--neighbour-search", "fast")
    assert code == 2 and out == "" and "--neighbour-search" in err and "Traceback" not in err


def test_the_explorer_takes_restrict_vocab_and_the_search_mode(capsys, monkeypatch, vectors_file):
    from wordlens.tui.app import WordLensApp
    from wordlens.tui.cli.main import main

    opened = {}

    def record(self, *args, **kwargs):
        opened["settings"] = self.settings
        opened["vectors"] = self.engine.load_vectors()

    monkeypatch.setattr(WordLensApp, "run", record)
    assert main(["--vectors", str(vectors_file), "--restrict-vocab", "7", "--neighbour-search", "exact"]) == 0
    assert opened["settings"].restrict_vocab == 7
    assert opened["vectors"].search == "exact"
