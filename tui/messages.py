"""The messages the background services post to the App (attributes down, messages up)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message

from wordlens.core.analysis import Analysis
from wordlens.tui.models_state import Component, MapState
from wordlens.tui.reading import ReadingQuestion, TokenReading


class ModelProgress(Message):
    """A model loading (or, with `replacing`, another one being opened to replace it)."""

    def __init__(self, component: Component, stage: str, fraction: float, replacing: bool) -> None:
        super().__init__()
        self.component, self.stage, self.fraction, self.replacing = component, stage, fraction, replacing


class ModelReady(Message):
    def __init__(self, component: Component, summary: str, replacing: bool, has_control_characters: bool) -> None:
        super().__init__()
        self.component, self.summary, self.replacing = component, summary, replacing
        self.has_control_characters = has_control_characters  # in its vocabulary: filter every line drawn


class ModelFailed(Message):
    def __init__(self, component: Component, error: str, replacing: bool) -> None:
        super().__init__()
        self.component, self.error, self.replacing = component, error, replacing


class MapChanged(Message):
    """The map into static space was found on disk, made progress, was fitted or failed."""

    def __init__(self, state: MapState) -> None:
        super().__init__()
        self.state = state


class AnalysisReady(Message):
    def __init__(self, analysis: Analysis, reading: tuple[ReadingQuestion, TokenReading] | None = None,
                 intact: Analysis | None = None) -> None:
        super().__init__()
        self.analysis = analysis
        self.reading = reading  # the focused token's reading, when the analyser foresaw the question
        self.intact = intact  # with heads switched off: the same text with none off (the baseline)


class AnalysisFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class TokenRead(Message):
    def __init__(self, reading: TokenReading) -> None:
        super().__init__()
        self.reading = reading


class Computed(Message):
    """A background job's result, handed to `then` on the UI thread."""

    def __init__(self, result: Any, then: Callable[[Any], None]) -> None:
        super().__init__()
        self.result, self.then = result, then


class ComputeFailed(Message):
    def __init__(self, what: str, error: str) -> None:
        super().__init__()
        self.what, self.error = what, error


# ---- the uses section (services/uses_finder.py); `generation` counts model replacements -----------
class UsesProgress(Message):
    def __init__(self, stage: str, fraction: float, generation: int) -> None:
        super().__init__()
        self.stage, self.fraction, self.generation = stage, fraction, generation


class UsesIndexReady(Message):
    def __init__(self, index: Any, generation: int) -> None:  # a core.uses.uses_index.UsesIndex
        super().__init__()
        self.index, self.generation = index, generation


class UsesFailed(Message):
    def __init__(self, error: str, generation: int) -> None:
        super().__init__()
        self.error, self.generation = error, generation


class UsesFound(Message):
    def __init__(self, answer: Any, generation: int) -> None:  # a tui.uses_state.UsesAnswer
        super().__init__()
        self.answer, self.generation = answer, generation
