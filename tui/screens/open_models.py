"""Open other models (`ctrl+o`): a static-vectors file or a transformer, while the explorer runs.

The screen only asks; the App loads in the background and swaps the new model in once it has
loaded, so a path that does not load leaves the explorer with the models it had.
"""

from __future__ import annotations

from typing import Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from wordlens.core.engine import Sources
from wordlens.tui.panes.sentence_input import OrderedInput

Component = Literal["vectors", "model"]
# What the screen returns: which model to replace and from where (None: the bundled default).
OpenRequest = tuple[Component, str | None]

PLACEHOLDERS = {
    "vectors": "empty: the bundled GloVe 6B 50d; or a word2vec / GloVe file",
    "model": "empty: the bundled all-MiniLM-L6-v2; or a model folder, a hub id",
}


def options_text(sources: Sources) -> Text:
    """The options that apply to what is opened: those of the command line, not changeable here."""
    text = Text(style="dim")
    text.append("enter opens the line's model · tab the other line · esc back\n")
    allowed = [flag for flag, on in (("--allow-pickle", sources.allow_pickle),
                                     ("--trust-remote-code", sources.trust_remote_code)) if on]
    text.append(f"device {sources.device} · ")
    text.append(", ".join(allowed) if allowed else "safetensors and plain vector files only (no pickle, no model code)")
    return text


class OpenScreen(ModalScreen[OpenRequest | None]):
    BINDINGS = [Binding("escape", "dismiss", "back")]
    DEFAULT_CSS = """
    OpenScreen { align: center top; }
    OpenScreen > Vertical {
        width: 90%; max-width: 100; height: auto; margin-top: 2;
        border: round $accent; background: $surface; padding: 0 1;
    }
    OpenScreen Label { margin-top: 1; text-style: bold; }
    OpenScreen #options { margin-top: 1; }
    """

    def __init__(self, sources: Sources, opening: dict[Component, str | None]) -> None:
        super().__init__()
        self.sources = sources
        self.opening = opening  # components being opened now, and from where

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "open models"
            for component, label in (("vectors", "static vectors"), ("model", "transformer")):
                yield Label(self._label(component, label))
                yield OrderedInput(value=getattr(self.sources, component) or "", placeholder=PLACEHOLDERS[component],
                                   id=component, select_on_focus=False, compact=True)
            yield Static(options_text(self.sources), id="options")

    def _label(self, component: Component, label: str) -> str:
        if component in self.opening:
            return f"{label} (opening {self.opening[component] or 'the bundled one'}…)"
        return label

    def on_mount(self) -> None:
        self.query_one("#vectors", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        self.dismiss((event.input.id, value or None))
