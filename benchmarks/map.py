"""The map screen (p): what it costs to draw, on the bundled models.

- pca_fit_s: the fixed PCA map of GloVe's 10,000 most frequent words, fitted from a cold cache;
  pca_cached_s: read back from the disk cache (what every later start pays);
- sentence_map_ms: the numbers of one map for a 30-token sentence (static points and neighbours,
  both banks' paths through the map into static space, the model space of every layer), median
  and p95, computed in a background thread by the screen;
- layout_ms: the canvas laying that map out at 120x36 (labels, braille, the UI thread's share);
- umap_300_s: UMAP of 300 words from scratch (first: with numba's compilation, second: warm).

Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import loaded_engine  # noqa: E402

SENTENCE = "I sat on the river bank by the old mill, then walked into town and paid the cheque in at the bank today"
RUNS = 30


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="wordlens-bench-map-")
    from wordlens.core.measures.map_views import same_word_tokens, sentence_map
    from wordlens.core.vectors.static_projection import fit_static_projection
    from wordlens.tui.panes.map_canvas import Drawing, lay_out

    engine = loaded_engine()
    vectors = engine.load_vectors()
    started = time.perf_counter()
    projection = fit_static_projection(vectors, "pca")
    pca_fit = time.perf_counter() - started
    started = time.perf_counter()
    fit_static_projection(vectors, "pca")
    pca_cached = time.perf_counter() - started

    analysis = engine.analyze(SENTENCE)
    context = analysis.require_context()
    bank = max(index for index, token in enumerate(context.tokens) if token == "bank")  # the money bank
    assert len(same_word_tokens(context, bank)) == 2
    static_map = engine.static_map()
    timings, found = [], None
    for _ in range(RUNS):
        started = time.perf_counter()
        found = sentence_map(analysis, vectors, projection, static_map, bank, context.word_of(bank))
        timings.append((time.perf_counter() - started) * 1000)
    assert found is not None
    points = found.static + tuple(point for path in found.paths for point in path.points)
    drawing = Drawing(points, ("",) * len(points), tuple(p.kind for p in points), tuple(p.label for p in points),
                      focus=0)
    layouts = []
    for _ in range(RUNS):
        started = time.perf_counter()
        lay_out(drawing, 118, 30, cursor=0)
        layouts.append((time.perf_counter() - started) * 1000)

    umap_runs = []
    for _ in range(2):
        started = time.perf_counter()
        fit_static_projection(vectors, "umap", size=300, use_cache=False)
        umap_runs.append(time.perf_counter() - started)

    print(json.dumps({"map": {
        "tokens": len(context.tokens), "points_drawn": len(points),
        "pca_fit_s": round(pca_fit, 3), "pca_cached_s": round(pca_cached, 3),
        "sentence_map_ms": {"median": round(statistics.median(timings), 2), "p95": round(percentile(timings, 0.95), 2)},
        "layout_ms": {"median": round(statistics.median(layouts), 2), "p95": round(percentile(layouts, 0.95), 2)},
        "umap_300_s": {"first": round(umap_runs[0], 2), "second": round(umap_runs[1], 2)},
    }}))


if __name__ == "__main__":
    main()
