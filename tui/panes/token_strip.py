"""The sentence being explored: an editable line, and under it the model's tokens."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive

from wordlens.tui.panes.last_built import LastBuilt
from wordlens.tui.panes.view_text import LinesWidget
from wordlens.tui.state import ViewState

MAX_LINES = 3


def _first_visible(units: list[str], focus: int, room: int) -> int:
    """The first unit to show so the focused one fits in `room` characters (long inputs)."""
    used, first = 0, focus
    while first > 0 and used + len(units[first - 1]) + 1 <= room // 2:
        first -= 1
        used += len(units[first]) + 1
    return 0 if sum(len(unit) + 1 for unit in units[: focus + 1]) <= room else first


class TokenStrip(LinesWidget):
    """The model's tokens (subword pieces as the tokenizer writes them), the focused one lit.

    Before the model is loaded it shows the sentence's words, which the focus moves over.
    """

    DEFAULT_CSS = f"TokenStrip {{ height: auto; max-height: {MAX_LINES}; }}"
    # layout only when the wrapped height changes: a layout costs the whole screen's arrangement
    view: reactive[ViewState] = reactive(ViewState)

    def __init__(self) -> None:
        super().__init__()
        self._built: LastBuilt[Text] = LastBuilt()

    def watch_view(self) -> None:
        if not self.size.width or min(self._lines_needed(), MAX_LINES) != self.size.height:
            self.refresh(layout=True)

    def _lines_needed(self) -> int:
        """The wrapped height of the new view, measured afresh: Textual's own height cache would
        still hold the previous view (this watcher runs before the reactive's repaint clears it):
        a strip grown from one line in a single change stayed one line high, hiding the tokens
        after the first line."""
        return self._lines.height(self, self.render(), self.size.width)

    def render(self) -> Text:
        """The strip at the current width; the last one again while the view (by identity) and width are the same."""
        return self._built.get((self.view,), (self.size.width,), self._strip)

    def _strip(self) -> Text:
        view = self.view
        analysis = view.analysis
        if analysis is None or not analysis.words:
            return Text("tokens appear here as you type", style="dim italic")
        if analysis.context is not None:
            units = list(analysis.context.labels)
            special = list(analysis.context.special)
            label = "tokens "
        else:
            units = [word.text for word in analysis.words]
            special = [False] * len(units)
            label = "words  "
        notice = self._cut_notice(analysis)
        # Only what fits in the strip's lines is built: a 512-token input would cost milliseconds
        # of the UI thread per edit to build, wrap and measure, for lines the strip never shows.
        room = max(20, self.size.width * MAX_LINES - len(label) - 60)
        first = _first_visible(units, view.focus, room=room)
        budget = max(20, self.size.width * MAX_LINES - len(label) - len(notice) - 12)
        text = Text(label, style="dim")
        if first > 0:
            text.append(f"…{first} more ", style="dim italic")
        target_word = view.target_word
        used = 0
        for index in range(first, len(units)):
            if used + len(units[index]) + 1 > budget and index > view.focus:
                text.append(f"…{len(units) - index} more ", style="dim italic")
                break
            if index == view.focus:
                style = "bold reverse"
            elif special[index]:
                style = "dim italic"
            elif analysis.context is not None and index == view.target and target_word is not None:
                style = "underline"
            else:
                style = ""
            text.append(units[index], style=style)
            text.append(" ")
            used += len(units[index]) + 1
        if notice:
            text.append(notice, style="bold yellow")
        return text

    @staticmethod
    def _cut_notice(analysis) -> str:
        if analysis.context is not None and analysis.context.truncated:
            return f" … cut at {analysis.context.model.max_tokens} tokens, the model's maximum"
        if analysis.words_cut:
            return f" … cut at {len(analysis.words)} words"
        return ""

