"""The uses thread: the corpus index read (or built, with progress) once, then the newest question answered."""

from __future__ import annotations

import threading
from collections.abc import Callable

from textual.message import Message

from wordlens.core.engine import Engine
from wordlens.core.errors import first_line
from wordlens.core.uses.corpus import CorpusSource
from wordlens.core.uses.uses_index import UsesIndex, load_or_build
from wordlens.tui.messages import UsesFailed, UsesFound, UsesIndexReady, UsesProgress
from wordlens.tui.services.latest_only import LatestOnly
from wordlens.tui.uses_state import USES_TOP, UsesAnswer, UsesQuestion


class UsesFinder:
    def __init__(self, engine: Engine, post: Callable[[Message], object]) -> None:
        self.engine, self._post = engine, post
        self._generation = 0  # counts model replacements: an index built for an older model is dropped
        self._asked: UsesQuestion | None = None
        self._thread = LatestOnly("uses", self._answer)

    def open(self, corpus: CorpusSource) -> None:
        """Read or build the corpus's index for the engine's model (daemon thread: quitting never waits)."""
        generation = self._generation

        def run() -> None:
            try:
                model = self.engine.load_model()
                index = load_or_build(model, corpus, progress=lambda stage, fraction: self._post(
                    UsesProgress(stage, fraction, generation)))
            except Exception as error:  # noqa: BLE001 - any failure is shown in the pane, the app goes on
                self._post(UsesFailed(first_line(error), generation))
                return
            self._post(UsesIndexReady(index, generation))

        threading.Thread(target=run, name="uses index", daemon=True).start()

    def forget(self) -> int:
        """The model changed: answers and indexes still coming are for the old one. The new generation."""
        self._generation += 1
        self._asked = None
        return self._generation

    @property
    def generation(self) -> int:
        return self._generation

    def ask(self, index: UsesIndex, question: UsesQuestion | None) -> None:
        if question is None or question == self._asked:
            return
        self._asked = question
        self._thread.submit((index, question, self._generation))

    @property
    def busy(self) -> bool:
        return self._thread.busy

    def _answer(self, request: tuple[UsesIndex, UsesQuestion, int]) -> None:
        index, question, generation = request
        try:
            uses = index.search(question.vector, question.layer, USES_TOP)
        except Exception as error:  # noqa: BLE001
            self._post(UsesFailed(first_line(error), generation))
            return
        self._post(UsesFound(UsesAnswer(question, uses), generation))
