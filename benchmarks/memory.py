"""Peak memory of the explorer: both bundled models loaded, the app running (headless, 120x36) and a
sentence typed into it one key at a time until every pane shows its analysis.

Peak resident set size from getrusage (ru_maxrss: kilobytes on Linux, bytes on macOS), in MB
(2**20 bytes). Run it as its own process (benchmarks/run.py does) so nothing else counts.
Prints JSON: {"rss_mb": ..., "rss_models_only_mb": ...} (the second: before the app started).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

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


def main() -> int:
    engine = loaded_engine()
    models_only = peak_rss_mb()
    asyncio.run(type_into_the_app(engine))
    print(json.dumps({"rss_mb": round(peak_rss_mb(), 1), "rss_models_only_mb": round(models_only, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
