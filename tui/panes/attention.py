"""Self-attention: the heatmap of the current view, and the weights under the cursor.

The grid is a Line-API ScrollView: only visible lines are rendered, each cached as a Strip,
so a 512 x 512 input scrolls as fast as a short one. Row labels and the column header stay
put while the cells scroll under them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

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

from wordlens.core.layer_names import heads_range, layers_range
from wordlens.core.measures.attention_views import View, top_targets
from wordlens.core.transformer.context_model import heads_label
from wordlens.tui.models_state import ModelsState
from wordlens.tui.panes.last_built import LastBuilt
from wordlens.tui.panes.line_fitting import packed
from wordlens.tui.panes.loading import loading_text
from wordlens.tui.panes.view_text import TextLines
from wordlens.tui.state import ViewState
from wordlens.tui.style.colors import GLYPH_RAMP, LEVELS, glyph, heat_level, level_style

MAX_LABEL = 10  # row labels; column labels get as many characters as the header's rows
MIN_LABEL = 7  # row labels shrink to this (5 characters) so that more columns fit
MIN_CELL, MAX_CELL = 2, 7
MAX_WIDE_CELL = 14  # a cell wide enough for its column's label written across

LABEL_STYLE = Style(color="#bcbcbc")
SPECIAL_LABEL_STYLE = Style(color="#6c6c6c", italic=True)
FOCUS_LABEL_STYLE = Style(color="#000000", bgcolor="#5fd7ff", bold=True)
SELECTED_LABEL_STYLE = Style(color="#000000", bgcolor="#87af87", bold=True)
TARGET_LABEL_STYLE = Style(color="#000000", bgcolor="#d7d7d7", bold=True)
MASKED_STYLE = Style(color="#444444", bgcolor="#1c1c1c")
# Every segment carries a style: Textual's NO_COLOR filter reads the colour of each one.
PLAIN = Style()


def label(token: str, width: int) -> str:
    return token if len(token) <= width else token[: max(1, width - 1)] + "…"


@dataclass(frozen=True)
class Geometry:
    """Where the grid's parts are on a line of `render_line`. Column labels are written across
    when every one fits its cell, else top-down (one character a line, at the cell's centre) in a
    header of `header_rows` lines, so a column of two cells still shows its whole word."""

    label_width: int  # the row labels' column
    cell: int  # characters a matrix column
    per_line: int  # matrix rows a text line (2 in dense mode)
    header_rows: int
    vertical: bool  # column labels written top-down
    # labels written across, each from its own column, on the header line given per column (staggered so
    # that none overlaps the next on its line); () when they are not staggered
    staggered: tuple[tuple[int, int], ...] = ()  # per column: (its header line, its label's first character)

    def vertical_label(self, token: str) -> str:
        """The characters of a top-down column label, one a header line (cut with … if longer)."""
        return label(token, self.header_rows).ljust(self.header_rows)


# The keys that move the focused and target units: the grid's, and its placeholder's while the
# transformer loads (they move over words then, so a key pressed during loading keeps its meaning).
UNIT_BINDINGS = [
        Binding("up,k", "screen.move_focus(-1)", "token ↑", show=False),
        Binding("down,j", "screen.move_focus(1)", "token ↓", show=False),
        Binding("left,h", "screen.move_target(-1)", "target ←", show=False),
        Binding("right,l", "screen.move_target(1)", "target →", show=False),
        Binding("pageup", "screen.move_focus(-10)", show=False),
        Binding("pagedown", "screen.move_focus(10)", show=False),
        Binding("home", "screen.move_target(-100000)", show=False),
        Binding("end", "screen.move_target(100000)", show=False),
        Binding("space", "screen.toggle_selected", "select row", show=False),
]


class AttentionGrid(ScrollView, can_focus=True):
    """Rows attend to columns. In dense mode each character shows two rows (half blocks)."""

    BINDINGS = UNIT_BINDINGS
    view: reactive[ViewState] = reactive(ViewState)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._strips: dict[int, Strip] = {}
        self._strip_key: tuple = ()
        self._paint: Paint | None = None
        self._painted_view: ViewState | None = None
        self._painting: Paint | None = None  # the paint under way (render_lines)
        self._geometry: LastBuilt[Geometry] = LastBuilt()

    # ---- geometry ---------------------------------------------------------------------
    def geometry(self, grid: View) -> Geometry:
        """The layout of `grid` drawn at the current size (the last one again for the same grid,
        by identity, mode and size: asked several times for every view)."""
        return self._geometry.get((grid,), (self.view.dense, self.size), lambda: self._geometry_of(grid))

    def _geometry_of(self, grid: View) -> Geometry:
        label_width = _label_width(grid.labels)
        if self.view.dense:
            return Geometry(label_width, 1, 2, 1, vertical=False)
        # the size less a scrollbar each way, whether shown or not: a layout that depended on the
        # scrollbars would change them
        width, count = self.size.width - 1, max(1, len(grid.labels))
        # the row labels give up characters before a column goes off screen
        label_width = max(min(label_width, MIN_LABEL), min(label_width, width - count * MIN_CELL))
        fit = max(0, width - label_width) // count
        longest = _longest(grid.labels)
        if fit >= longest + 1:
            return Geometry(label_width, min(fit, max(MAX_CELL, min(MAX_WIDE_CELL, longest + 1))), 1, 1, False)
        cell = max(MIN_CELL, min(MAX_CELL, fit))
        lines, depth = _stagger(grid.labels, cell, max(cell, width - label_width))
        height = self.size.height - 1
        # half the height, or all the rows the matrix leaves free
        room = max(6, height // 2, height - 1 - count)
        if depth <= min(longest, MAX_LABEL) or depth <= room < longest:
            # whole labels across in fewer lines than top-down ones take: more rows of the matrix show
            return Geometry(label_width, cell, 1, depth, vertical=False, staggered=lines)
        return Geometry(label_width, cell, 1, max(1, min(longest, MAX_LABEL, room)), vertical=True)

    def watch_view(self) -> None:
        grid = self.view.grid
        if grid is None:
            self.virtual_size = Size(0, 0)
        else:
            self._update_virtual_size(grid)
            self._scroll_to_cursor(grid)
        self.refresh()

    def on_resize(self) -> None:
        grid = self.view.grid
        if grid is not None:  # the layout depends on the size: the focused row may have gone out of view
            self._update_virtual_size(grid)
            self._scroll_to_cursor(grid)

    def _update_virtual_size(self, grid: View) -> None:
        shape = self.geometry(grid)
        count = len(grid.labels)
        self.virtual_size = Size(shape.label_width + count * shape.cell,
                                 shape.header_rows + -(-count // shape.per_line))

    def _scroll_to_cursor(self, grid: View) -> None:
        shape = self.geometry(grid)
        label_width, cell = shape.label_width, shape.cell
        row = self.view.nearest_row(self.view.focus) // shape.per_line
        column = self.view.nearest_row(self.view.target)
        visible = self.scrollable_content_region.size
        cells_width = max(cell, visible.width - label_width)
        x, y = self.scroll_x, self.scroll_y
        if column * cell < x:
            x = column * cell
        elif (column + 1) * cell > x + cells_width:
            x = (column + 1) * cell - cells_width
        lines = max(1, visible.height - shape.header_rows)
        if row < y:
            y = row
        elif row >= y + lines:
            y = row - lines + 1
        self.scroll_to(x=max(0, x), y=max(0, y), animate=False)

    # ---- rendering --------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        self._painting = self._current_paint()  # its key reads sizes: once a paint, not once a line
        try:
            return super().render_lines(crop)
        finally:
            self._painting = None

    def render_line(self, y: int) -> Strip:
        paint = self._painting or self._current_paint()
        if paint.grid is None:
            return Strip.blank(paint.width, PLAIN)
        if y not in self._strips:
            self._strips[y] = self._render_line(y, paint)
        return self._strips[y]

    def _current_paint(self) -> Paint:
        """What the lines of the current view, width and scroll position read; a new one (and no
        lines drawn) when any of them changed."""
        view, width = self.view, self.scrollable_content_region.width
        key = (self.scroll_x, self.scroll_y, width, self.app.no_color)
        if self._paint is None or self._painted_view is not view or key != self._strip_key:
            self._strips.clear()
            self._strip_key, self._painted_view = key, view  # the view itself: an id can be reused
            self._paint = self._paint_of(view.grid, width)
        return self._paint

    def _paint_of(self, grid: View | None, width: int) -> Paint:
        """What every line of this view drawn at this width and scroll position reads."""
        view = self.view
        if grid is None:
            return Paint(None, Geometry(0, 1, 1, 1, vertical=False), width, range(0), None, None, frozenset(), False,
                         False)
        shape = self.geometry(grid)
        first_column = int(self.scroll_x) // shape.cell
        last_column = min(len(grid.labels), first_column + max(0, width - shape.label_width) // shape.cell + 1)
        return Paint(grid, shape, width, range(first_column, last_column), view.row_of_token(view.focus),
                     view.row_of_token(view.target), frozenset(view.selected_rows),
                     view.analysis.context.model.causal, self.app.no_color)

    def _render_line(self, y: int, paint: Paint) -> Strip:
        grid, shape, width = paint.grid, paint.shape, paint.width
        label_width, cell, per_line = shape.label_width, shape.cell, shape.per_line
        if y < shape.header_rows and shape.staggered:
            segments = [Segment(" " * label_width, PLAIN)] + self._staggered_header(paint, y, width - label_width)
        elif y < shape.header_rows:
            segments = [Segment(" " * label_width, PLAIN)] + self._header(paint, y)
        else:
            first_row = (int(self.scroll_y) + y - shape.header_rows) * per_line
            if first_row >= len(grid.labels):
                return Strip.blank(width, PLAIN)
            rows = [r for r in range(first_row, first_row + per_line) if r < len(grid.labels)]
            segments = [self._row_label(paint, rows, label_width)]
            segments += self._cells(paint, rows, cell)
        # Neighbouring cells mostly share a colour step: one segment for each run of them keeps
        # the cost of drawing the line down (~30 cells a line at 512 tokens, redrawn every edit).
        return Strip(Segment.simplify(segments)).crop(0, width).extend_cell_length(width, PLAIN)

    def _header(self, paint: Paint, line: int) -> list[Segment]:
        """Line `line` of the column labels."""
        grid, shape, target_row = paint.grid, paint.shape, paint.target_row
        cell = shape.cell
        if cell == 1:  # dense: no room for labels, mark the target column only
            return [Segment("▼" if column == target_row else " ", TARGET_LABEL_STYLE if column == target_row
                            else LABEL_STYLE) for column in paint.columns]
        segments = []
        for column in paint.columns:
            if column == target_row:
                style = TARGET_LABEL_STYLE
            else:
                style = SPECIAL_LABEL_STYLE if grid.special[column] else LABEL_STYLE
            if shape.vertical:
                character = shape.vertical_label(grid.labels[column])[line]
                text = character.center(cell)
            else:
                text = label(grid.labels[column], cell - 1).ljust(cell)
            segments.append(Segment(text, style))
        return segments

    def _staggered_header(self, paint: Paint, line: int, width: int) -> list[Segment]:
        """Line `line` of labels written across from their own columns, scrolled as the cells are."""
        grid, target_row = paint.grid, paint.target_row
        offset = int(self.scroll_x)
        placed = sorted((start, column) for column, (on_line, start) in enumerate(paint.shape.staggered)
                        if on_line == line)
        segments, x = [], 0  # x: the next free character of the line, from the scroll position
        for start, column in placed:
            text, start = grid.labels[column], start - offset
            if start + len(text) <= 0 or start >= width:
                continue
            if start < 0:  # scrolled past its start: its end still shows
                text, start = text[-start:], 0
            if column == target_row:
                style = TARGET_LABEL_STYLE
            else:
                style = SPECIAL_LABEL_STYLE if grid.special[column] else LABEL_STYLE
            segments += [Segment(" " * (start - x), PLAIN), Segment(text, style)]
            x = start + len(text)
        return segments

    def _row_label(self, paint: Paint, rows: list[int], label_width: int) -> Segment:
        """The label of a line: its row, or in dense mode the first of its two rows (the marker
        also flags the focus on the second)."""
        grid, focus_row = paint.grid, paint.focus_row
        row = focus_row if focus_row in rows else rows[0]
        if row == focus_row:
            style, marker = FOCUS_LABEL_STYLE, "▶"
        elif row in paint.selected:
            style, marker = SELECTED_LABEL_STYLE, "+"
        else:
            style, marker = (SPECIAL_LABEL_STYLE if grid.special[row] else LABEL_STYLE), " "
        return Segment(f"{marker}{label(grid.labels[row], label_width - 2):<{label_width - 2}} ", style)

    def _cells(self, paint: Paint, rows: list[int], cell: int) -> list[Segment]:
        grid, causal, no_color = paint.grid, paint.causal, paint.no_color
        focus_row, target_column = paint.focus_row, paint.target_row
        segments = []
        if paint.shape.per_line == 2:  # dense: upper half = first row, lower half = second row (or nothing)
            top, bottom = rows[0], rows[-1]
            for column in paint.columns:
                upper = _cell_style(grid.matrix[top, column], causal and column > top)
                lower = _cell_style(grid.matrix[bottom, column], causal and column > bottom)
                lower_color = lower.bgcolor if len(rows) == 2 else None
                segments.append(Segment("▀", Style(color=upper.bgcolor, bgcolor=lower_color)))
            return segments
        (row,) = rows
        columns = paint.columns
        for column, value in zip(columns, grid.matrix[row, columns.start:columns.stop].tolist(), strict=True):
            masked = causal and column > row
            style = _cell_style(value, masked)
            if masked:
                text = "╱" * cell
            elif row == focus_row and column == target_column:
                text, style = "◆".center(cell), style + Style(bold=True)
            elif no_color:
                text = glyph(value) * cell
            elif row == focus_row:
                text = "·".center(cell)
            else:
                text = " " * cell
            segments.append(Segment(text, style))
        return segments


@dataclass(frozen=True)
class Paint:
    """What every line of one grid drawn at one width and scroll position reads, found once."""

    grid: View | None  # None: no grid to draw
    shape: Geometry
    width: int
    columns: range  # the matrix columns in sight
    focus_row: int | None
    target_row: int | None
    selected: frozenset[int]
    causal: bool
    no_color: bool


@lru_cache(maxsize=8)  # asked for every line drawn
def _label_width(labels: tuple[str, ...]) -> int:
    return min(MAX_LABEL, _longest(labels)) + 2


@lru_cache(maxsize=8)
def _stagger(labels: tuple[str, ...], cell: int, visible: int) -> tuple[tuple[tuple[int, int], ...], int]:
    """Per label, its header line and first character: written across from its column (x = column * cell),
    or ending over its column where it would run past the last one (or the `visible` width); each line's
    labels a space apart, in as few lines as that takes. And the number of lines."""
    span = min(len(labels) * cell, visible)
    taken: list[list[tuple[int, int]]] = []  # per line, the (start, end) of its labels, a space after each
    placed = []
    for column, text in enumerate(labels):
        start = column * cell
        if start + len(text) > span:
            start = max(0, start + cell - len(text))
        end = start + len(text) + 1
        line = next((index for index, spans in enumerate(taken)
                     if all(end <= low or start >= high for low, high in spans)), len(taken))
        if line == len(taken):
            taken.append([])
        taken[line].append((start, end))
        placed.append((line, start))
    return tuple(placed), max(1, len(taken))


@lru_cache(maxsize=8)
def _longest(labels: tuple[str, ...]) -> int:
    return max((len(text) for text in labels), default=1)


def _cell_style(value: float, masked: bool) -> Style:
    return MASKED_STYLE if masked else level_style(heat_level(value))


class AttentionStatus(Widget):
    """The exact weight under the cursor, the focused rows' strongest targets, the colour key.

    Painted through the Line API: the weights line is converted for every view, the colour key and
    the keys below it (which change only with the width, colours and a causal model) once."""

    DEFAULT_CSS = "AttentionStatus { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }"
    view: reactive[ViewState] = reactive(ViewState)

    def __init__(self) -> None:
        super().__init__()
        self._weights: LastBuilt[Text] = LastBuilt()
        self._legend: LastBuilt[Text] = LastBuilt()
        self._weight_lines, self._legend_lines, self._selected_lines = TextLines(), TextLines(first_y=1), TextLines()

    def get_content_height(self, container, viewport, width: int) -> int:
        """The lines the status takes at `width` (its legend wraps), asked before it is that wide."""
        return 1 + self._legend_at(width).plain.count("\n") + 1 if self.view.grid is not None else 1

    def render(self) -> Text:
        """The whole status as one Text: what its lines show."""
        width = self.size.width or 80
        if self.view.grid is None:
            return Text("")
        return Text.assemble(self._weights_at(width), "\n", self._legend_at(width))

    def render_line(self, y: int) -> Strip:
        width = self.size.width or 80
        if self.view.grid is None:
            return Strip.blank(self.size.width, self.visual_style.rich_style)
        if self.text_selection is not None:  # its spans are counted in lines of the whole status
            return self._selected_lines.line(self, self.render(), y)
        if y == 0:
            return self._weight_lines.line(self, self._weights_at(width), 0)
        return self._legend_lines.line(self, self._legend_at(width), y - 1)

    def _weights_at(self, width: int) -> Text:
        """The first line."""
        return self._weights.get((self.view,), (width,), lambda: self._weights_line(width))

    def _weights_line(self, width: int) -> Text:
        view = self.view
        grid = view.grid
        focus_row, target_column = view.row_of_token(view.focus), view.row_of_token(view.target)
        weights: list[Text] = []
        if focus_row is None or target_column is None:
            weights.append(Text("the focused or target token is hidden in this view", style="dim italic"))
        else:
            weights.append(Text.assemble((f"{grid.labels[focus_row]} → {grid.labels[target_column]} ", "bold"),
                                         (f"{grid.matrix[focus_row, target_column]:.3f}", "bold reverse")))
        rows = view.selected_rows
        if rows:
            summed = grid.matrix[rows].sum(axis=0)
            lead = f" top of {len(rows)} rows: " if len(rows) > 1 else " strongest: "
            for rank, (i, weight) in enumerate(top_targets(summed, 3)):
                weights.append(Text.assemble((lead if rank == 0 else "", "dim"), f"{grid.labels[i]} {weight:.2f}"))
        return packed(weights, width, separator="  ", lines=1)  # as many of the strongest as fit

    def _legend_at(self, width: int) -> Text:
        """The colour key and the grid's keys, wrapped to `width`."""
        key = (width, self.app.no_color, self.view.analysis.context.model.causal)
        return self._legend.get((), key, lambda: _legend(*key))


def _legend(width: int, no_color: bool, causal: bool) -> Text:
    key = Text("0 ", style="dim")
    if no_color:
        key.append(GLYPH_RAMP)
    else:
        for level in range(LEVELS + 1):
            key.append(" ", style=level_style(level))
    key.append(" 1", style="dim")
    legend = [key]
    if causal:
        legend.append(Text("╱ masked (causal)", style="dim"))
    legend += [Text(entry, style="dim") for entry in KEY_LEGEND]
    return packed(legend, width)


# The grid's own keys, in the status line (the help screen has them all).
KEY_LEGEND = ("a view", "w words", "s specials", "d dense", "o overview", "m metrics", "r referents")


class AttentionPlaceholder(Widget, can_focus=True):
    """Loading progress, or why there is nothing to show yet. It stands in for the grid in the
    keyboard's order: tab reaches it and its keys move over the words until the grid shows."""

    BINDINGS = UNIT_BINDINGS
    DEFAULT_CSS = "AttentionPlaceholder { height: auto; }"
    models: reactive[ModelsState] = reactive(ModelsState)

    def render(self) -> Text:
        if not self.models.model.done:
            return loading_text(self.models.model, "the transformer", width=max(10, self.size.width - 8))
        return Text("Type a sentence above.", style="dim italic")


class AttentionPane(Vertical):
    # repaint=False: the grid, status and placeholder bound to these repaint themselves; a repaint of
    # the pane redrew its whole border and background at every analysis
    view: reactive[ViewState] = reactive(ViewState, repaint=False)
    models: reactive[ModelsState] = reactive(ModelsState, repaint=False)

    def compose(self):
        yield AttentionPlaceholder().data_bind(AttentionPane.models)
        yield AttentionGrid().data_bind(AttentionPane.view)
        yield AttentionStatus().data_bind(AttentionPane.view)

    def on_resize(self) -> None:
        if self.view.analysis is not None and self.view.analysis.context is not None:
            self.border_title = self._title(self.view)

    def _title(self, view: ViewState) -> str:
        """The view and the heads off, shortened until it fits the border (less its corners)."""
        heads_off = view.analysis.context.heads_off
        off = heads_label(heads_off) if heads_off else ""
        titles = [f"self-attention · {view.spec.describe()}" + (f" · heads off: {off}" if off else ""),
                  f"self-attention · {view.spec.short()}" + (f" · heads off: {off}" if off else ""),
                  f"{view.spec.short()}" + (f" · off: {off}" if off else "")]
        room = (self.outer_size.width or 120) - 6  # the border, its corners and a space either side
        return next((title for title in titles if len(title) <= room), titles[-1])

    @property
    def keyboard_target(self) -> Widget:
        """The widget that takes the pane's keys: the grid, or its placeholder while there is none."""
        grid = self.query_one(AttentionGrid)
        return grid if grid.display else self.query_one(AttentionPlaceholder)

    def watch_view(self, view: ViewState) -> None:
        grid = view.grid
        had_keys = self.keyboard_target.has_focus
        self.query_one(AttentionPlaceholder).display = grid is None
        self.query_one(AttentionGrid).display = grid is not None
        self.query_one(AttentionStatus).display = grid is not None
        if had_keys and not self.keyboard_target.has_focus:  # the keys go on where they went
            self.screen.set_focus(self.keyboard_target)
        context = view.analysis.context if view.analysis else None
        if context is None:
            self._set_titles("self-attention", "")
            return
        model = context.model
        self._set_titles(self._title(view), f"{len(context.tokens)} tokens"
                         + (" (cut at the model's maximum)" if context.truncated else "")
                         + f" · {layers_range(model.layers)} · {heads_range(model.heads)}")

    def _set_titles(self, title: str, subtitle: str) -> None:
        """Only when they change: setting a border's title repaints the whole pane, border and all."""
        if title != self.border_title:
            self.border_title = title
        if subtitle != self.border_subtitle:
            self.border_subtitle = subtitle
