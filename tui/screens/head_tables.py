"""Tables over every layer x head: per-head metrics (sortable) and the referent finder.

Both open the chosen head in the attention pane with enter.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Static

from wordlens.core.analysis import Analysis
from wordlens.core.layer_names import head_long_name, head_name
from wordlens.core.measures.attention_views import (
    POSITIONAL_SHARE,
    HeadScore,
    head_metrics,
    head_patterns,
    is_punctuation,
    positional_note,
    rank_heads,
    rollout,
)
from wordlens.core.measures.static_vs_context import (
    PERMUTATIONS,
    CorrelationTable,
    correlation_table,
)
from wordlens.tui.screens.dialog import Dialog
from wordlens.tui.screens.of_view import needs_both_models, needs_model
from wordlens.tui.state import ViewState
from wordlens.tui.style.colors import bar, heat_cells

METRIC_COLUMNS = (
    # key, title, what it means (shown in the screen's description line)
    ("entropy", "entropy", "spread of a row (nats): low = focused"),
    ("max", "max", "mean of each row's largest weight"),
    ("distance", "distance", "mean |from − to| among the non-special tokens (rows renormalised without "
     "[CLS]/[SEP]/<s>...): 0 = self, 1 = neighbour"),
    ("special", "special", "mass on [CLS]/[SEP]/<s>..."),
    ("punctuation", "punct.", "mass on punctuation"),
)


class HeadTableScreen(Dialog[tuple[int, int] | None]):
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

    def __init__(self, title: Text) -> None:
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        yield Static(self.title_text)
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    def cursor_head(self) -> tuple[int, int] | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        layer, head = (int(part) for part in str(row_key.value).split(":"))
        return layer, head

    def action_open(self) -> None:
        chosen = self.cursor_head()
        if chosen is not None:
            self.dismiss(chosen)


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

    unavailable = staticmethod(needs_model)

    @staticmethod
    def numbers(view: ViewState) -> dict[str, np.ndarray]:
        context = view.context
        return {**head_metrics(context.attentions, context.special, punctuation_of(view)),
                "pattern": patterns_of(view)}

    @classmethod
    def of_view(cls, view: ViewState, numbers: dict[str, np.ndarray]) -> MetricsScreen:
        context = view.context
        return cls(numbers, Text.assemble(("Per-head metrics", "bold"),
                                          f" of {context.model.name} on this sentence ({len(context.tokens)} tokens)"))

    def __init__(self, metrics: dict[str, np.ndarray], title: Text) -> None:
        legend = " · ".join(f"{name}: {meaning}" for _, name, meaning in METRIC_COLUMNS)
        super().__init__(Text.assemble(title, (f"\n{legend} · {PATTERN_LEGEND}. Keys 1-5 sort (again: reverse), "
                                               "0 by position.", "dim")))
        self.metrics = metrics
        self._sorted_by: tuple[str, bool] = ("position", False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("layer", key="layer")
        table.add_column("head", key="head")
        for key, title, _ in METRIC_COLUMNS:
            table.add_column(title, key=key)
        table.add_column("pattern", key="pattern")
        layers, heads = self.metrics["entropy"].shape
        for layer in range(layers):
            for head in range(heads):
                cells = [Text(f"{self.metrics[key][layer, head]:.3f}", justify="right") for key, _, _ in METRIC_COLUMNS]
                table.add_row(Text(str(layer + 1), justify="right"), Text(str(head + 1), justify="right"), *cells,
                              Text(str(self.metrics["pattern"][layer, head]), style="yellow"),
                              key=f"{layer}:{head}")
        super().on_mount()

    def action_sort(self, column: str) -> None:
        table = self.query_one(DataTable)
        previous, reverse = self._sorted_by
        reverse = not reverse if previous == column else column in ("max", "special", "punctuation")
        self._sorted_by = (column, reverse)
        if column == "position":
            table.sort("layer", "head", key=_layer_head_order, reverse=reverse)
        else:
            table.sort(column, key=lambda cell: float(cell.plain), reverse=reverse)
        table.move_cursor(row=0)


class ReferentScreen(HeadTableScreen):
    """Every layer x head ranked by the weight the focused token gives the target token."""

    unavailable = staticmethod(needs_model)

    @staticmethod
    def numbers(view: ViewState) -> tuple[list[HeadScore], float, np.ndarray]:
        attentions = view.context.attentions
        return (rank_heads(attentions, view.focus, view.target), float(rollout(attentions)[view.focus, view.target]),
                patterns_of(view))

    @classmethod
    def of_view(cls, view: ViewState, numbers: tuple[list[HeadScore], float, np.ndarray]) -> ReferentScreen:
        tokens = view.context.labels
        return cls(*numbers, tokens[view.focus], tokens[view.target])

    def __init__(self, scores: list[HeadScore], rollout_score: float, patterns: np.ndarray, source: str,
                 target: str) -> None:
        best = scores[0] if scores else None
        warning = ""
        if best is not None and patterns[best.layer, best.head]:
            warning = (f"\nThe strongest head is positional ({patterns[best.layer, best.head]}): its weight says "
                       f"where {target!r} is, not that {source!r} refers to it. ")
        super().__init__(
            Text.assemble(
                (f"{source} → {target}", "bold"),
                f": every layer × head by the weight {source!r} gives {target!r}   ·   rollout (all layers): ",
                (f"{rollout_score:.3f}", "bold"),
                (warning, "yellow"),
                (f"\n{PATTERN_LEGEND}.", "dim"),
            )
        )
        self.scores = scores
        self.patterns = patterns

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("rank", key="rank")
        table.add_column("layer", key="layer")
        table.add_column("head", key="head")
        table.add_column("weight", key="weight")
        table.add_column("", key="bar")
        table.add_column("pattern", key="pattern")
        for rank, score in enumerate(self.scores, start=1):
            table.add_row(
                Text(str(rank), justify="right"),
                Text(str(score.layer + 1), justify="right"),
                Text(str(score.head + 1), justify="right"),
                Text(f"{score.weight:.3f}", justify="right"),
                Text(bar(score.weight, 24), style="cyan"),
                Text(str(self.patterns[score.layer, score.head]), style="yellow"),
                key=f"{score.layer}:{score.head}",
            )
        super().on_mount()


MATRIX_WORDS = 12  # the side matrices show at most this many words
PATTERN_LEGEND = (f"pattern: a positional head (at least {POSITIONAL_SHARE:.0%} of each word's weight on the "
                  "previous or next token, itself, special tokens or punctuation)")


def punctuation_of(view: ViewState) -> np.ndarray:
    return np.array([is_punctuation(token) for token in view.context.tokens])


def patterns_of(view: ViewState) -> np.ndarray:
    """(layers, heads) each head's positional pattern on this sentence, "" for none."""
    context = view.context
    return head_patterns(context.attentions, context.special, punctuation_of(view))


def best_head_note(view: ViewState, layer: int, head: int) -> str:
    """Said beside a head the explorer names (the `b` jump): its positional pattern, if any."""
    note = positional_note(str(patterns_of(view)[layer, head]))
    return f" ({note}: where the word is, not what it means)" if note else ""


class CorrelationScreen(HeadTableScreen):
    """Per head, the rank correlation between static cosine and attention over the sentence's
    word pairs: which heads follow meaning, which follow position or syntax. Beside the table,
    the two word x word matrices for the head under the cursor."""

    BINDINGS = [
        Binding("1", "sort('rho')", "ρ high first"),
        Binding("2", "sort('abs')", "|ρ|"),
        Binding("0", "sort('position')", "layer/head"),
    ]
    DEFAULT_CSS = """
    CorrelationScreen Horizontal { height: 1fr; }
    CorrelationScreen DataTable { width: 1fr; min-width: 30; }
    CorrelationScreen VerticalScroll { width: auto; max-width: 60%; padding: 0 1; }
    CorrelationScreen #matrices { width: auto; text-wrap: nowrap; }
    """

    unavailable = staticmethod(needs_both_models)

    @staticmethod
    def numbers(view: ViewState) -> CorrelationTable:
        return correlation_table(view.analysis, MATRIX_WORDS)

    @classmethod
    def of_view(cls, view: ViewState, numbers: CorrelationTable) -> CorrelationScreen:
        title = Text.assemble(("Static cosine vs attention", "bold"), f", per head of {view.context.model.name}")
        return cls(view.analysis, numbers, title)

    def __init__(self, analysis: Analysis, table: CorrelationTable, title: Text) -> None:
        significance = table.significance
        super().__init__(
            Text.assemble(title, f" · n = {significance.pairs} word pairs", (
                "\nρ: Spearman correlation, over the pairs of words with a static vector, between their "
                "static cosine and the attention between them (both directions). p: how often shuffling the "
                f"cosines among the pairs gives |ρ| at least as large ({PERMUTATIONS:,} shuffles). A verdict only "
                f"where p ≤ {SIGNIFICANT} (else –): ρ > 0, the head relates these words by meaning; ρ < 0, against it. "
                "1 sorts by ρ, 2 by |ρ|, 0 by position, enter opens the head.", "dim"))
        )
        self.analysis = analysis
        self.rho, self.words, self.attention = table.rho, table.words, table.attention
        self.p = significance.p
        self._sorted_by: tuple[str, bool] = ("position", False)

    def compose(self) -> ComposeResult:
        yield Static(self.title_text)
        with Horizontal():
            yield DataTable(cursor_type="row", zebra_stripes=True)
            with VerticalScroll():
                yield Static(id="matrices")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("layer", key="layer")
        table.add_column("head", key="head")
        table.add_column("ρ", key="rho")
        table.add_column("p", key="p")
        table.add_column("", key="bar")
        table.add_column("verdict", key="verdict")
        layers, heads = self.rho.shape
        for layer in range(layers):
            for head in range(heads):
                value, p = float(self.rho[layer, head]), float(self.p[layer, head])
                table.add_row(
                    Text(str(layer + 1), justify="right"),
                    Text(str(head + 1), justify="right"),
                    Text("  n/a" if np.isnan(value) else f"{value:+.3f}", justify="right"),
                    Text("" if np.isnan(p) else f"{p:.3f}", justify="right"),
                    Text(bar(value, 16) if value > 0 else "", style="green"),
                    Text(correlation_verdict(value, p, short=True), style="bold" if p <= SIGNIFICANT else "dim"),
                    key=f"{layer}:{head}",
                )
        super().on_mount()
        self._show_matrices()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_matrices()

    def action_sort(self, column: str) -> None:
        table = self.query_one(DataTable)
        previous, reverse = self._sorted_by
        reverse = not reverse if previous == column else column != "position"
        self._sorted_by = (column, reverse)
        if column == "position":
            table.sort("layer", "head", key=_layer_head_order, reverse=reverse)
        else:
            table.sort("rho", key=lambda cell: _rho_sort_key(cell.plain, absolute=column == "abs"), reverse=reverse)
        table.move_cursor(row=0)
        self._show_matrices()

    def _show_matrices(self) -> None:
        chosen = self.cursor_head()
        panel = self.query_one("#matrices", Static)
        if chosen is None or len(self.words) < 2:
            panel.update(Text("Fewer than two words have a static vector:\nnothing to correlate.", style="dim italic"))
            return
        layer, head = chosen
        names = [self.analysis.words[index].text for index in self.words]
        static = self.analysis.static.cosine[np.ix_(self.words, self.words)].copy()
        np.fill_diagonal(static, np.nan)  # a word's cosine to itself (1.0) would swamp the scale
        text = Text(no_wrap=True)
        rho, p = float(self.rho[layer, head]), float(self.p[layer, head])
        text.append(f"{head_long_name(layer, head)}   ρ = {rho:+.3f}, p = {p:.3f}   {correlation_verdict(rho, p)}\n\n",
                    style="bold")
        _append_word_matrix(text, "static cosine (same in every sentence)", names, np.clip(static, 0, 1),
                            "green", self.app.no_color)
        text.append("\n")
        _append_word_matrix(text, f"attention {head_name(layer, head)} (rows: from)", names,
                            self.attention[layer, head], "cyan", self.app.no_color)
        panel.update(text)


SIGNIFICANT = 0.05


def correlation_verdict(rho: float, p: float, short: bool = False) -> str:
    """What a head's ρ says, only where the permutation test backs it (p ≤ SIGNIFICANT)."""
    if np.isnan(rho) or np.isnan(p):
        return ""
    if p > SIGNIFICANT:
        return "–" if short else f"no verdict (p > {SIGNIFICANT})"
    return "by meaning" if rho > 0 else "against meaning"


def _layer_head_order(cells: tuple[Text, Text]) -> tuple[int, int]:
    """DataTable.sort hands a key function the row's cells of the sort columns as one tuple."""
    layer, head = cells
    return int(layer.plain), int(head.plain)


def _rho_sort_key(cell: str, absolute: bool) -> float:
    value = float(cell) if cell.strip() != "n/a" else float("-inf")
    return abs(value) if absolute and np.isfinite(value) else value


def _append_word_matrix(
    text: Text, title: str, names: list[str], matrix: np.ndarray, color: str, no_color: bool
) -> None:
    text.append(title + "\n", style=f"bold {color}")
    label_width = min(12, max(len(name) for name in names) + 4)
    text.append(" " * label_width + "".join(f"{number % 10:<2}" for number in range(1, len(names) + 1)) + "\n",
                style="dim")
    for number, (name, row) in enumerate(zip(names, matrix, strict=True), start=1):
        text.append(f"{number:>2} ", style="dim")
        text.append(f"{name[:label_width - 4]:<{label_width - 3}}")
        for cell, style in heat_cells(np.nan_to_num(row), 2, no_color):
            text.append(cell, style=style)
        text.append("\n")
