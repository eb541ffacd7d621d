"""Full garbage collections while the user pauses, not in the middle of a keystroke.

Python starts a full (oldest-generation) collection whenever enough objects have survived the
younger ones, whatever the program is doing. In the explorer each analysis leaves thousands of
long-lived objects (neighbour lists of hundreds of words, cached views), so a full collection came
every few edits and took 5-15 ms of the UI thread (100-150 ms before the loaded models were frozen
out of collections): the longest stalls while typing into a 512-token text. Here the automatic full
collections are turned off while the app runs, the young generations are collected as usual, and a
full collection runs once typing has paused for `pause` seconds, and then the allocator hands
what was freed back to the system (core/allocator.py). None runs while `holding()` says so (the
explorer: until both models are loaded, as the loaders' imports need the interpreter more, and the
collection after the first analysis with both models covers what they left).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from textual.app import App
from textual.timer import Timer

from wordlens.core import allocator

# A full collection after this many middle-generation ones: never, in practice, while the app runs.
NEVER = 10**9


class IdleCollector:
    def __init__(self, app: App, pause: float = 1.0, holding: Callable[[], bool] = lambda: False) -> None:
        self._app = app
        self._pause = pause
        self._holding = holding
        self._thresholds: tuple[int, int, int] | None = None
        self._timer: Timer | None = None
        self._last_activity = 0.0

    def start(self) -> None:
        self._thresholds = gc.get_threshold()
        young, middle, _ = self._thresholds
        gc.set_threshold(young, middle, NEVER)
        allocator.unmap_large_blocks_when_freed()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None

    def activity(self) -> None:
        """Something happened: collect once nothing has for `pause` seconds."""
        if self._thresholds is None:
            return
        self._last_activity = time.monotonic()
        # One timer a pause, not one per call (twice a keystroke): making a Timer costs ~0.3 ms of
        # the UI thread (it takes the App's repr).
        if self._timer is None:
            self._timer = self._app.set_timer(self._pause, self._due, name="collect garbage")

    def _due(self) -> None:
        self._timer = None
        idle = time.monotonic() - self._last_activity
        if idle < self._pause:  # something happened since the timer was set: wait out the rest
            self._timer = self._app.set_timer(self._pause - idle, self._due, name="collect garbage")
        else:
            self._collect()

    def _collect(self) -> None:
        if self._holding():
            return
        gc.collect()
        allocator.trim()
