"""How the approximate-neighbour libraries compare on the synthetic vectors (not part of make bench).

    .venv/bin/python benchmarks/ann_libraries.py [--count 300000] [--only faiss,hnswlib,annoy]

Needs hnswlib and annoy installed by hand (wordlens depends on faiss-cpu only). On the first
`count` rows of the synthetic 3,000,000 x 300 file (benchmarks/synthetic.py, written by ann.py):
build time, the time to answer 20 query words (median of 5, with the exact re-ranking wordlens
does) and recall@10 against exact cosine search, for a few settings of each library. Prints one
JSON line per (library, setting).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np
from ann import CACHE, TOPN, exact_top, query_rows, recall_at
from synthetic import synthetic_vectors

RERANK = 50  # candidates fetched from the index, re-scored exactly (as core/ann.py does)


def unit_chunks(matrix: np.ndarray, chunk: int = 100_000):
    for start in range(0, matrix.shape[0], chunk):
        block = np.asarray(matrix[start:start + chunk], dtype=np.float32)
        yield start, block / np.linalg.norm(block, axis=1, keepdims=True)


def rerank(matrix, query_units, candidates) -> list[list[int]]:
    answers = []
    for query, row, found in zip(query_units, QUERY_ROWS, candidates, strict=True):
        found = np.unique(found[(found >= 0) & (found != row)])
        block = np.asarray(matrix[np.sort(found)], dtype=np.float32)
        scores = block @ query / np.linalg.norm(block, axis=1)
        answers.append(list(np.sort(found)[np.argsort(-scores)[:TOPN]]))
    return answers


def measure(name, setting, build_s, search, matrix, query_units, truth) -> None:
    times, answers = [], None
    for _ in range(5):
        started = time.perf_counter()
        answers = rerank(matrix, query_units, search(query_units))
        times.append((time.perf_counter() - started) * 1000)
    print(json.dumps({"library": name, "setting": setting, "vectors": matrix.shape[0], "build_s": round(build_s, 1),
                      "query_ms": round(statistics.median(times), 2),
                      "recall_at_10": round(recall_at(answers, truth), 3)}), flush=True)


def try_faiss(matrix, query_units, truth) -> None:
    import faiss

    lists = int(4 * np.sqrt(matrix.shape[0]))
    for kind in ("SQ8", "Flat"):
        started = time.perf_counter()
        quantizer = faiss.IndexFlatIP(matrix.shape[1])
        index = (faiss.IndexIVFScalarQuantizer(quantizer, matrix.shape[1], lists, faiss.ScalarQuantizer.QT_8bit,
                                               faiss.METRIC_INNER_PRODUCT) if kind == "SQ8"
                 else faiss.IndexIVFFlat(quantizer, matrix.shape[1], lists, faiss.METRIC_INNER_PRODUCT))
        sample = np.random.default_rng(0).choice(matrix.shape[0], size=min(matrix.shape[0], 64 * lists), replace=False)
        train = np.asarray(matrix[np.sort(sample)], dtype=np.float32)
        index.train(train / np.linalg.norm(train, axis=1, keepdims=True))
        for _, block in unit_chunks(matrix):
            index.add(block)
        build_s = time.perf_counter() - started
        for nprobe in (8, 16, 32, 64):
            index.nprobe = nprobe
            measure("faiss", f"IVF{lists},{kind} nprobe={nprobe}", build_s,
                    lambda q, index=index: index.search(q, RERANK)[1], matrix, query_units, truth)


def try_hnswlib(matrix, query_units, truth) -> None:
    import hnswlib

    started = time.perf_counter()
    index = hnswlib.Index(space="ip", dim=matrix.shape[1])
    index.init_index(max_elements=matrix.shape[0], M=16, ef_construction=100)
    for start, block in unit_chunks(matrix):
        index.add_items(block, np.arange(start, start + len(block)))
    build_s = time.perf_counter() - started
    for ef in (50, 100, 200):
        index.set_ef(ef)
        measure("hnswlib", f"M=16 efC=100 ef={ef}", build_s,
                lambda q: index.knn_query(q, k=RERANK)[0].astype(np.int64), matrix, query_units, truth)


def try_annoy(matrix, query_units, truth) -> None:
    from annoy import AnnoyIndex

    started = time.perf_counter()
    index = AnnoyIndex(matrix.shape[1], "angular")
    for start, block in unit_chunks(matrix):
        for offset, vector in enumerate(block):
            index.add_item(start + offset, vector)
    index.build(20, n_jobs=-1)
    build_s = time.perf_counter() - started
    for search_k in (10_000, 50_000, 200_000):
        measure("annoy", f"trees=20 search_k={search_k}", build_s,
                lambda q, search_k=search_k: np.array(
                    [index.get_nns_by_vector(v, RERANK, search_k=search_k) for v in q]
                ),
                matrix, query_units, truth)


def main() -> int:
    global QUERY_ROWS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300_000)
    parser.add_argument("--only", default="faiss,hnswlib,annoy")
    args = parser.parse_args()
    full = synthetic_vectors(CACHE / "synthetic-3000000x300.npy", 3_000_000, 300)
    matrix = full[:args.count]
    QUERY_ROWS = query_rows(args.count)
    queries = np.asarray(matrix[QUERY_ROWS], dtype=np.float32)
    query_units = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    truth = exact_top(matrix, QUERY_ROWS)
    for name in args.only.split(","):
        {"faiss": try_faiss, "hnswlib": try_hnswlib, "annoy": try_annoy}[name](matrix, query_units, truth)
    return 0


QUERY_ROWS: np.ndarray = np.array([])

if __name__ == "__main__":
    sys.exit(main())
