"""What a pane shows while the model it needs is still loading."""

from __future__ import annotations

from rich.text import Text

from wordlens.tui.models_state import ModelState
from wordlens.tui.style.colors import bar


def loading_text(loading: ModelState, what: str, width: int = 30) -> Text:
    text = Text()
    text.append(f"Loading {what}…\n", style="bold")
    text.append(bar(loading.fraction, max(10, width)), style="cyan")
    text.append(f" {loading.fraction:4.0%}\n", style="dim")
    text.append(loading.stage, style="italic dim")
    return text


def waiting_for_text() -> Text:
    return Text("Type a sentence above.", style="dim italic")
