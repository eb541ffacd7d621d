"""Screens that show numbers over the whole model for the current view (overview, metrics,
referents, correlation, and the screens to come). The App opens any of them the same way:

    problem = Screen.unavailable(view)       # None, or why it cannot open (told to the user)
    numbers = Screen.numbers(view)           # pure; runs in a background thread
    screen = Screen.of_view(view, numbers)   # on the UI thread; dismissed with (layer, head) or None
"""

from __future__ import annotations

from typing import Any, Protocol

from textual.screen import Screen

from wordlens.tui.state import ViewState


class ScreenOfView(Protocol):
    @staticmethod
    def unavailable(view: ViewState) -> str | None: ...

    @staticmethod
    def numbers(view: ViewState) -> Any: ...

    @classmethod
    def of_view(cls, view: ViewState, numbers: Any) -> Screen[tuple[int, int] | None]: ...


NEEDS_MODEL = "The transformer must have analysed a sentence first."


def needs_model(view: ViewState) -> str | None:
    # no tokens: an empty line on a decoder (which adds no special tokens)
    return NEEDS_MODEL if view.context is None or not view.context.tokens else None


def needs_both_models(view: ViewState) -> str | None:
    analysis = view.analysis
    if analysis is None or analysis.context is None or analysis.static is None:
        return "Both models must be loaded first."
    return needs_model(view)
