"""Self-attention: the token x token heatmap of one layer and head, and the weight under the cursor."""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from wordlens.tui.colors import LEVELS, heat_level, level_style
from wordlens.tui.loading import loading_text
from wordlens.tui.view import ViewState

MAX_LABEL = 10
MIN_CELL, MAX_CELL = 2, 7
HEADER_ROWS = 1

LABEL_STYLE = Style(color="#bcbcbc")
SPECIAL_LABEL_STYLE = Style(color="#6c6c6c", italic=True)
FOCUS_LABEL_STYLE = Style(color="#000000", bgcolor="#5fd7ff", bold=True)
TARGET_LABEL_STYLE = Style(color="#000000", bgcolor="#d7d7d7", bold=True)


def label(token: str, width: int) -> str:
    return token if len(token) <= width else token[: width - 1] + "…"


class AttentionGrid(ScrollView, can_focus=True):
    """Rows attend to columns. Row labels and the column header stay put while the cells scroll."""

    BINDINGS = [
        Binding("up,k", "app.move_focus(-1)", "token ↑", show=False),
        Binding("down,j", "app.move_focus(1)", "token ↓", show=False),
        Binding("left,h", "app.move_target(-1)", "target ←", show=False),
        Binding("right,l", "app.move_target(1)", "target →", show=False),
        Binding("home", "app.move_target(-10000)", show=False),
        Binding("end", "app.move_target(10000)", show=False),
    ]
    view: reactive[ViewState] = reactive(ViewState)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._strips: dict[int, Strip] = {}
        self._strip_key: tuple = ()

    @property
    def matrix(self) -> np.ndarray | None:
        context = self.view.analysis.context if self.view.analysis else None
        if context is None:
            return None
        return context.attentions[self.view.layer, self.view.head]

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.view.analysis.context.tokens

    def _geometry(self) -> tuple[int, int]:
        """(label width, cell width) for the current size."""
        tokens = self.tokens
        label_width = min(MAX_LABEL, max(len(token) for token in tokens)) + 2
        room = max(0, self.size.width - label_width)
        cell = max(MIN_CELL, min(MAX_CELL, room // max(1, len(tokens))))
        return label_width, cell

    def watch_view(self, old: ViewState, new: ViewState) -> None:
        if self.matrix is None:
            self.virtual_size = Size(0, 0)
            self.refresh()
            return
        self._update_virtual_size()
        self._scroll_to_cursor()
        self.refresh()

    def on_resize(self) -> None:
        if self.matrix is not None:
            self._update_virtual_size()

    def _update_virtual_size(self) -> None:
        label_width, cell = self._geometry()
        count = len(self.tokens)
        self.virtual_size = Size(label_width + count * cell, HEADER_ROWS + count)

    def _scroll_to_cursor(self) -> None:
        label_width, cell = self._geometry()
        view = self.view
        # Cells scroll under fixed labels, so the region is in "cell space" shifted by the labels.
        region = Region(label_width + view.target * cell, HEADER_ROWS + view.focus, cell, 1)
        visible = self.scrollable_content_region.size
        x = self.scroll_x
        if region.x - label_width < x:
            x = region.x - label_width
        elif region.right > x + visible.width:
            x = region.right - visible.width
        y = self.scroll_y
        row = view.focus
        if row < y:
            y = row
        elif row >= y + visible.height - HEADER_ROWS:
            y = row - (visible.height - HEADER_ROWS) + 1
        self.scroll_to(x=max(0, x), y=max(0, y), animate=False)

    def render_line(self, y: int) -> Strip:
        matrix = self.matrix
        width = self.scrollable_content_region.width
        if matrix is None:
            return Strip.blank(width)
        key = (id(self.view), self.scroll_x, self.scroll_y, width)
        if key != self._strip_key:
            self._strips.clear()
            self._strip_key = key
        if y not in self._strips:
            self._strips[y] = self._render_row(y, matrix, width)
        return self._strips[y]

    def _render_row(self, y: int, matrix: np.ndarray, width: int) -> Strip:
        label_width, cell = self._geometry()
        tokens, view = self.tokens, self.view
        special = self.view.analysis.context.special
        scroll_x, scroll_y = int(self.scroll_x), int(self.scroll_y)
        first_column = scroll_x // cell
        columns = range(first_column, min(len(tokens), first_column + (width - label_width) // cell + 1))
        if y < HEADER_ROWS:
            segments = [Segment(" " * label_width)]
            for column in columns:
                style = TARGET_LABEL_STYLE if column == view.target else (
                    SPECIAL_LABEL_STYLE if special[column] else LABEL_STYLE)
                segments.append(Segment(label(tokens[column], cell - 1).ljust(cell), style))
            return Strip(segments).crop(0, width).extend_cell_length(width)
        row = scroll_y + y - HEADER_ROWS
        if row >= len(tokens):
            return Strip.blank(width)
        if row == view.focus:
            row_label_style = FOCUS_LABEL_STYLE
        else:
            row_label_style = SPECIAL_LABEL_STYLE if special[row] else LABEL_STYLE
        marker = "▶" if row == view.focus else " "
        segments = [Segment(f"{marker}{label(tokens[row], label_width - 2):<{label_width - 2}} ", row_label_style)]
        for column in columns:
            value = float(matrix[row, column])
            style = level_style(heat_level(value))
            if row == view.focus and column == view.target:
                segments.append(Segment("◆".center(cell), style + Style(bold=True)))
            elif row == view.focus:
                segments.append(Segment("·".center(cell), style))
            else:
                segments.append(Segment(" " * cell, style))
        return Strip(segments).crop(0, width).extend_cell_length(width)


class AttentionStatus(Widget):
    """The exact weight under the cursor, the focused row's strongest targets, and the colour key."""

    DEFAULT_CSS = "AttentionStatus { height: 2; text-wrap: nowrap; text-overflow: ellipsis; }"
    view: reactive[ViewState] = reactive(ViewState)

    def render(self) -> Text:
        view = self.view
        context = view.analysis.context if view.analysis else None
        if context is None or not 0 <= view.focus < len(context.tokens):
            return Text("")
        matrix = context.attentions[view.layer, view.head]
        tokens = context.tokens
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{tokens[view.focus]} → {tokens[view.target]} ", style="bold")
        text.append(f"{matrix[view.focus, view.target]:.3f}", style="bold reverse")
        order = np.argsort(-matrix[view.focus])[:3]
        text.append("   strongest: ", style="dim")
        text.append("  ".join(f"{tokens[i]} {matrix[view.focus, i]:.2f}" for i in order))
        text.append("\n")
        text.append("0 ", style="dim")
        for level in range(LEVELS + 1):
            text.append("  ", style=level_style(level))
        text.append(" 1", style="dim")
        text.append("   row attends to column · ↑↓ token ←→ target · [ ] layer · , . head", style="dim")
        return text


class AttentionPlaceholder(Widget):
    """Loading progress, or why there is nothing to show yet."""

    DEFAULT_CSS = "AttentionPlaceholder { height: auto; }"
    view: reactive[ViewState] = reactive(ViewState)

    def render(self) -> Text:
        if not self.view.model.done:
            return loading_text(self.view.model, "the transformer", width=max(10, self.size.width - 8))
        return Text("Type a sentence above.", style="dim italic")


class AttentionPane(Vertical):
    view: reactive[ViewState] = reactive(ViewState)

    def compose(self):
        yield AttentionPlaceholder().data_bind(AttentionPane.view)
        yield AttentionGrid().data_bind(AttentionPane.view)
        yield AttentionStatus().data_bind(AttentionPane.view)

    def watch_view(self, view: ViewState) -> None:
        context = view.analysis.context if view.analysis else None
        has_grid = context is not None and len(context.tokens) > 0
        self.query_one(AttentionPlaceholder).display = not has_grid
        self.query_one(AttentionGrid).display = has_grid
        self.query_one(AttentionStatus).display = has_grid
        if context is None:
            self.border_title = "self-attention"
            self.border_subtitle = ""
            return
        model = context.model
        self.border_title = f"self-attention · layer {view.layer} · head {view.head}"
        self.border_subtitle = (
            f"{model.name} · layers 0–{model.layers - 1} · heads 0–{model.heads - 1} · {len(context.tokens)} tokens"
            + (" (cut at the model's maximum)" if context.truncated else "")
        )
