"""The map from the model's layers into the static space: read from the disk cache, or fitted
(tens of seconds, once) in a daemon thread, quitting need not wait for it."""

from __future__ import annotations

from collections.abc import Callable
from threading import Thread

from textual.message import Message

from wordlens.core.engine import Engine
from wordlens.tui.messages import MapChanged
from wordlens.tui.models_state import MapState, MapStatus
from wordlens.tui.services.errors import describe


class MapFitter:
    def __init__(self, engine: Engine, post: Callable[[Message], object]) -> None:
        self.engine, self._post = engine, post

    def start(self, cached_only: bool) -> None:
        """Find the map on disk; unless `cached_only`, fit it when it is not there."""
        Thread(target=self._run, args=(cached_only,), name="fit map", daemon=True).start()

    def _run(self, cached_only: bool) -> None:
        def report(stage: str, fraction: float) -> None:
            self._post(MapChanged(MapState(MapStatus.FITTING, stage, fraction)))

        try:
            fitted = self.engine.static_map(report, cached_only=cached_only)
        except Exception as error:
            self._post(MapChanged(MapState(MapStatus.FAILED, error=f"no map into the static space: {describe(error)}")))
        else:
            if fitted is not None:
                self._post(MapChanged(MapState(MapStatus.READY, "ready", 1.0, static_map=fitted)))
