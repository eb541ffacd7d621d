"""A daemon thread that always works on the most recent request: requests that arrive while
it is busy replace each other, so only the newest waits. No thread is started per request
(starting one costs milliseconds of GIL hand-offs on a busy 2-core machine)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Request = TypeVar("Request")


class LatestOnly(Generic[Request]):
    def __init__(self, name: str, handle: Callable[[Request], None]) -> None:
        self._name = name
        self._handle = handle
        self._changed = threading.Condition()
        self._pending: list[Request] = []  # at most one: the newest request not yet taken
        self._thread: threading.Thread | None = None
        self._handling = False

    def submit(self, request: Request) -> None:
        with self._changed:
            self._pending[:] = [request]
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
                self._thread.start()
            self._changed.notify()

    def has_newer(self) -> bool:
        """True when a request arrived after the one being handled (it may stop early)."""
        with self._changed:
            return bool(self._pending)

    @property
    def busy(self) -> bool:
        """A request is being handled or waiting."""
        with self._changed:
            return self._handling or bool(self._pending)

    def _serve(self) -> None:
        while True:
            with self._changed:
                self._handling = False
                while not self._pending:
                    self._changed.wait()
                request = self._pending.pop()
                self._handling = True
            self._handle(request)  # the handler reports its own errors
            del request  # else it would live (with the analysis it may hold) until the next one
