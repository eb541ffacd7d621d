"""Approximate neighbours on a GoogleNews-sized vocabulary: 3,000,000 x 300 synthetic vectors.

The vectors (benchmarks/synthetic.py explains their shape) are written once to
benchmarks/.cache/ and memory-mapped, like a user's big vectors file. Each run then:

- builds the faiss index from scratch into a temporary folder (build_s: training + adding, the
  one-time cost a user pays on first use; the cached file of a previous run is never reused);
- loads it back the way the app does (memory-mapped from the cache file);
- asks StaticVectors.neighbours, in "ann" mode and over the whole vocabulary (restrict_vocab=0),
  for the top-10 of 20 fixed query words: one untimed warm-up, then the median of RUNS runs
  (query_ms);
- compares with exact cosine search over all 3,000,000 rows (recall_at_10: the mean share of the
  exact top-10 that the index returns; exact_ms: the same 20 words by exact search).

Prints JSON: {"ann": {"vectors", "dim", "query_ms", "recall_at_10", "build_s", ...}}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from synthetic import synthetic_vectors

CACHE = Path(__file__).resolve().parent / ".cache"
COUNT, DIM = 3_000_000, 300
QUERY_COUNT = 20
TOPN = 10
RUNS = 5
SCAN_CHUNK = 200_000


def query_rows(count: int) -> np.ndarray:
    """20 fixed rows: half among the 100,000 most frequent words (what people type), half anywhere."""
    rng = np.random.default_rng(7)
    frequent = rng.choice(min(count, 100_000), size=QUERY_COUNT // 2, replace=False)
    anywhere = rng.choice(count, size=QUERY_COUNT - QUERY_COUNT // 2, replace=False)
    return np.concatenate([frequent, anywhere])


def exact_top(matrix: np.ndarray, rows: np.ndarray, topn: int = TOPN) -> list[list[int]]:
    """The exact top-n rows by cosine for each query row (itself left out), scanning in chunks."""
    queries = np.asarray(matrix[rows], dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    best_rows = np.empty((len(rows), 0), dtype=np.int64)
    best_scores = np.empty((len(rows), 0), dtype=np.float32)
    for start in range(0, matrix.shape[0], SCAN_CHUNK):
        block = np.asarray(matrix[start:start + SCAN_CHUNK], dtype=np.float32)
        scores = (queries @ block.T) / np.linalg.norm(block, axis=1)[None, :]
        ids = np.arange(start, start + len(block))
        scores[ids[None, :] == rows[:, None]] = -np.inf
        best_rows = np.concatenate([best_rows, np.broadcast_to(ids, scores.shape)], axis=1)
        best_scores = np.concatenate([best_scores, scores], axis=1)
        keep = np.argpartition(-best_scores, topn, axis=1)[:, :topn]
        best_rows = np.take_along_axis(best_rows, keep, axis=1)
        best_scores = np.take_along_axis(best_scores, keep, axis=1)
    order = np.argsort(-best_scores, axis=1)
    return np.take_along_axis(best_rows, order, axis=1).tolist()


def recall_at(found: list[list[int]], truth: list[list[int]], topn: int = TOPN) -> float:
    return float(np.mean([len(set(f[:topn]) & set(t[:topn])) / topn for f, t in zip(found, truth, strict=True)]))


def median_ms(function, runs: int = RUNS) -> tuple[float, object]:
    function()
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


STARTED = time.perf_counter()


def stderr_progress(stage: str, fraction: float) -> None:
    print(f"ann: {time.perf_counter() - STARTED:6.1f} s {stage} {fraction:.0%}", file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-index", metavar="DIR", type=Path,
                        help="for tuning only: build the index into DIR once and reuse it (build_s is then null)")
    parser.add_argument("--count", type=int, default=COUNT,
                        help=f"index only the first COUNT of the {COUNT:,} vectors (for development; default all)")
    args = parser.parse_args()
    from wordlens.core.vectors import ann_index as ann
    from wordlens.core.vectors.static_vectors import StaticVectors

    matrix = synthetic_vectors(CACHE / f"synthetic-{COUNT}x{DIM}.npy", COUNT, DIM,
                               progress=lambda done, total: print(f"ann: writing vectors {done:,}/{total:,}",
                                                                  file=sys.stderr, flush=True))
    if args.count < COUNT:
        matrix = matrix[:args.count]  # still a memory map of the same file (the first rows are the same)
    rows = query_rows(len(matrix))
    truth = exact_top(matrix, rows)
    vectors = StaticVectors([f"w{i:07d}" for i in range(matrix.shape[0])], matrix,
                            name=f"synthetic {len(matrix):,} x {DIM}", source=str(matrix.filename))
    words = [vectors.words[row] for row in rows]

    with tempfile.TemporaryDirectory(prefix="wordlens-ann-bench-") as folder:
        if args.keep_index:
            folder = args.keep_index
            reused = any(Path(folder).glob("*.faiss"))
        load_before = os.getloadavg()[0]
        started, cpu_started = time.perf_counter(), time.process_time()
        built = ann.load_or_build(matrix, vectors.inverse_norms, ann.file_identity(matrix.filename),
                                  progress=stderr_progress, folder=Path(folder))
        build_s = None if args.keep_index and reused else time.perf_counter() - started
        # user + sys of every thread: what the build costs on an idle machine, where the wall time is this / cores
        build_cpu_s = None if build_s is None else time.process_time() - cpu_started
        load_after = os.getloadavg()[0]
        del built
        vectors.use_ann_index(ann.load_or_build(matrix, vectors.inverse_norms, ann.file_identity(matrix.filename),
                                                folder=Path(folder)))
        query_ms, found = median_ms(lambda: vectors.neighbours(words, topn=TOPN, restrict_vocab=0, search="ann"))
        index_mb = vectors.ann_index_for(0).path.stat().st_size / 2**20
        sweep = nprobe_sweep(vectors, words, truth)
        exact_ms, exact = median_ms(lambda: vectors.neighbours(words, topn=TOPN, restrict_vocab=0, search="exact"),
                                    runs=3)
    found_rows = [[vectors.row_of[item.word] for item in entry.items] for entry in found]
    exact_rows = [[vectors.row_of[item.word] for item in entry.items] for entry in exact]
    print(json.dumps({"ann": {
        "vectors": len(matrix),
        "dim": DIM,
        "query_ms": round(query_ms, 1),
        "recall_at_10": round(recall_at(found_rows, truth), 3),
        "build_s": None if build_s is None else round(build_s, 1),
        "build_cpu_s": None if build_cpu_s is None else round(build_cpu_s, 1),
        "load_1min": [round(load_before, 2), round(load_after, 2)],  # before and after the build: others' work
        "exact_ms": round(exact_ms, 1),
        "exact_agrees_with_scan": recall_at(exact_rows, truth) == 1.0,
        "library": "faiss-cpu",
        "index": f"IVF{built_lists(vectors)}_HNSW32,PQ{ann.pq_subvectors(DIM)}x4fs "
                 f"nprobe={vectors.ann_index_for(0).settings.nprobe} rerank={vectors.ann_index_for(0).settings.rerank}",
        "index_mb": round(index_mb, 1),
        "nprobe_sweep": sweep,
        "query_words": QUERY_COUNT,
        "runs": RUNS,
    }}))
    return 0


def nprobe_sweep(vectors, words: list[str], truth: list[list[int]]) -> list[dict]:
    """query_ms and recall@10 for other numbers of probed lists (the default is measured above)."""
    index = vectors.ann_index_for(0)
    default = index.settings
    sweep = []
    for nprobe in (32, 64, 128, 256):
        for rerank in (100, 300, 1000):
            index.settings = replace(default, nprobe=nprobe, rerank=rerank)
            ms, found = median_ms(lambda: vectors.neighbours(words, topn=TOPN, restrict_vocab=0, search="ann"), runs=3)
            rows = [[vectors.row_of[item.word] for item in entry.items] for entry in found]
            sweep.append({"nprobe": nprobe, "rerank": rerank, "query_ms": round(ms, 1),
                          "recall_at_10": round(recall_at(rows, truth), 3)})
    index.settings = default
    return sweep


def built_lists(vectors) -> int:
    return vectors.ann_index_for(0).settings.lists


if __name__ == "__main__":
    sys.exit(main())
