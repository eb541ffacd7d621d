"""The sentence line: Textual's Input, with pasted text made one clean line before it goes in."""

from __future__ import annotations

from textual import events
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input

from wordlens.core.text import clean_text


class SentenceInput(Input):
    """Pasted tabs, newlines and other control characters become spaces (Input alone keeps only
    a paste's first line, and keeps its control characters). Cleaning the text as it is inserted,
    not after the value changed, keeps keys typed during a large paste where they were typed."""

    # Input grows its virtual width with every character typed, and by default that asks for a
    # layout of the whole screen; a one-line input of fixed size needs only a repaint.
    virtual_size = Reactive(Size(0, 0), layout=False)

    def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # Input's own handler would insert the raw first line as well
        if event.text:
            text = clean_text(event.text)
            if self.selection.is_empty:
                self.insert_text_at_cursor(text)
            else:
                self.replace(text, *self.selection)
        event.stop()
