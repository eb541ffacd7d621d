"""The mechanism screen and switching heads off: what they cost.

- forward pass: the bundled model's ContextModel.run on the demo sentence, with and without the
  capture of every layer's queries and keys (the analysis always captures them);
- ablation re-analysis: Engine.analyze of the same sentence with a head switched off that no
  earlier analysis had off (so its forward pass is not cached; the static part comes from the intact
  analysis, which the explorer always has), against the forward pass;
- the screen, headless at 120x36: from the `n` key event to the first frame that shows the screen
  (the first open also normalises the model's input table, once), and from a key on the screen
  (from / to / layer / head) to the first frame showing the moved pair. Frames are timed by wrapping
  the app's `_display`, as benchmarks/edit_latency.py does.

Prints JSON: {"mechanism": {...}}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import numpy as np
from common import loaded_engine

SENTENCE = "France is a country, it is in Europe"
SIZE = (120, 36)
RUNS = 30
MOVES = ("right", "left", "down", "up", "full_stop", "comma", "right_square_bracket", "left_square_bracket") * 4
TIMEOUT_SECONDS = 60.0


def milliseconds(samples: list[float]) -> dict:
    values = np.array(samples) * 1000
    return {"p50": round(float(np.percentile(values, 50)), 2), "p95": round(float(np.percentile(values, 95)), 2),
            "n": int(values.size)}


def forward_passes(engine) -> dict:
    model = engine.model
    encoding = model.encode(SENTENCE)
    timings: dict[str, list[float]] = {"forward_plain": [], "forward_with_capture": [], "ablation_reanalysis": []}
    layers, heads = model.info.layers, model.info.heads
    engine.analyze(SENTENCE)  # the intact analysis, as the explorer has it when z is pressed
    for run in range(RUNS):
        for name, call in (
            ("forward_plain", lambda: model.run(encoding)),
            ("forward_with_capture", lambda: model.run(encoding, capture=True)),
            # a head no earlier analysis had off: the engine computes it anew
            ("ablation_reanalysis", lambda run=run: engine.analyze(
                SENTENCE, heads_off=frozenset({(run % layers, run // layers % heads)}))),
        ):
            started = time.perf_counter()
            call()
            timings[name].append(time.perf_counter() - started)
    result = {name: milliseconds(samples) for name, samples in timings.items()}
    result["ablation_over_forward_p50"] = round(
        result["ablation_reanalysis"]["p50"] / result["forward_with_capture"]["p50"], 2)
    return result


async def _wait_until(condition, what: str) -> None:
    deadline = time.perf_counter() + TIMEOUT_SECONDS
    while not condition():
        if time.perf_counter() > deadline:
            raise RuntimeError(f"mechanism: timed out waiting for {what}")
        await asyncio.sleep(0.002)


async def screen_latency(engine) -> dict:
    from textual import events

    from wordlens.tui.app import WordLensApp
    from wordlens.tui.screens.mechanism import MechanismScreen

    app = WordLensApp(engine, text=SENTENCE)
    painted: list[tuple[float, tuple | None]] = []
    display = app._display

    def shown() -> tuple | None:
        screen = app.screen
        if not isinstance(screen, MechanismScreen):
            return None
        return (screen.at_layer, screen.head, screen.source, screen.target)

    def timed_display(screen, renderable):
        display(screen, renderable)
        painted.append((time.perf_counter(), shown()))

    async def key_to_frame(key: str, character: str | None, changed) -> float:
        painted.clear()
        started = time.perf_counter()
        app._driver.send_message(events.Key(key, character))
        await _wait_until(lambda: any(changed(state) for _, state in painted), f"the frame after {key}")
        return next(when for when, state in painted if changed(state)) - started

    app._display = timed_display
    opens: list[float] = []
    moves: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await _wait_until(lambda: app.view.analysis is not None and app.view.analysis.complete
                          and app.view.analysis.text == SENTENCE, "the analysis")
        await pilot.press("tab")
        await pilot.pause()
        for _ in range(5):
            opens.append(await key_to_frame("n", "n", lambda state: state is not None))
            await pilot.pause()
            for key in MOVES:
                before = shown()
                moves.append(await key_to_frame(key, None, lambda state, before=before: state not in (None, before)))
                await pilot.pause()
            app.screen.dismiss(None)
            await _wait_until(lambda: shown() is None, "the screen closed")
            await pilot.pause()
    return {"open_first_ms": round(opens[0] * 1000, 2), "open_again": milliseconds(opens[1:]),
            "move_on_screen": milliseconds(moves), "terminal": f"headless {SIZE[0]}x{SIZE[1]}"}


def main() -> int:
    engine = loaded_engine()
    engine.analyze("a warm-up sentence for the first forward pass")
    report = {"mechanism": {"sentence": SENTENCE, **forward_passes(engine), **asyncio.run(screen_latency(engine))}}
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
