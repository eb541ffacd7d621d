"""The sentence pane: the editable line and, under it, the model's tokens. It tells the App when
the text was edited (after a short pause that merges a paste or key repeat into one edit) and
when the text cursor moved."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Input

from wordlens.tui.panes.sentence_input import SentenceInput
from wordlens.tui.panes.token_strip import TokenStrip
from wordlens.tui.state import ViewState

# Long enough to merge a paste or key auto-repeat into one analysis, short enough not to feel.
DEBOUNCE_SECONDS = 0.015
PLACEHOLDER = "Type a sentence, e.g. France is a country, it is in Europe"


class SentencePane(Vertical):
    view: reactive[ViewState] = reactive(ViewState, repaint=False)  # for the token strip, which repaints itself

    class Edited(Message):
        """The text changed and typing paused for DEBOUNCE_SECONDS."""

    class CursorMoved(Message):
        pass

    class Submitted(Message):
        """enter in the sentence line: the user wants to explore."""

    def __init__(self, text: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial_text = text
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        yield SentenceInput(value=self._initial_text, placeholder=PLACEHOLDER, compact=True, select_on_focus=False,
                            id="text")
        yield TokenStrip().data_bind(SentencePane.view)

    def on_mount(self) -> None:
        self.border_title = "sentence"
        self.watch(self.query_one(Input), "selection", lambda: self.post_message(self.CursorMoved()), init=False)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, lambda: self.post_message(self.Edited()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted())
