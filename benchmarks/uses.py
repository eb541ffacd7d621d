"""The uses index (u, `wordlens index`, `wordlens uses`) on the bundled corpus and model.

- build_s / build_cpu_s: wall and CPU (user + sys, every thread) time of embedding the bundled
  corpus (Lee news + the enwiki excerpt's first sentences per article) at the default layers and
  writing the index, from an empty cache; only when it was built now (`built_now`): a valid index
  in ~/.cache/wordlens is reused unless --cold (then it is built in a temporary cache);
- size_mb: the index folder on disk;
- query_ms p50 / p95: one search (top 10, one use per sentence) for QUERIES tokens of corpus
  sentences at the last layer: what the explorer runs for every focus, layer or edit (it already
  holds the token's hidden state from its analysis);
- forward_ms p50 / p95: the forward pass of the query's sentence that `wordlens uses` adds (on
  QUERY_THREADS torch threads, as it runs it);
- recall_at_10: the sentences of those top 10 against an exact numpy search over the same stored
  vectors, one best token per sentence.

    .venv/bin/python benchmarks/uses.py [--cold]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

QUERIES = 200
TOP = 10


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold", action="store_true", help="build the index in an empty temporary cache")
    args = parser.parse_args()
    if args.cold:
        os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="wordlens-bench-uses-")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from wordlens.core.transformer.context_model import load_context_model
    from wordlens.core.uses.corpus import bundled_corpus
    from wordlens.core.uses.uses_index import QUERY_THREADS, build_index, cached_index, torch_threads

    model = load_context_model(device="cpu")
    corpus = bundled_corpus()
    load_at_build = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), cpu_seconds()
    index = cached_index(model, corpus)
    built = index is None
    if index is None:
        index = build_index(model, corpus)
    build_s, build_cpu_s = time.perf_counter() - started, cpu_seconds() - cpu_started
    layer = index.layers[-1]

    sentences = corpus.sentences()
    rng = np.random.default_rng(0)
    queries, forwards = [], []
    for number in rng.choice(len(sentences), size=QUERIES, replace=False):
        encoding = model.encode(sentences[int(number)].text)
        began = time.perf_counter()
        with torch_threads(QUERY_THREADS):  # as `wordlens uses` runs it
            hidden = model.run(encoding).hidden_states[layer]
        forwards.append((time.perf_counter() - began) * 1000)
        words = [i for i in range(len(encoding.tokens)) if not encoding.special[i]]
        queries.append(hidden[int(rng.choice(words))])

    timings, answers = [], []
    for query in queries:
        began = time.perf_counter()
        answers.append(index.search(query, layer, TOP))
        timings.append((time.perf_counter() - began) * 1000)

    recall = exact_recall(index, layer, queries, answers)
    print(json.dumps({"uses": {
        "corpus": corpus.name, "model": model.info.name, "layers": list(index.layers),
        "sentences": index.sentence_count, "tokens": index.token_count,
        "built_now": built, "build_s": round(build_s, 1) if built else None,
        "build_cpu_s": round(build_cpu_s, 1) if built else None, "loadavg_1m_at_build": round(load_at_build, 2),
        "search": index.manifest.get("search", {}), "size_mb": round(index.size_on_disk() / 2**20, 1),
        "query_ms_p50": round(statistics.median(timings), 2), "query_ms_p95": round(percentile(timings, 0.95), 2),
        "forward_ms_p50": round(statistics.median(forwards), 2), "forward_ms_p95": round(percentile(forwards, 0.95), 2),
        "queries": QUERIES, "recall_at_10": round(recall, 4), "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
        "targets": {"build_s": 300, "size_mb": 500, "query_ms_p95": 50},
    }}))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def exact_recall(index, layer: int, queries: list[np.ndarray], answers: list) -> float:
    """The share of the index's top-10 sentences that numpy's exact search over the same stored
    vectors also ranks in its top 10 (each sentence scored by its best token)."""
    from wordlens.core.uses.uses_index import unit_query

    stored = index.stored_vectors(layer)
    # each token's sentence, as the index answers it: one search per token would be slow, so read
    # the sentence ids from the index folder's own tokens file
    with np.load(index.folder / "tokens.npz") as data:
        sentence_of = data["sentence_ids"]
    hits = total = 0
    for query, answer in zip(queries, answers, strict=True):
        scores = stored @ unit_query(query)
        best: dict[int, float] = {}
        for row in np.argsort(-scores)[:TOP * 50]:
            sentence = int(sentence_of[row])
            if sentence not in best:
                best[sentence] = float(scores[row])
            if len(best) == TOP:
                break
        expected = set(best)
        found = {int(sentence_of[use.row]) for use in answer}
        hits += len(expected & found)
        total += len(expected)
    return hits / max(total, 1)


if __name__ == "__main__":
    main()
