"""Approximate nearest neighbours for vocabularies too big to scan for every keystroke.

A faiss inverted-file index over the unit-length rows of a vectors matrix: 2*sqrt(rows) lists
(k-means centres, kept in a small HNSW graph), each vector stored as a 4-bit product-quantizer
code of its 4-dimensional pieces (38 bytes for 300 dimensions, scanned with faiss's SIMD
"fast scan"). It is built once, on first use, and cached on disk under ~/.cache/wordlens/ann (or
$WORDLENS_CACHE/ann), keyed by the identity of the vectors file (path, size, modification time)
and the index settings. A search probes NPROBE lists, takes the RERANK best candidates by their
codes, then scores those exactly against the original (memory-mapped) matrix: the words it
returns carry the cosines exact search gives (to float32 rounding).

faiss was chosen by measurement over hnswlib and annoy (benchmarks/ann_libraries.py, on the first
300,000 of the synthetic 300-d vectors, two busy cores): hnswlib (M=16, efC=100) recalled 0.995 at
~33 ms but took 328 s to build, and its build grows faster than linearly (about an hour for 3M);
annoy (20 trees) reached 0.96 only at ~460 ms for 20 words; faiss IVF built in 225 s (mostly
k-means, since cut) with 0.99 at nprobe 32. At 3M, 8-bit scalar codes then took ~700 ms for 20
words: hence the 4-bit fast-scan codes and the larger exact re-ranking.

What a 3M build spends (issue 20): one-level k-means of 163,840 sample rows into 4096 centres
compared each row with every centre, ~100 s of CPU; the k-means is now two-level (two_level_centres,
~7 s with its refinement). What is left is mostly finding each vector's list in the centres' graph.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wordlens.core.errors import LoadError, first_line
from wordlens.core.progress import Progress, no_progress

if TYPE_CHECKING:
    import numpy as np

# Exact search for a sentence reads candidates x dimensions floats. Below ANN_MIN_WORK (200 MB)
# it stays exact: the bundled GloVe's 100,000 x 50 default answers 20 words in ~17 ms on two cores
# (benchmarks/neighbours.py), so its whole 400,000 x 50 (20M) in ~70 ms. GoogleNews' whole
# 3,000,000 x 300 (900M) takes 2.8-3.9 s (benchmarks/ann.py, exact_ms), so its default
# 100,000 x 300 (30M) ~0.1 s: still exact. From 50M floats (~0.2 s) on, the index answers.
ANN_MIN_WORK = 50_000_000
# Measured on 3,000,000 x 300 (benchmarks/ann.py's sweep): recall@10 is capped by how many
# candidates are re-scored (0.86 with 100 even probing 256 lists), then by the lists probed.
# 256 lists of 4096 and 1,000 candidates: recall 0.97, ~50 ms for 20 words on two busy cores.
NPROBE = 256
RERANK = 1000
MIN_ROWS_FOR_IVF = 1000
TRAIN_PER_LIST = 40  # k-means training rows per list (faiss warns below 39)
KMEANS_ITERATIONS = 10
KMEANS_SEED = 1234
# Two passes over all the centres after the two-level k-means: recall@10 probing 64 of 4096 lists of
# 1,000,000 x 300 went 0.959 (none) -> 0.976 (two), against 0.975 for one-level k-means (issue 20).
REFINE_PASSES = 2
PQ_TRAIN_ROWS = 16_384
ADD_CHUNK = 50_000
# The graph's search width while adding (one centre per vector). 200,000 x 300: 512 took 66 s of CPU
# to build, 64 28 s, 16 21 s, each with recall@10 1.000; 1,000,000 x 300 in 4096 lists, 200 queries:
# 16 and 8 both recall 0.995, and 8 adds the million in about half the CPU time.
ADD_EF_SEARCH = 8
INDEX_VERSION = 5  # bump when the way an index is built changes: old cache files are then ignored


def worth_an_index(candidates: int, dim: int) -> bool:
    """Whether searching `candidates` rows of `dim` floats is slow enough to use an index."""
    return candidates * dim >= ANN_MIN_WORK


@dataclass(frozen=True)
class AnnSettings:
    lists: int
    nprobe: int = NPROBE
    rerank: int = RERANK

    @classmethod
    def for_rows(cls, rows: int) -> AnnSettings:
        """About 2 * sqrt(rows) lists, a power of two, each with TRAIN_PER_LIST training rows."""
        import numpy as np

        lists = 2 ** int(round(np.log2(max(1.0, 2 * np.sqrt(rows)))))
        while lists > 1 and lists * TRAIN_PER_LIST > rows:
            lists //= 2
        return cls(lists=lists)


def cache_folder() -> Path:
    base = os.environ.get("WORDLENS_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "wordlens")
    return Path(base) / "ann"


def file_identity(path: str | Path) -> str:
    """Who a vectors file is: its resolved path, size and modification time."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return f"{resolved}|{stat.st_size}|{stat.st_mtime_ns}"


def index_path(identity: str, shape: tuple[int, int], settings: AnnSettings, folder: Path | None = None) -> Path:
    key = f"v{INDEX_VERSION}|{identity}|{shape[0]}x{shape[1]}|IVF{settings.lists}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    return (folder or cache_folder()) / f"{digest}.faiss"


class AnnIndex:
    """Approximate top-n by cosine over the rows of `matrix`, with exact scores for what it returns."""

    def __init__(self, index: Any, matrix: np.ndarray, inverse_norms: np.ndarray, settings: AnnSettings,
                 path: Path | None = None) -> None:
        self._index = index
        self._matrix = matrix
        self._inverse_norms = inverse_norms
        self.settings = settings
        self.path = path
        self._lock = threading.Lock()  # faiss search is thread-safe, but one search at a time is plenty

    @property
    def rows(self) -> int:
        return int(self._index.ntotal)

    def search(self, query_units: np.ndarray, topn: int, exclude: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each unit-length query: (row indices, exact cosines), best first, `topn` at most;
        `exclude[i]` is never returned for query i (the query word itself)."""
        import faiss
        import numpy as np

        queries = np.ascontiguousarray(query_units, dtype=np.float32)
        fetch = min(self.rows, max(self.settings.rerank, topn + 1))
        params = None
        if not isinstance(self._index, faiss.IndexFlat):
            # Never more lists than there are: faiss's HNSW quantizer pads with -1 and the scan
            # then returns rubbish.
            params = faiss.SearchParametersIVF()  # (its keyword constructor is a wrapper mypy cannot see)
            params.nprobe = min(self.settings.nprobe, self._index.nlist)
        with self._lock:
            _, candidates = self._index.search(queries, fetch, params=params)
        results = []
        for query, row_candidates, excluded in zip(queries, candidates, exclude, strict=True):
            rows = np.unique(row_candidates[(row_candidates >= 0) & (row_candidates != excluded)])
            scores = (np.asarray(self._matrix[rows]) @ query) * self._inverse_norms[rows]
            order = np.argsort(-scores, kind="stable")[:topn]
            results.append((rows[order], scores[order]))
        return results


def load_or_build(matrix: np.ndarray, inverse_norms: np.ndarray, identity: str, progress: Progress = no_progress,
                  folder: Path | None = None) -> AnnIndex:
    """The cached index for these vectors, built (and saved) first if there is none."""
    faiss = _import_faiss()
    settings = AnnSettings.for_rows(matrix.shape[0])
    path = index_path(identity, matrix.shape, settings, folder)
    if path.exists():
        progress("reading the neighbour index", 0.0)
        try:
            index = faiss.read_index(str(path))  # ~40 bytes a word: 115 MB for 3,000,000
        except RuntimeError:  # truncated or from another faiss: build it anew
            index = None
        if index is not None and index.ntotal == matrix.shape[0] and index.d == matrix.shape[1]:
            progress("neighbour index ready", 1.0)
            return AnnIndex(index, matrix, inverse_norms, settings, path)
    index = build(matrix, inverse_norms, settings, progress)
    save(index, path)
    progress("neighbour index ready", 1.0)
    return AnnIndex(index, matrix, inverse_norms, settings, path)


def build(
    matrix: np.ndarray, inverse_norms: np.ndarray, settings: AnnSettings, progress: Progress = no_progress
) -> Any:
    """An inner-product index over the unit-length rows of `matrix` (see the module's docstring)."""
    import numpy as np

    faiss = _import_faiss()
    rows, dim = matrix.shape
    progress("training the neighbour index", 0.0)
    quantizer_graph = None
    if rows < MIN_ROWS_FOR_IVF:  # nothing to gain: one flat list, exact
        index = faiss.IndexFlatIP(dim)
    else:
        # The lists' centres live in a small HNSW graph, so finding a vector's list when adding (and
        # a query's nearest lists) takes a few hundred dot products instead of one per list.
        index = faiss.index_factory(dim, f"IVF{settings.lists}_HNSW32,PQ{pq_subvectors(dim)}x4",
                                    faiss.METRIC_INNER_PRODUCT)
        # Polysemous training reorders the codes for Hamming filtering, which fast scan never does.
        index.do_polysemous_training = False
        index.pq.cp.min_points_per_centroid = 1  # small vocabularies: no "please provide more points" on stderr
        # Adding a vector asks the lists' graph for one nearest centre, a search probes nprobe of them:
        # the graph searches wide (efSearch) only for the latter. Adding with the search's width took
        # most of the build (a 3,000,000 x 300 build, issue 20).
        quantizer_graph = faiss.downcast_index(index.quantizer).hnsw
        quantizer_graph.efSearch = ADD_EF_SEARCH
        sample_size = min(rows, settings.lists * TRAIN_PER_LIST)
        sample = _units(matrix, inverse_norms,
                        np.sort(np.random.default_rng(0).choice(rows, size=sample_size, replace=False)))
        centres = two_level_centres(sample, settings.lists)
        index.quantizer.add(centres)
        # With its centres in place, training fits only the product quantizer, which reads 256 rows
        # per code at most (16 codes a piece): a slice of the sample is as good as all of it.
        with _faiss_threads(1):  # 75 k-means of 16 centres: tiny, see two_level_centres
            index.train(sample[:: max(1, len(sample) // PQ_TRAIN_ROWS)])
    progress("indexing the vectors", 0.1)
    for start in range(0, rows, ADD_CHUNK):
        stop = min(rows, start + ADD_CHUNK)
        index.add(_units(matrix, inverse_norms, slice(start, stop)))
        progress("indexing the vectors", 0.1 + 0.9 * stop / rows)
    if quantizer_graph is not None:
        quantizer_graph.efSearch = max(64, 2 * settings.nprobe)  # saved with the index, used by every search
    if isinstance(index, faiss.IndexIVFPQ):
        # Added as plain 4-bit PQ (adding to a fast-scan index repacks its lists at every chunk),
        # then repacked once into SIMD blocks: the same codes, scanned several times faster.
        fast = faiss.IndexIVFPQFastScan(index)
        index.own_fields, fast.own_fields = False, True  # the quantizer now belongs to `fast`
        index = fast
    return index


def two_level_centres(units: np.ndarray, lists: int) -> np.ndarray:
    """`lists` spherical k-means centres of the unit rows `units`, found in two levels: about
    sqrt(lists) coarse centres, then each coarse group split into its share of the lists (in
    proportion to its rows). Each row is compared with ~2*sqrt(lists) centres per iteration
    instead of all `lists`: one level took ~100 s of CPU for 4096 lists of 300-d (issue 20)."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    faiss = _import_faiss()
    dim = units.shape[1]
    coarse_count = max(1, int(round(np.sqrt(lists))))
    coarse = faiss.Kmeans(dim, coarse_count, niter=KMEANS_ITERATIONS, spherical=True, seed=KMEANS_SEED,
                          min_points_per_centroid=1)
    coarse.train(units)
    _, nearest = coarse.index.search(units, 1)
    groups = nearest.ravel()
    counts = np.bincount(groups, minlength=coarse_count)
    # Each group's share of the lists, rounded so that the shares add up to `lists`; a group never
    # gets more centres than rows, as every group holds ~len(units) / lists rows per share.
    shares = np.diff(np.concatenate([[0], np.cumsum(counts) * lists // len(units)]))

    def split(group: int) -> np.ndarray:
        # Small k-means, one per thread: faiss's own threads spend more time waiting on one another
        # than computing at this size, the more so on a busy machine.
        with _faiss_threads(1):
            fine = faiss.Kmeans(dim, int(shares[group]), niter=KMEANS_ITERATIONS, spherical=True,
                                seed=KMEANS_SEED, min_points_per_centroid=1)
            fine.train(units[groups == group])
            return np.asarray(fine.centroids, dtype=np.float32)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as workers:
        centres = list(workers.map(split, [group for group in range(coarse_count) if shares[group] > 0]))
    return refined_centres(units, np.ascontiguousarray(np.concatenate(centres), dtype=np.float32))


def refined_centres(units: np.ndarray, centres: np.ndarray, passes: int | None = None) -> np.ndarray:
    """k-means passes over all the centres at once, each row's nearest found through an HNSW
    graph of them: rows near the edge of a coarse group move to the nearest centre of the next."""
    import numpy as np

    faiss = _import_faiss()
    for _ in range(REFINE_PASSES if passes is None else passes):
        graph = faiss.IndexHNSWFlat(centres.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efSearch = ADD_EF_SEARCH
        graph.add(centres)
        _, nearest = graph.search(units, 1)
        order = np.argsort(nearest.ravel(), kind="stable")
        lists, starts = np.unique(nearest.ravel()[order], return_index=True)
        sums = np.add.reduceat(units[order], starts, axis=0)
        moved = centres.copy()
        moved[lists] = sums / np.linalg.norm(sums, axis=1, keepdims=True)
        centres = moved
    return centres


def pq_subvectors(dim: int) -> int:
    """Product-quantizer codes of 4-dimensional pieces of the vector (2- or 1-dimensional when
    the dimension does not divide by 4): 300-d vectors take 75 4-bit codes, 38 bytes."""
    for piece in (4, 2, 1):
        if dim % piece == 0:
            return dim // piece
    return dim


def save(index: Any, path: Path) -> None:
    """Write the index beside its final name, then rename: a crash never leaves half a cache file."""
    faiss = _import_faiss()
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        faiss.write_index(index, str(partial))
        partial.replace(path)
    except (OSError, RuntimeError):
        # A cache that cannot be written (read-only home, full disk) costs a rebuild next time, no more.
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def _units(matrix: np.ndarray, inverse_norms: np.ndarray, rows: Any) -> np.ndarray:
    import numpy as np

    block = np.asarray(matrix[rows], dtype=np.float32) * inverse_norms[rows, None]
    return np.ascontiguousarray(block, dtype=np.float32)


@contextlib.contextmanager
def _faiss_threads(count: int) -> Iterator[None]:
    """faiss (and its BLAS) on `count` threads in this thread only: OpenMP keeps the setting per thread."""
    faiss = _import_faiss()
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _import_faiss() -> Any:
    try:
        import faiss
    except ImportError as error:  # pragma: no cover - faiss-cpu is a dependency
        raise LoadError(f"approximate neighbours need faiss-cpu: {first_line(error)}") from error
    return faiss
