"""Tables over every layer x head: per-head metrics (sortable) and the referent finder.

Both open the chosen head in the attention pane with enter.
"""

from __future__ import annotations

import numpy as np
from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from wordlens.core.views import HeadScore
from wordlens.tui.colors import bar

METRIC_COLUMNS = (
    # key, title, what it means (shown in the screen's description line)
    ("entropy", "entropy", "spread of a row (nats): low = focused"),
    ("max", "max", "mean of each row's largest weight"),
    ("distance", "distance", "mean |from − to|: 0 = self, 1 = neighbour"),
    ("special", "special", "mass on [CLS]/[SEP]/<s>..."),
    ("punctuation", "punct.", "mass on punctuation"),
)


class HeadTableScreen(ModalScreen[tuple[int, int] | None]):
    """A full-screen table whose rows are heads; enter returns (layer, head)."""

    BINDINGS = [
        Binding("enter", "open", "open head", priority=True),
        Binding("escape,q", "dismiss(None)", "close"),
    ]
    DEFAULT_CSS = """
    HeadTableScreen { background: $background; }
    HeadTableScreen > Static { height: auto; padding: 0 1; }
    HeadTableScreen DataTable { height: 1fr; }
    """

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        yield Static(self.title_text)
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        layer, head = (int(part) for part in str(row_key.value).split(":"))
        self.dismiss((layer, head))


class MetricsScreen(HeadTableScreen):
    """Per-head metrics, averaged over the sentence's tokens; number keys sort by a column."""

    BINDINGS = [
        Binding("1", "sort('entropy')", "entropy"),
        Binding("2", "sort('max')", "max"),
        Binding("3", "sort('distance')", "distance"),
        Binding("4", "sort('special')", "special"),
        Binding("5", "sort('punctuation')", "punct."),
        Binding("0", "sort('position')", "layer/head"),
    ]

    def __init__(self, metrics: dict[str, np.ndarray], title: str) -> None:
        legend = escape(" · ".join(f"{name}: {meaning}" for _, name, meaning in METRIC_COLUMNS))
        super().__init__(f"{title}\n[dim]{legend}. Keys 1-5 sort (again: reverse), 0 by position.[/]")
        self.metrics = metrics
        self._sorted_by: tuple[str, bool] = ("position", False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("layer", key="layer")
        table.add_column("head", key="head")
        for key, title, _ in METRIC_COLUMNS:
            table.add_column(title, key=key)
        layers, heads = self.metrics["entropy"].shape
        for layer in range(layers):
            for head in range(heads):
                cells = [Text(f"{self.metrics[key][layer, head]:.3f}", justify="right") for key, _, _ in METRIC_COLUMNS]
                table.add_row(Text(str(layer), justify="right"), Text(str(head), justify="right"), *cells,
                              key=f"{layer}:{head}")
        super().on_mount()

    def action_sort(self, column: str) -> None:
        table = self.query_one(DataTable)
        previous, reverse = self._sorted_by
        reverse = not reverse if previous == column else column in ("max", "special", "punctuation")
        self._sorted_by = (column, reverse)
        if column == "position":
            table.sort("layer", "head", key=lambda layer, head: (int(layer.plain), int(head.plain)))
        else:
            table.sort(column, key=lambda cell: float(cell.plain), reverse=reverse)
        table.move_cursor(row=0)


class ReferentScreen(HeadTableScreen):
    """Every layer x head ranked by the weight the focused token gives the target token."""

    def __init__(self, scores: list[HeadScore], rollout_score: float, source: str, target: str) -> None:
        super().__init__(
            f"[b]{escape(source)} → {escape(target)}[/]: every layer × head by the weight "
            f"{escape(repr(source))} gives {escape(repr(target))}"
            f"   ·   rollout (all layers): [b]{rollout_score:.3f}[/]"
        )
        self.scores = scores

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("rank", key="rank")
        table.add_column("layer", key="layer")
        table.add_column("head", key="head")
        table.add_column("weight", key="weight")
        table.add_column("", key="bar")
        for rank, score in enumerate(self.scores, start=1):
            table.add_row(
                Text(str(rank), justify="right"),
                Text(str(score.layer), justify="right"),
                Text(str(score.head), justify="right"),
                Text(f"{score.weight:.3f}", justify="right"),
                Text(bar(score.weight, 24), style="cyan"),
                key=f"{score.layer}:{score.head}",
            )
        super().on_mount()
