"""Loading progress: loaders report (what they are doing, fraction done) through a callback."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, float], None]


def no_progress(stage: str, fraction: float) -> None:
    """The default callback: report nothing."""
