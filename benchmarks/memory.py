"""Memory of the explorer, both bundled models loaded, the app running headless (120x36).

1. A sentence typed into it one key at a time until every pane shows its analysis: peak resident
   set size from getrusage (ru_maxrss: kilobytes on Linux, bytes on macOS), in MB (2**20 bytes).
   Run it as its own process (benchmarks/run.py does) so nothing else counts.
2. A long input (`python memory.py --long-input`, run by main() in a child process of its own so
   neither case sees the other's memory): the app shows a short sentence, then a ~2500-character
   text (the model's 512 tokens) and that text is edited EDITS times, one character typed inside
   its first sentence each time, the attention view cycled between edits (`a` aggregate:
   head/mean/max/rollout, `w` words, `s` specials); then the line goes back to the short sentence.
   Linux only (/proc/self/status): models_only is the RSS once both models are loaded (and the
   model's unit-scaled input table built, as the app does while loading), after a full gc and
   before the app starts; peak is VmHWM, reset (/proc/self/clear_refs) just before the long text
   is typed, so it covers its first analysis and the EDITS edits; after_short is the RSS
   SETTLE_SECONDS after the short sentence's analysis is shown, without forcing a collection (the
   app's own idle collection runs by then). Targets: peak <= models_only + 250 MB, after_short <=
   models_only + 100 MB.

Prints JSON: {"rss_mb": ..., "rss_models_only_mb": ..., "long_input_memory": {...}}.
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import loaded_engine

SENTENCE = "France is a country, it is in Europe"


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


async def type_into_the_app(engine) -> None:
    from textual import events

    from wordlens.tui.app import WordLensApp

    app = WordLensApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        for char in SENTENCE:
            app._driver.send_message(events.Key({" ": "space", ",": "comma"}.get(char, char), char))
            await pilot.pause()
        deadline = time.monotonic() + 60
        while not (app.view.analysis is not None and app.view.analysis.complete and app.view.analysis.text == SENTENCE):
            if time.monotonic() > deadline:
                sys.exit(f"memory: the app never showed the analysis of {SENTENCE!r}")
            await pilot.pause(0.05)
        await pilot.pause()


# ---- the long input -------------------------------------------------------------------------

SHORT = "France is a country, it is in Europe."
TYPED = " and so on again"  # one character per edit, typed after "Europe" in the first sentence
EDITS = len(TYPED)
VIEW_KEYS = ("a", "w", "a", "s", "a", "w", "a", "s")  # between edits, in turn: every aggregate, words, specials
SETTLE_SECONDS = 2.0
PEAK_TARGET_MB = 250
AFTER_SHORT_TARGET_MB = 100
TIMEOUT_SECONDS = 120.0


def status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 2**10
    raise RuntimeError(f"memory: no {field} in /proc/self/status")


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS (Linux 4.0+)


async def _until(condition, what: str, pilot) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"memory: timed out waiting for {what}")
        await pilot.pause(0.02)


def describe_view(view) -> str:
    return f"{view.aggregate}{' words' if view.words else ''}{' no-specials' if view.hide_special else ''}"


async def edit_a_long_input(engine, models_only: float) -> dict:
    from long_input import long_text
    from textual.widgets import Input

    from wordlens.tui.app import WordLensApp

    text = long_text()
    app = WordLensApp(engine, text=SHORT)

    def shown(expected: str) -> bool:
        analysis = app.view.analysis
        return analysis is not None and analysis.complete and analysis.text == expected

    views: list[str] = []
    async with app.run_test(size=(120, 36)) as pilot:
        text_input = app.query_one("#text", Input)
        await _until(lambda: shown(SHORT), "the short sentence", pilot)
        await pilot.pause(SETTLE_SECONDS)
        app_idle = status_mb("VmRSS")
        reset_peak()
        text_input.value = text
        await _until(lambda: shown(text), "the long text", pilot)
        tokens = len(app.view.analysis.context.tokens)
        cursor = text.index("Europe") + len("Europe")
        for index, char in enumerate(TYPED):
            text_input.cursor_position = cursor + index
            at = text_input.cursor_position
            expected = text_input.value[:at] + char + text_input.value[at:]
            await pilot.press({" ": "space"}.get(char, char))
            await _until(lambda expected=expected: shown(expected), f"edit {index + 1}", pilot)
            await pilot.press("escape", VIEW_KEYS[index % len(VIEW_KEYS)])  # explore, change the view
            await pilot.pause()
            views.append(describe_view(app.view))  # no local: it would hold the analysis at the end
            await pilot.press("e")  # back to the sentence line
            if len(app.view.analysis.context.tokens) != tokens:
                raise RuntimeError("memory: the token count changed; the edit should stay inside the window")
        peak = status_mb("VmHWM")
        text_input.value = SHORT
        await _until(lambda: shown(SHORT), "the short sentence again", pilot)
        await pilot.pause(SETTLE_SECONDS)
        after_short = status_mb("VmRSS")
        gc.collect()
        after_short_gc = status_mb("VmRSS")
        cached = engine.cached_bytes() / 2**20 if hasattr(engine, "cached_bytes") else None
    return {
        "tokens": tokens,
        "edits": EDITS,
        "chars": len(text),
        "views": views,
        "rss_models_only_mb": round(models_only, 1),
        "rss_app_idle_mb": round(app_idle, 1),
        "peak_rss_mb": round(peak, 1),
        "rss_after_short_mb": round(after_short, 1),
        "rss_after_short_gc_mb": round(after_short_gc, 1),
        "peak_delta_mb": round(peak - models_only, 1),
        "after_short_delta_mb": round(after_short - models_only, 1),
        "peak_target_delta_mb": PEAK_TARGET_MB,
        "after_short_target_delta_mb": AFTER_SHORT_TARGET_MB,
        "meets_targets": peak - models_only <= PEAK_TARGET_MB and after_short - models_only <= AFTER_SHORT_TARGET_MB,
        "engine_cached_mb": None if cached is None else round(cached, 1),
        "settle_s": SETTLE_SECONDS,
        "terminal": "headless 120x36",
    }


def long_input_main() -> int:
    engine = loaded_engine()
    engine.model.input_embedding_units()  # the app builds it while loading the model
    gc.collect()
    models_only = status_mb("VmRSS")
    print(json.dumps({"long_input_memory": asyncio.run(edit_a_long_input(engine, models_only))}))
    return 0


def main() -> int:
    if "--long-input" in sys.argv[1:]:
        return long_input_main()
    engine = loaded_engine()
    models_only = peak_rss_mb()
    asyncio.run(type_into_the_app(engine))
    report = {"rss_mb": round(peak_rss_mb(), 1), "rss_models_only_mb": round(models_only, 1)}
    child = subprocess.run([sys.executable, __file__, "--long-input"], stdout=subprocess.PIPE, text=True)
    if child.returncode != 0:
        sys.exit(f"memory: the long-input case failed with exit code {child.returncode}")
    report.update(json.loads([line for line in child.stdout.splitlines() if line.strip()][-1]))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
