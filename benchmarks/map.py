"""The map screen (p): what it costs to draw, on the bundled models.

- pca_fit_s: the fixed PCA map of GloVe's 10,000 most frequent words, fitted from a cold cache;
  pca_cached_s: read back from the disk cache (what every later start pays);
- sentence_map_ms: the numbers of one map for a 30-token sentence (static points and neighbours,
  both banks' paths through the map into static space, the model space of every layer), median
  and p95, computed in a background thread by the screen;
- layout_ms: the canvas laying that map out at 120x36 (labels, braille, the UI thread's share);
- umap_300_s: UMAP of 300 words from scratch (first: with numba's compilation, second: warm);
- edit_ms: in the explorer (headless, 120x36), the bank sentence typed one character at a time,
  `without_map`: keystroke -> the frame in which every pane shows the new text (as
  benchmarks/edit_latency.py measures it), `with_map`: the map open (static PCA map, the focused
  `bank`'s paths) and the keystroke typed in its sentence line -> the frame in which the map shows
  the new text; both in the same run, alternating two rounds each (different first words, so no
  analysis comes from the engine's cache), and the ratio of their p95.

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
from edit_latency import SIZE, WARMUP_TEXT, _wait_until, every_pane_current  # noqa: E402

SENTENCE = "I sat on the river bank by the old mill, then walked into town and paid the cheque in at the bank today"
RUNS = 30
ROUNDS = (("I", "We"), ("You", "They"))  # (without the map, with it): the sentence's first word
KEY_NAMES = {" ": "space", ",": "comma"}


async def edit_latencies(engine, first_word: str, with_map: bool) -> list[float]:
    """ms from each keystroke to the frame showing its text: in every pane, or on the map."""
    from textual import events

    from wordlens.tui.app import WordLensApp
    from wordlens.tui.screens.map import MapScreen

    rest = SENTENCE.removeprefix("I")
    app = WordLensApp(engine, text=first_word)
    painted: list[tuple[float, str | None]] = []
    display = app._display

    def shown(app) -> str | None:
        if with_map:
            return app.screen.shown_text if isinstance(app.screen, MapScreen) else None
        return every_pane_current(app)

    def timed_display(screen, renderable):
        display(screen, renderable)
        painted.append((time.perf_counter(), shown(app)))

    app._display = timed_display
    samples = []
    async with app.run_test(size=SIZE) as pilot:
        await _wait_until(lambda: app.models.ready and every_pane_current(app) == first_word, "the first word")
        if with_map:
            await pilot.press("escape", "p")
            await _wait_until(lambda: isinstance(app.screen, MapScreen) and app.screen.shown_text == first_word,
                              "the map")
            await pilot.press("e", "end")
        await pilot.pause()
        typed = first_word
        for char in rest:
            typed += char
            painted.clear()
            start = time.perf_counter()
            app._driver.send_message(events.Key(KEY_NAMES.get(char, char), char))
            await _wait_until(lambda typed=typed: any(text == typed for _, text in painted),
                              f"the frame after {char!r}")
            samples.append((next(when for when, text in painted if text == typed) - start) * 1000)
            await pilot.pause()
    return samples


def edit_figures(engine) -> dict:
    import asyncio

    import numpy as np

    engine.analyze(WARMUP_TEXT)
    runs: dict[str, list[float]] = {"without_map": [], "with_map": []}
    for without, with_map in ROUNDS:
        runs["without_map"] += asyncio.run(edit_latencies(engine, without, with_map=False))
        runs["with_map"] += asyncio.run(edit_latencies(engine, with_map, with_map=True))
    figures: dict = {name: {"p50": round(float(np.percentile(values, 50)), 1),
                            "p95": round(float(np.percentile(values, 95)), 1), "n": len(values)}
                     for name, values in runs.items()}
    figures["p95_ratio"] = round(figures["with_map"]["p95"] / figures["without_map"]["p95"], 2)
    figures["terminal"] = f"headless {SIZE[0]}x{SIZE[1]}"
    return figures


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

    edits = edit_figures(engine)

    print(json.dumps({"map": {
        "tokens": len(context.tokens), "points_drawn": len(points),
        "pca_fit_s": round(pca_fit, 3), "pca_cached_s": round(pca_cached, 3),
        "sentence_map_ms": {"median": round(statistics.median(timings), 2), "p95": round(percentile(timings, 0.95), 2)},
        "layout_ms": {"median": round(statistics.median(layouts), 2), "p95": round(percentile(layouts, 0.95), 2)},
        "umap_300_s": {"first": round(umap_runs[0], 2), "second": round(umap_runs[1], 2)},
        "edit_ms": edits,
    }}))


if __name__ == "__main__":
    main()
