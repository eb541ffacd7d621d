"""One-off computations for a screen or a file (metrics, referents, correlations, exports) in a
daemon thread; the result comes back to the UI thread as a `Computed` message."""

from __future__ import annotations

import threading
from collections.abc import Callable
from threading import Thread
from typing import Any, TypeVar

from textual.message import Message

from wordlens.tui.messages import Computed, ComputeFailed
from wordlens.tui.services.errors import describe

Result = TypeVar("Result")


class Background:
    def __init__(self, post: Callable[[Message], object]) -> None:
        self._post = post
        self._running = 0
        self._lock = threading.Lock()

    def run(self, what: str, compute: Callable[[], Result], then: Callable[[Result], Any]) -> None:
        """Compute in a thread, then hand the result to `then` on the UI thread; an error is
        reported as `what` failing."""
        with self._lock:
            self._running += 1
        Thread(target=self._run, args=(what, compute, then), name=what, daemon=True).start()

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._running > 0

    def _run(self, what: str, compute: Callable[[], Any], then: Callable[[Any], Any]) -> None:
        try:
            message: Message = Computed(compute(), then)
        except Exception as error:
            message = ComputeFailed(what, describe(error))
        try:
            self._post(message)  # before it stops counting as busy: its result is on its way
        finally:
            with self._lock:
                self._running -= 1
