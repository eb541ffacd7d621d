"""The logit lens of the focused token: what a decoder expects next, read out of every layer's
hidden state through its final norm and output layer (the last row is the model's own prediction)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from wordlens.core.layer_names import hidden_state_short_name
from wordlens.core.transformer.next_token import LensLayer
from wordlens.core.transformer.tokens import readable_label
from wordlens.tui.screens.dialog import Dialog
from wordlens.tui.state import ViewState
from wordlens.tui.style.colors import heat_style

LENS_TOP = 5


def lens_unavailable(view: ViewState, predicts_tokens: bool) -> str | None:
    context = view.context
    if context is None or not 0 <= view.focus < len(context.tokens):
        return "The transformer must have analysed a sentence first."
    if not predicts_tokens:
        return f"{context.model.name} has no language-model head: the logit lens needs a decoder (--model smollm2)."
    return None


class LogitLensScreen(Dialog[tuple[int, int] | None]):
    """One row per hidden state (embeddings, then each layer), its top next tokens with their
    probabilities; enter shows that layer's attention in the grid."""

    BINDINGS = [
        Binding("enter", "open", "show layer", priority=True),
        Binding("escape,q", "dismiss(None)", "close"),
    ]
    DEFAULT_CSS = """
    LogitLensScreen { background: $background; }
    LogitLensScreen > Static { height: auto; padding: 0 1; }
    LogitLensScreen DataTable { height: 1fr; }
    """

    def __init__(self, rows: tuple[LensLayer, ...], token: str, model_name: str, head: int) -> None:
        super().__init__()
        self.rows = rows
        self.head = head
        self.title_text = Text.assemble(
            ("Logit lens", "bold"),
            f" after '{token}': each layer's hidden state read through {model_name}'s final norm and output layer,",
            " its top next tokens and their probabilities.",
            ("\nThe last row is the model's own prediction. enter: that layer's attention in the grid.", "dim"),
        )

    def compose(self) -> ComposeResult:
        yield Static(self.title_text)
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("layer", key="layer")
        top = max((len(row.predictions) for row in self.rows), default=0)
        for rank in range(top):
            table.add_column(f"#{rank + 1}", key=f"rank{rank}")
        for row in self.rows:
            name = hidden_state_short_name(row.layer)
            cells = [_prediction_cell(p.text, p.prob) for p in row.predictions]
            cells += [Text("")] * (top - len(cells))
            table.add_row(Text(name, justify="right"), *cells, key=str(row.layer))
        table.move_cursor(row=table.row_count - 1)
        table.focus()

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        layer = int(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))
        # row L is the output of attention layer L - 1; the embeddings row has no attention
        self.dismiss((max(0, layer - 1), self.head))


def _prediction_cell(text: str, prob: float) -> Text:
    return Text.assemble((readable_label(text), heat_style(prob)), (f" {prob:.2f}", "dim"))
