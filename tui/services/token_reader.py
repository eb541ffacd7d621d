"""The reader thread: what the transformer makes of the focused token, for the newest question."""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message

from wordlens.core.engine import Engine
from wordlens.tui.messages import TokenRead
from wordlens.tui.reading import ReadingQuestion, read_token
from wordlens.tui.services.latest_only import LatestOnly


class TokenReader:
    def __init__(self, engine: Engine, post: Callable[[Message], object]) -> None:
        self.engine, self._post = engine, post
        self._asked: ReadingQuestion | None = None
        self._thread = LatestOnly("read token", self._read)

    def ask(self, question: ReadingQuestion | None) -> None:
        """Answer `question` unless it was the last one asked (or answered, see `answered`)."""
        if question is None or question == self._asked:
            return
        self._asked = question
        self._thread.submit(question)

    def answered(self, question: ReadingQuestion) -> None:
        """The analyser answered this question already: asking it again does nothing."""
        self._asked = question

    def forget(self) -> None:
        """The models changed: the next question is asked even if it looks the same."""
        self._asked = None

    @property
    def busy(self) -> bool:
        return self._thread.busy

    def _read(self, question: ReadingQuestion) -> None:
        model = self.engine.model
        if model is not None:
            self._post(TokenRead(read_token(model, self.engine.vectors, question)))
