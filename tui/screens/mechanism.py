"""Why this weight (`n`): the arithmetic of the focused token's attention to the target.

The query of the focus and the key of the target at the current layer and head, one bar per
dimension; their products, the sum, the scale, the logit; the whole row's logits beside their
softmax (the model's attention row), the target marked; the dimensions that contribute most; and
the static side of the same pair beside it. Every number comes from the vectors the analysis's own
forward pass captured (core/measures/attention_arithmetic.py): moving on the screen recomputes no
forward pass. `z` switches the current head off (or back on) in the explorer, `Z` restores all.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from wordlens.core.analysis import Analysis
from wordlens.core.layer_names import head_long_name, layer_name
from wordlens.core.measures.attention_arithmetic import (
    PairArithmetic,
    StaticSide,
    layer_input_name,
    pair_arithmetic,
    static_side,
    token_table_cosines,
)
from wordlens.core.transformer.context_model import NOT_AVAILABLE, HeadsOff, heads_label
from wordlens.tui.screens.dialog import Dialog
from wordlens.tui.screens.of_view import needs_model
from wordlens.tui.state import ViewState, clamp, rows_for, window_around
from wordlens.tui.style.colors import bar

SPARK = "▁▂▃▄▅▆▇█"
POSITIVE, NEGATIVE = Style(color="green"), Style(color="red")
TWO_COLUMNS = 104  # from this width the row's softmax stands beside the whole arithmetic
MIDDLE_WIDTH = 70  # from this width (80 columns) it stands beside the bars, the header across both


def heads_off_unavailable(view: ViewState) -> str | None:
    """Why the current head cannot be switched off now, or None."""
    problem = needs_model(view)
    if problem is not None:
        return problem
    if view.context.captured is None:
        return f"Switching heads off: {NOT_AVAILABLE} ({view.context.model.name} runs on transformers)."
    return None


def toggled_head(heads_off: HeadsOff, layer: int, head: int) -> HeadsOff:
    return heads_off ^ {(layer, head)}


def heads_off_notice(heads_off: HeadsOff, layer: int, head: int) -> str:
    state = "off" if (layer, head) in heads_off else "on again"
    rest = f"heads off: {heads_label(heads_off)}" if heads_off else "every head is on: the intact model"
    return f"{head_long_name(layer, head)} {state}; {rest}"


def signed_sparkline(values: np.ndarray, top: float) -> Text:
    """One cell per value: its height |value| / top, green when positive, red when negative."""
    text = Text()
    for value in values:
        level = min(len(SPARK) - 1, int(abs(float(value)) / top * len(SPARK))) if top > 0 else 0
        text.append(SPARK[level], style=POSITIVE if value >= 0 else NEGATIVE)
    return text


def dimension_bars(pair: PairArithmetic, width: int) -> Text:
    """query, key and query x key, dimension by dimension, wrapped to `width` columns."""
    label = 7
    per_line = max(8, width - label)
    top_vector = float(max(np.abs(pair.query).max(), np.abs(pair.key).max()))
    top_product = float(np.abs(pair.products).max())
    text = Text()
    size = len(pair.query)
    for start in range(0, size, per_line):
        end = min(size, start + per_line)
        ruler = [" "] * (end - start)
        for d in range(start + (-start) % 10, end, 10):  # every tenth dimension numbered where it is
            for offset, digit in enumerate(str(d)):
                if d - start + offset < len(ruler):
                    ruler[d - start + offset] = digit
        text.append(f"{'dim':<{label}}{''.join(ruler)}\n", style="dim")
        for name, values, top in (("query", pair.query, top_vector), ("key", pair.key, top_vector),
                                  ("q×k", pair.products, top_product)):
            text.append(f"{name:<{label}}", style="bold" if name == "q×k" else "")
            text.append_text(signed_sparkline(values[start:end], top))
            text.append("\n")
    return text


def arithmetic_text(analysis: Analysis, pair: PairArithmetic, side: StaticSide, width: int,
                    intact_weight: float | None) -> Text:
    """The pair, its logit and weight, the layer's input, and the static side beside the attention."""
    context = analysis.require_context()
    tokens = context.labels
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(tokens[pair.source], style="bold reverse")
    text.append(" → ")
    text.append(tokens[pair.target], style="bold reverse")
    text.append(f"  logit {pair.logit:+.3f} → weight {pair.weight:.3f}", style="bold cyan")
    text.append(f"  {head_long_name(pair.layer, pair.head)}\n", style="dim")
    if intact_weight is not None:
        text.append(f"with heads {heads_label(context.heads_off)} off; the intact model gives {intact_weight:.3f} "
                    f"({pair.weight - intact_weight:+.3f})\n", style="yellow")
    if (pair.layer, pair.head) in context.heads_off:
        text.append("this head is off: its weights are computed as before, its output is zeroed\n", style="yellow")
    text.append(f"{layer_name(pair.layer)}'s input: {layer_input_name(pair.layer)}\n", style="dim")
    glove = "—" if side.glove_cosine is None else f"{side.glove_cosine:.3f}"
    table = "—" if side.input_table_cosine is None else f"{side.input_table_cosine:.3f}"
    text.append("similar in the vocabulary: ", style="green")
    text.append(f"GloVe {glove} · input table {table}\n")
    text.append("relevant in this sentence: ", style="cyan")
    text.append(f"attention {pair.weight:.3f}\n")
    return text


def dimensions_text(tokens: tuple[str, ...], pair: PairArithmetic, width: int, compact: bool) -> Text:
    """The bars per dimension and the dimensions that contribute most (`compact`: no bars in that list)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    what = "" if compact else f"q of {tokens[pair.source]}, k of {tokens[pair.target]}, "
    text.append(f"{'' if compact else chr(10)}{what}q×k per dimension (green +, red −)\n", style="bold")
    text.append_text(dimension_bars(pair, width))
    text.append("dimensions that contribute most\n", style="bold")
    top = abs(pair.top_dimensions[0].product) if pair.top_dimensions else 0.0
    for share in pair.top_dimensions:
        text.append(f"  d{share.dimension:<3} {share.query:+6.2f} × {share.key:+6.2f} = ")
        text.append(f"{share.product:+6.2f}", style=POSITIVE if share.product >= 0 else NEGATIVE)
        if not compact:
            text.append(" " + bar(abs(share.product) / top if top else 0.0, 10), style="magenta")
            text.append(f" {share.product * pair.scale:+.2f} to the logit", style="dim")
        text.append("\n")
    return text


def sum_text(pair: PairArithmetic) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"sum {float(pair.products.sum()):+.3f} × scale {pair.scale:.4f} (1/√{len(pair.query)}) = ")
    text.append(f"logit {pair.logit:+.3f}", style="bold")
    if pair.content_logit is not None and pair.position_part is not None:
        text.append(f"\ncontent part {pair.content_logit:+.3f} · positions (rotary) {pair.position_part:+.3f}")
    return text


def row_text(analysis: Analysis, pair: PairArithmetic, rows: int, compact: bool = False) -> Text:
    tokens = analysis.require_context().labels
    text = Text(no_wrap=True, overflow="ellipsis")
    title = "softmax of the row = attention" if compact else "the whole row: softmax(logits) = the attention"
    text.append(title + "\n", style="bold")
    label = max(6, min(12, max(len(token) for token in tokens) + 2))
    text.append(f"  {'to':<{label}}{'logit':>7} {'weight':>7}\n", style="dim")
    shown = window_around(list(range(len(tokens))), pair.target, rows)
    if shown and shown[0] > 0:
        text.append(f"  … {shown[0]} before\n", style="dim italic")
    for index in shown:
        chosen = index == pair.target
        logit = pair.row_logits[index]
        text.append("▶ " if chosen else "  ", style="bold cyan")
        text.append(f"{tokens[index][:label - 1]:<{label}}", style="bold" if chosen else "")
        text.append("  masked" if not np.isfinite(logit) else f"{logit:+7.2f}")
        text.append(f" {pair.row_weights[index]:7.3f} ", style="bold cyan" if chosen else "")
        text.append(bar(float(pair.row_weights[index]), 4 if compact else 12) + "\n", style="cyan")
    if shown and shown[-1] < len(tokens) - 1:
        text.append(f"  … {len(tokens) - 1 - shown[-1]} after\n", style="dim italic")
    finite = pair.row_logits[np.isfinite(pair.row_logits)]
    text.append(f"e^{pair.logit:.2f} / Σ e^logit" + ("" if compact else f" over {len(finite)}")
                + f" = {pair.weight:.3f}", style="dim")
    return text


def side_by_side(left: RenderableType, right: RenderableType, left_width: int) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(width=left_width)
    grid.add_column()
    grid.add_row(left, right)
    return grid


class MechanismScreen(Dialog[tuple[int, int] | None]):
    """Why this weight; dismissed with the (layer, head) it shows, which the grid then shows."""

    BINDINGS = [
        Binding("escape,q,n", "close", "close"),
        Binding("up,k", "move_from(-1)", "from", show=False),
        Binding("down,j", "move_from(1)", "from", show=False),
        Binding("left,h", "move_to(-1)", "to", show=False),
        Binding("right,l", "move_to(1)", "to", show=False),
        Binding("left_square_bracket", "layer(-1)", "layer", show=False),
        Binding("right_square_bracket", "layer(1)", "layer", show=False),
        Binding("comma", "head(-1)", "head", show=False),
        Binding("full_stop", "head(1)", "head", show=False),
        Binding("z", "head_off", "head off/on", show=False),
        Binding("Z", "heads_on", "all heads on", show=False),
    ]
    DEFAULT_CSS = """
    MechanismScreen { align: center middle; }
    MechanismScreen > Vertical {
        width: 100%; max-width: 130; height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    MechanismScreen VerticalScroll { height: 1fr; }
    MechanismScreen #body { height: auto; text-wrap: nowrap; }
    """

    @staticmethod
    def unavailable(view: ViewState) -> str | None:
        problem = needs_model(view)
        if problem is not None:
            return problem
        if not view.context.tokens:
            return "Type a sentence first."
        if view.context.captured is None:
            return f"Why this weight: {NOT_AVAILABLE} ({view.context.model.name} runs on transformers)."
        return None

    @staticmethod
    def numbers_of(view: ViewState, model: Any) -> np.ndarray:
        """(T, T) cosines of the sentence's tokens in the model's input table (ContextModel), once per open."""
        return token_table_cosines(model.input_embedding_units(), view.context.ids)

    def __init__(self, view: ViewState, table_cosines: np.ndarray | None) -> None:
        super().__init__()
        self.view = view
        self.table_cosines = table_cosines
        count = len(view.context.tokens)
        self.at_layer, self.head = view.layer, view.head
        self.source, self.target = clamp(view.focus, count), clamp(view.target, count)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_subtitle = "↑↓ from · ←→ to · [ ] layer · , . head · z head off/on · Z all on · esc"
            with VerticalScroll():
                yield Static(id="body")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()  # page up / page down scroll a screen taller than the terminal
        self.watch(self.app, "view", self._view_changed, init=False)
        self._show()

    def on_resize(self) -> None:
        self._show()

    def _view_changed(self, view: ViewState) -> None:
        """A re-analysis (heads switched off or on): the same sentence, other numbers."""
        context = view.context
        if context is not None and context.tokens == self.view.context.tokens and context.captured is not None:
            self.view = view
            self._show()

    @property
    def pair(self) -> PairArithmetic:
        return pair_arithmetic(self.view.context, self.at_layer, self.head, self.source, self.target)

    def body(self, width: int, height: int) -> RenderableType:
        analysis = self.view.analysis
        pair = self.pair
        side = static_side(analysis, self.source, self.target, self.table_cosines)
        intact = self.view.intact_context
        intact_weight = None if intact is None else float(intact.attentions[self.at_layer, self.head, self.source,
                                                                            self.target])
        tokens = analysis.require_context().labels
        header = arithmetic_text(analysis, pair, side, width, intact_weight)
        if width >= TWO_COLUMNS:  # the arithmetic, and the row beside it
            left_width = min(66, width - 46)
            left = Text(no_wrap=True, overflow="ellipsis")
            for part in (header, dimensions_text(tokens, pair, left_width, compact=False), sum_text(pair)):
                left.append_text(part)
            return side_by_side(left, row_text(analysis, pair, rows_for(height - 5, minimum=4)), left_width)
        header.rstrip()  # a Group puts each part on its own lines
        header_lines = header.plain.count("\n") + 1
        if width >= MIDDLE_WIDTH:  # the header across; the bars beside the row; the sum below
            left_width = width - 35
            dimensions = dimensions_text(tokens, pair, left_width, compact=True)
            rows = rows_for(height - header_lines - 6, minimum=4)
            return Group(header, side_by_side(dimensions, row_text(analysis, pair, rows, compact=True), left_width),
                         sum_text(pair))
        rows = rows_for(height - header_lines - 18, minimum=4)
        return Group(header, dimensions_text(tokens, pair, width, compact=False), sum_text(pair),
                     row_text(analysis, pair, rows))

    def _show(self) -> None:
        box = self.query_one(Vertical)
        tokens = self.view.context.labels
        off = self.view.heads_off
        # A str border title is markup; a Text is not ("[CLS]" is a token, not a tag).
        box.border_title = Text(f"why this weight · {head_long_name(self.at_layer, self.head)} · "
                                f"{tokens[self.source]} → {tokens[self.target]}"
                                + (f" · heads off: {heads_label(off)}" if off else ""))
        width = max(40, self.query_one(VerticalScroll).size.width or self.app.size.width - 4)
        height = self.query_one(VerticalScroll).size.height or self.app.size.height - 2
        self.query_one("#body", Static).update(self.body(width, height))

    # ---- keys ----------------------------------------------------------------------------------
    def action_move_from(self, delta: int) -> None:
        self.source = clamp(self.source + delta, len(self.view.context.tokens))
        self._show()

    def action_move_to(self, delta: int) -> None:
        self.target = clamp(self.target + delta, len(self.view.context.tokens))
        self._show()

    def action_layer(self, delta: int) -> None:
        self.at_layer = (self.at_layer + delta) % self.view.context.model.layers
        self._show()

    def action_head(self, delta: int) -> None:
        self.head = (self.head + delta) % self.view.context.model.heads
        self._show()

    def action_head_off(self) -> None:
        heads_off = toggled_head(self.app.heads_off, self.at_layer, self.head)
        self.app.switch_heads_off(heads_off)
        self.app.notify(heads_off_notice(heads_off, self.at_layer, self.head))

    def action_heads_on(self) -> None:
        self.app.switch_heads_off(frozenset())
        self.app.notify("every head is on again: the intact model")

    def action_close(self) -> None:
        self.dismiss((self.at_layer, self.head))
