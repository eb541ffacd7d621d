"""The model overview: every layer x head as a thumbnail heatmap on one screen (bertviz's model view).

Arrows move between thumbnails; enter opens that head in the attention pane.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Footer, Static

from wordlens.core.layer_names import head_long_name
from wordlens.tui.screens.dialog import Dialog
from wordlens.tui.screens.of_view import needs_model
from wordlens.tui.state import ViewState
from wordlens.tui.style.colors import heat_level, level_style

LABEL_WIDTH = 4
CURSOR_STYLE = Style(color="#000000", bgcolor="#5fd7ff", bold=True)
CURSOR_EDGE_STYLE = Style(color="#5fd7ff")
MASKED_COLOR = Style.parse("on #1c1c1c").bgcolor
LABEL_STYLE = Style(color="#8a8a8a")
PLAIN = Style()  # every segment needs a style: Textual's NO_COLOR filter reads each one


def resample(matrix: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """Shrink (block mean) or stretch (nearest) a matrix to rows x columns."""
    def bins(size: int, count: int) -> list[np.ndarray]:
        edges = np.linspace(0, size, count + 1)
        return [np.arange(int(edges[i]), max(int(edges[i]) + 1, int(edges[i + 1]))).clip(max=size - 1)
                for i in range(count)]

    row_bins, column_bins = bins(matrix.shape[0], rows), bins(matrix.shape[1], columns)
    return np.array([[matrix[np.ix_(r, c)].mean() for c in column_bins] for r in row_bins], dtype=np.float32)


class Thumbnails(Widget, can_focus=True):
    """A grid of half-block thumbnails: each character cell shows two matrix rows."""

    BINDINGS = [
        Binding("up,k", "move(-1, 0)", show=False),
        Binding("down,j", "move(1, 0)", show=False),
        Binding("left,h", "move(0, -1)", show=False),
        Binding("right,l", "move(0, 1)", show=False),
    ]
    cursor: reactive[tuple[int, int]] = reactive((0, 0))

    def __init__(self, attentions: np.ndarray, cursor: tuple[int, int], causal: bool = False) -> None:
        super().__init__()
        self.attentions = attentions
        self.causal = causal
        self.set_reactive(Thumbnails.cursor, cursor)
        self._cache: dict[tuple[int, int, int, int], np.ndarray] = {}

    @property
    def layers(self) -> int:
        return self.attentions.shape[0]

    @property
    def heads(self) -> int:
        return self.attentions.shape[1]

    def thumb_size(self) -> tuple[int, int]:
        """(width, text rows) of one thumbnail, a one-cell gap around each."""
        width = max(2, (self.size.width - LABEL_WIDTH) // self.heads - 1)
        rows = max(1, (self.size.height - 1) // self.layers - 1)
        return width, rows

    def action_move(self, d_layer: int, d_head: int) -> None:
        layer, head = self.cursor
        self.cursor = ((layer + d_layer) % self.layers, (head + d_head) % self.heads)

    def watch_cursor(self) -> None:
        self.refresh()

    def _thumb(self, layer: int, head: int, width: int, rows: int) -> np.ndarray:
        key = (layer, head, width, rows)
        if key not in self._cache:
            self._cache[key] = resample(self.attentions[layer, head], rows * 2, width)
        return self._cache[key]

    def _color(self, value: float, row: int, column: int, rows: int, columns: int):
        """The cell's colour; above the diagonal of a causal model, the masked colour."""
        if self.causal and column / columns > (row + 1) / rows:
            return MASKED_COLOR
        return level_style(heat_level(value)).bgcolor

    def render_line(self, y: int) -> Strip:
        width, rows = self.thumb_size()
        if y == 0:
            segments = [Segment(" " * LABEL_WIDTH, PLAIN)]
            for head in range(self.heads):
                style = CURSOR_STYLE if head == self.cursor[1] else LABEL_STYLE
                segments.append(Segment(f"H{head + 1}".ljust(width + 1)[: width + 1], style))
            return Strip(segments).extend_cell_length(self.size.width, PLAIN)
        band, line = divmod(y - 1, rows + 1)
        if band >= self.layers:
            return Strip.blank(self.size.width, PLAIN)
        layer = band
        segments = []
        if line == 0:
            style = CURSOR_STYLE if layer == self.cursor[0] else LABEL_STYLE
            segments.append(Segment(f"L{layer + 1}".ljust(LABEL_WIDTH - 1) + " ", style))
        else:
            segments.append(Segment(" " * LABEL_WIDTH, PLAIN))
        for head in range(self.heads):
            is_cursor = (layer, head) == self.cursor
            if line == rows:  # the gap row under a band
                segments.append(Segment(("▔" * width if is_cursor else " " * width) + " ", CURSOR_EDGE_STYLE))
                continue
            thumb = self._thumb(layer, head, width, rows)
            for column, (top_value, bottom_value) in enumerate(zip(thumb[line * 2], thumb[line * 2 + 1], strict=True)):
                top_color = self._color(top_value, line * 2, column, rows * 2, width)
                bottom_color = self._color(bottom_value, line * 2 + 1, column, rows * 2, width)
                segments.append(Segment("▀", Style(color=top_color, bgcolor=bottom_color)))
            segments.append(Segment("▌" if is_cursor else " ", CURSOR_EDGE_STYLE))
        return Strip(segments).crop(0, self.size.width).extend_cell_length(self.size.width, PLAIN)


class OverviewScreen(Dialog[tuple[int, int] | None]):
    BINDINGS = [
        Binding("enter", "open", "open head"),
        Binding("escape,o,q", "dismiss(None)", "close"),
    ]
    DEFAULT_CSS = """
    OverviewScreen { background: $background; }
    OverviewScreen Static { height: 1; }
    OverviewScreen Thumbnails { height: 1fr; }
    """

    unavailable = staticmethod(needs_model)

    @staticmethod
    def numbers(view: ViewState) -> None:
        return None  # the thumbnails are drawn from the attentions as they are shown

    @classmethod
    def of_view(cls, view: ViewState, numbers: None) -> OverviewScreen:
        context = view.context
        title = Text.assemble((context.model.name, "bold"), ": every layer × head · ↑↓←→ move · enter open · esc close")
        return cls(context.attentions, view.layer, view.head, title, causal=context.model.causal)

    def __init__(self, attentions: np.ndarray, layer: int, head: int, title: Text, causal: bool = False) -> None:
        super().__init__()
        self.attentions = attentions
        self.causal = causal
        self.start = (layer, head)
        self.title_text = title

    def compose(self) -> ComposeResult:
        yield Static(self.title_text)
        yield Thumbnails(self.attentions, self.start, causal=self.causal)
        yield Footer()

    def on_mount(self) -> None:
        thumbnails = self.query_one(Thumbnails)
        thumbnails.focus()
        self.watch(thumbnails, "cursor", self._describe_cursor)

    def _describe_cursor(self, cursor: tuple[int, int]) -> None:
        layer, head = cursor
        self.query_one(Static).update(self.title_text + f"   ▶ {head_long_name(layer, head)}: enter opens it")

    def action_open(self) -> None:
        self.dismiss(self.query_one(Thumbnails).cursor)
