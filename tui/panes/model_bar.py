"""The top line: which vectors and which model are in use, loading, or being replaced."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from wordlens.tui.models_state import Component, ModelsState, ModelState

IN_USE_STYLE = {Component.VECTORS: "bold green", Component.MODEL: "bold cyan"}


class ModelBar(Widget):
    DEFAULT_CSS = "ModelBar { height: 1; dock: top; }"
    models: reactive[ModelsState] = reactive(ModelsState)

    def render(self) -> Text:
        models = self.models
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" wordlens ", style="bold reverse")
        text.append(" ")
        _append_model(text, models.vectors)
        text.append(" ⇄ ", style="dim")
        _append_model(text, models.model)
        return text


def _append_model(text: Text, state: ModelState) -> None:
    if state.summary:
        text.append(state.summary, style=IN_USE_STYLE[state.component])
    else:
        text.append(f"{state.component.label} loading… {state.fraction:.0%}", style="italic")
    if state.opening is not None:
        text.append(f" ({state.opening.describe()})", style="italic yellow")
