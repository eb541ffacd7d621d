"""The top line: which vectors and which model are loaded (or loading)."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from wordlens.tui.state import ViewState


class ModelBar(Widget):
    DEFAULT_CSS = "ModelBar { height: 1; dock: top; }"
    view: reactive[ViewState] = reactive(ViewState)
    vectors_summary: reactive[str] = reactive("")
    model_summary: reactive[str] = reactive("")
    # component -> progress of opening a replacement (ctrl+o), shown after what is in use
    opening: reactive[dict[str, str]] = reactive(dict)

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" wordlens ", style="bold reverse")
        text.append(" ")
        text.append(self.vectors_summary or f"static vectors loading… {self.view.vectors.fraction:.0%}",
                    style="bold green" if self.vectors_summary else "italic")
        self._append_opening(text, "vectors")
        text.append(" ⇄ ", style="dim")
        text.append(self.model_summary or f"transformer loading… {self.view.model.fraction:.0%}",
                    style="bold cyan" if self.model_summary else "italic")
        self._append_opening(text, "model")
        return text

    def _append_opening(self, text: Text, component: str) -> None:
        if component in self.opening:
            text.append(f" ({self.opening[component]})", style="italic yellow")
