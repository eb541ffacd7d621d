"""The app's text lines: Textual's Input with its editing keys applied in the order they were
typed (`OrderedInput`), and the sentence line, which also makes pasted text one clean line."""

from __future__ import annotations

from textual import events
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input

from wordlens.core.text import clean_text


class OrderedInput(Input):
    """Input, with its own bindings (backspace, arrows, home, delete, enter, ctrl+k...) run in its
    key handler, in turn with the typed characters.

    Textual types a printable key in Input's key handler but runs a bound key's action only once
    the event has bubbled up to the App, through the queue of each container on the way, while
    the Input goes on typing the keys queued behind it. Keys sent back to back (a fast typist, a
    key macro, any typist on a loaded machine) were applied out of order: "ab", backspace, "c"
    gave "abc" and then the backspace, "ab" instead of "ac". Textual issue #6605 (open; PR #6631
    proposes the same fix in Input itself). App-level priority bindings (tab, ctrl+q...) are
    checked before a key reaches the Input, so they are unchanged.
    """

    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable and await self._run_own_binding(event.key):
            event.stop()  # handled: the App must not run the binding a second time

    async def _run_own_binding(self, key: str) -> bool:
        """Run the first of this widget's non-priority bindings of `key` whose action runs, as
        the App would (with the app's keymap applied); whether one did."""
        bindings = self._bindings.copy()
        if self.app._keymap:
            bindings.apply_keymap(self.app._keymap)
        for binding in bindings.key_to_bindings.get(key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                return True
        return False


class SentenceInput(OrderedInput):
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
