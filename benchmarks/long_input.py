"""A long input: one more character typed into a ~2500-character sentence (the model's 512 tokens).

In-process, with the real bundled models loaded (and a 512-token forward pass done once) before any
timing, the app runs headless (`run_test`, 120x36) with a ~2500-character sentence already typed.
The text cursor is put inside the first sentence (so every edit changes tokens the model sees, not
text past its 512-token cut), and one character at a time is typed there, EDITS times.

- edit_to_grid_ms: from the moment the key event is handed to the app's driver until the first
  painted frame whose view holds the complete analysis of the new text (frames timed by wrapping
  `app._display`, as benchmarks/edit_latency.py does). The debounce is included.
- max_stall_ms: the longest the event loop went without running: an asyncio task sleeps 5 ms in
  a loop and records its wake-ups; per edit, the largest gap between consecutive wake-ups from the
  keystroke to the painted frame. A loop that is never blocked shows ~5 ms (the sleep itself).

edit_to_grid_ms is the median over the EDITS edits; max_stall_ms is the worst stall of any edit
(the target is that no stall exceeds 50 ms), median_stall_ms beside it; every sample is printed too.
- analysis_ms, the floor: after each edit's frame, the same text analysed in-process by
  `Engine.analyze` on the same models (an engine with its own empty cache); edit_to_grid_ratio is
  the median edit over the median analysis (the target: <= 1.2).
The same is then measured with the attention pane on rollout (`a` three times), where the view costs
a 512 x 512 matrix product chain.
Prints JSON: {"long_input": {"tokens", "edit_to_grid_ms", "max_stall_ms", ...}}.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from itertools import pairwise

from common import loaded_engine
from edit_latency import STAGES, mark_stages

SENTENCES = (
    "France is a country, it is in Europe.",
    "The queen spoke to the woman and her dog.",
    "I sat by the river bank and watched the water.",
    "Paris is the capital of France and it is on the Seine.",
    "She deposited the money at the bank before noon.",
)
TARGET_CHARS = 2500
SIZE = (120, 36)
TYPED = " and also"  # typed one character at a time after "Europe" in the first sentence
EDITS = len(TYPED)
TICK_SECONDS = 0.005
POLL_SECONDS = 0.002
TIMEOUT_SECONDS = 120.0
_KEY_NAMES = {" ": "space", ",": "comma", ".": "full_stop"}


def long_text() -> str:
    parts: list[str] = []
    index = 0
    while len(" ".join(parts)) < TARGET_CHARS:
        parts.append(SENTENCES[index % len(SENTENCES)])
        index += 1
    return " ".join(parts)


async def _wait_until(condition, what: str) -> None:
    deadline = time.perf_counter() + TIMEOUT_SECONDS
    while not condition():
        if time.perf_counter() > deadline:
            raise RuntimeError(f"long_input: timed out waiting for {what}")
        await asyncio.sleep(POLL_SECONDS)


def _largest_gap(wakeups: list[float], start: float, end: float) -> float:
    """The largest gap between consecutive wake-ups that overlaps [start, end]."""
    gaps = [later - earlier for earlier, later in pairwise(wakeups) if later >= start and earlier <= end]
    return max(gaps) if gaps else float("nan")


async def measure(engine, text: str, aggregate_presses: int) -> dict:
    from textual import events
    from textual.widgets import Input

    from wordlens.core.engine import Engine
    from wordlens.tui.app import WordLensApp

    app = WordLensApp(engine, text=text)
    floor_engine = Engine.from_loaded(engine.vectors, engine.model)  # same models, its own empty cache
    analysis_ms: list[float] = []
    painted: list[tuple[float, str | None]] = []
    display = app._display

    def timed_display(screen, renderable):
        display(screen, renderable)
        analysis = app.view.analysis
        complete = analysis is not None and analysis.complete
        painted.append((time.perf_counter(), analysis.text if complete else None))

    app._display = timed_display
    wakeups: list[float] = []
    ticking = True

    async def ticker() -> None:
        while ticking:
            wakeups.append(time.perf_counter())
            await asyncio.sleep(TICK_SECONDS)

    edit_ms: list[float] = []
    stall_ms: list[float] = []
    marks: dict[str, float] = {}
    stages: dict[str, list[float]] = {stage: [] for stage in STAGES}
    mark_stages(marks)
    async with app.run_test(size=SIZE) as pilot:
        text_input = app.query_one("#text", Input)
        await _wait_until(lambda: app.view.analysis is not None and app.view.analysis.complete
                          and app.view.analysis.text == text, "the first analysis")
        tokens = len(app.view.analysis.context.tokens)
        if aggregate_presses:
            await pilot.press("tab", *["a"] * aggregate_presses, "e")
            await pilot.pause()
        aggregate = app.view.aggregate
        text_input.cursor_position = text.index("Europe") + len("Europe")
        await pilot.pause()
        if app.focused is not text_input:
            raise RuntimeError(f"long_input: the sentence line lost the focus to {app.focused!r}")
        tick_task = asyncio.create_task(ticker())
        await asyncio.sleep(0.1)
        for char in TYPED[:EDITS]:
            cursor = text_input.cursor_position
            expected = text_input.value[:cursor] + char + text_input.value[cursor:]
            painted.clear()
            marks.clear()
            start = time.perf_counter()
            app._driver.send_message(events.Key(_KEY_NAMES.get(char, char), char))
            await _wait_until(
                lambda expected=expected: any(shown == expected for _, shown in painted), f"the frame after {char!r}"
            )
            frame_time = next(when for when, shown in painted if shown == expected)
            await asyncio.sleep(3 * TICK_SECONDS)  # let the ticker wake once past the frame
            edit_ms.append((frame_time - start) * 1000)
            marks["painted"] = frame_time
            for stage in STAGES:
                if stage in marks:
                    stages[stage].append(round((marks[stage] - start) * 1000, 1))
            stall_ms.append(_largest_gap(wakeups, start, frame_time) * 1000)
            if len(app.view.analysis.context.tokens) != tokens:
                raise RuntimeError("long_input: the token count changed; the edit should stay inside the window")
            await pilot.pause()
            # The floor, interleaved edit by edit: the same text analysed in-process.
            floor_start = time.perf_counter()
            floor_engine.analyze(expected, app.settings)
            analysis_ms.append((time.perf_counter() - floor_start) * 1000)
            await pilot.pause()
        ticking = False
        await tick_task
    return {"tokens": tokens, "aggregate": aggregate, "edit_ms": edit_ms, "stall_ms": stall_ms,
            "analysis_ms": analysis_ms, "stages_ms": stages}


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def main() -> int:
    engine = loaded_engine()
    model = engine.model
    text = long_text()
    engine.analyze("warm up: " + text)  # one-off costs of a 512-token forward pass, paid before timing
    head = asyncio.run(measure(engine, text, aggregate_presses=0))
    rollout = asyncio.run(measure(engine, text + " ", aggregate_presses=3))  # a new text: nothing cached
    if rollout["aggregate"] != "rollout":
        raise RuntimeError(f"long_input: expected the rollout view, got {rollout['aggregate']}")
    report = {
        "long_input": {
            "tokens": head["tokens"],
            "edit_to_grid_ms": _median(head["edit_ms"]),
            "analysis_ms": _median(head["analysis_ms"]),
            "edit_to_grid_ratio": round(statistics.median(head["edit_ms"]) / statistics.median(head["analysis_ms"]), 2),
            "rollout_analysis_ms": _median(rollout["analysis_ms"]),
            "rollout_edit_to_grid_ratio": round(statistics.median(rollout["edit_ms"])
                                                / statistics.median(rollout["analysis_ms"]), 2),
            "max_stall_ms": round(max(head["stall_ms"]), 1),
            "median_stall_ms": _median(head["stall_ms"]),
            "rollout_edit_to_grid_ms": _median(rollout["edit_ms"]),
            "rollout_max_stall_ms": round(max(rollout["stall_ms"]), 1),
            "rollout_median_stall_ms": _median(rollout["stall_ms"]),
            "samples": {
                "edit_to_grid_ms": [round(value, 1) for value in head["edit_ms"]],
                "max_stall_ms": [round(value, 1) for value in head["stall_ms"]],
                "rollout_edit_to_grid_ms": [round(value, 1) for value in rollout["edit_ms"]],
                "rollout_max_stall_ms": [round(value, 1) for value in rollout["stall_ms"]],
                "analysis_ms": [round(value, 1) for value in head["analysis_ms"]],
                "stages_ms": head["stages_ms"],  # ms from the key to each stage (edit_latency.STAGES), per edit
            },
            "chars": len(text),
            "model_max_tokens": model.info.max_tokens,
            "edits": EDITS,
            "tick_ms": TICK_SECONDS * 1000,
            "terminal": f"headless {SIZE[0]}x{SIZE[1]}",
            "note": "edit_to_grid: median over the edits; max_stall: the worst edit's largest gap between "
            "wake-ups of a 5 ms sleeper (~5 ms when never blocked); rollout_* with the attention pane on rollout",
        }
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
