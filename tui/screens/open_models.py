"""Open other models (`ctrl+o`): a static-vectors file or a transformer, while the explorer runs.

The screen only asks; the App loads in the background and swaps the new model in once it has
loaded, so a path that does not load leaves the explorer with the models it had.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from wordlens.core.engine import Sources
from wordlens.tui.models_state import Component, ModelsState
from wordlens.tui.panes.sentence_input import OrderedInput
from wordlens.tui.screens.dialog import Dialog

# What the screen returns: which model to replace and from where (None: the bundled default).
OpenRequest = tuple[Component, str | None]

PLACEHOLDERS = {
    Component.VECTORS: "empty: the bundled GloVe 6B 50d; or a word2vec / GloVe file",
    Component.MODEL: "empty: the bundled all-MiniLM-L6-v2; smollm2; a folder or hub id",
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


class OpenScreen(Dialog[OpenRequest | None]):
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

    def __init__(self, sources: Sources, models: ModelsState) -> None:
        super().__init__()
        self.sources = sources
        self.models = models  # what is in use, and what is being opened now

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "open models"
            for component in Component:
                yield Label(self._label(component))
                yield OrderedInput(value=getattr(self.sources, component.value) or "",
                                   placeholder=PLACEHOLDERS[component], id=component.value,
                                   select_on_focus=False, compact=True)
            yield Static(options_text(self.sources), id="options")

    def _label(self, component: Component) -> str:
        opening = self.models.of(component).opening
        if opening is not None:
            return f"{component.label} (opening {opening.source or 'the bundled one'}…)"
        return component.label

    def on_mount(self) -> None:
        self.query_one("#vectors", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        self.dismiss((Component(event.input.id), value or None))
