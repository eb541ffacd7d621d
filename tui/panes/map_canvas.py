"""A 2D scatter canvas for the map screen (Line API): points and lines in braille dots, the words
as glyphs, labels that never overlap (the points nearest the focus keep theirs, the rest stay
dots), a cursor moved between points by the arrow keys.

`lay_out` is pure (a drawing and a size in, a grid of cells out); the widget turns the grid into
cached strips in the 256-colour palette. Every kind of point also has its own glyph, so the map
reads the same under NO_COLOR.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rich.segment import Segment
from rich.style import Style
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from wordlens.core.measures.map_views import MapPoint

# kind -> (glyph or "" for a braille dot, style); the xterm 256-colour palette
POINT_GLYPHS = {"neighbour": "", "sentence": "●", "token": "●", "focus": "◉", "path": "", "path-other": "",
                "query": "◆", "key": "■"}
STYLES = {
    "plain": Style(color="color(252)"),
    "neighbour": Style(color="color(244)"),
    "sentence": Style(color="color(75)", bold=True),
    "token": Style(color="color(75)", bold=True),
    "focus": Style(color="color(214)", bold=True),
    "path": Style(color="color(203)", bold=True),
    "path-other": Style(color="color(141)", bold=True),
    "arrow": Style(color="color(114)", bold=True),
    "label-neighbour": Style(color="color(248)"),
    "query": Style(color="color(114)", bold=True),
    "key": Style(color="color(205)", bold=True),
    "attend-weak": Style(color="color(240)"),
    "attend": Style(color="color(247)"),
    "attend-strong": Style(color="color(231)", bold=True),
}
LINE_ORDER = {"path-other": 1, "path": 2, "arrow": 3, "attend-weak": 1, "attend": 2, "attend-strong": 3}
BRAILLE_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row][column] of a cell's 2x4 dots
PAD = 0.06


@dataclass(frozen=True, eq=False)
class Drawing:
    """What to draw: points (their `kind` picks glyph and colour; `glyph` overrides it, e.g. a
    path's layer digit), lines between points, the focus (labels nearest it win), and the points
    whose extent the view zooms to."""

    points: tuple[MapPoint, ...] = ()
    glyphs: tuple[str, ...] = ()  # per point: "" = the kind's glyph
    kinds: tuple[str, ...] = ()  # per point: the style kind drawn
    labels: tuple[str, ...] = ()  # per point: "" = no label
    lines: tuple[tuple[int, int, str], ...] = ()  # (from, to, style kind)
    focus: int | None = None
    zoom: tuple[int, ...] = ()  # indices; empty = every point
    bounds: tuple[float, float, float, float] | None = None  # (low x, high x, low y, high y): instead of zoom


@dataclass
class Layout:
    width: int
    height: int
    chars: list[list[str]]
    kinds: list[list[str]]
    cells: dict[int, tuple[int, int]] = field(default_factory=dict)  # point -> (column, row), when on the canvas
    labelled: set[int] = field(default_factory=set)


def _scale(drawing: Drawing, width: int, height: int):
    """(x, y) -> dot (px, py) with one scale on both axes (a braille dot is about square)."""
    if drawing.bounds is not None:
        low_x, high_x, low_y, high_y = drawing.bounds
    else:
        chosen = [drawing.points[i] for i in (drawing.zoom or range(len(drawing.points)))]
        xs, ys = [p.x for p in chosen], [p.y for p in chosen]
        low_x, high_x, low_y, high_y = min(xs), max(xs), min(ys), max(ys)
    span = max(high_x - low_x, high_y - low_y, 1e-9)
    low_x, high_x = low_x - PAD * span, high_x + PAD * span
    low_y, high_y = low_y - PAD * span, high_y + PAD * span
    dots_x, dots_y = 2 * width - 1, 4 * height - 1
    scale = min(dots_x / max(high_x - low_x, 1e-9), dots_y / max(high_y - low_y, 1e-9))
    middle_x, middle_y = (low_x + high_x) / 2, (low_y + high_y) / 2

    def to_dots(x: float, y: float) -> tuple[int, int]:
        return round(dots_x / 2 + (x - middle_x) * scale), round(dots_y / 2 - (y - middle_y) * scale)

    return to_dots


def lay_out(drawing: Drawing, width: int, height: int, cursor: int | None = None) -> Layout:
    layout = Layout(width, height, [[" "] * width for _ in range(height)], [["plain"] * width for _ in range(height)])
    if not drawing.points or width < 2 or height < 2:
        return layout
    to_dots = _scale(drawing, width, height)
    bits = [[0] * width for _ in range(height)]
    dot_kind: dict[tuple[int, int], str] = {}

    def set_dot(px: int, py: int, kind: str) -> None:
        column, row = px // 2, py // 4
        if 0 <= column < width and 0 <= row < height and px >= 0 and py >= 0:
            bits[row][column] |= BRAILLE_BITS[py % 4][px % 2]
            previous = dot_kind.get((column, row))
            if previous is None or LINE_ORDER.get(kind, 0) >= LINE_ORDER.get(previous, 0):
                dot_kind[(column, row)] = kind

    dots = [to_dots(p.x, p.y) for p in drawing.points]
    for start, end, kind in sorted(drawing.lines, key=lambda line: LINE_ORDER.get(line[2], 0)):
        for px, py in _line_dots(dots[start], dots[end]):
            set_dot(px, py, kind)
    markers: dict[tuple[int, int], int] = {}
    for index, (px, py) in enumerate(dots):
        column, row = px // 2, py // 4
        if not (0 <= column < width and 0 <= row < height):
            continue
        layout.cells[index] = (column, row)
        glyph = drawing.glyphs[index] or POINT_GLYPHS.get(drawing.kinds[index], "")
        if glyph:
            # a word or a layer digit takes its cell; the focus and the cursor win a shared cell
            current = markers.get((column, row))
            if current is None or index in (drawing.focus, cursor):
                markers[(column, row)] = index
        else:
            for dx in (0, 1):
                for dy in (0, 1):
                    set_dot(px + dx, py + dy, drawing.kinds[index])
    for (column, row), kind in dot_kind.items():
        layout.chars[row][column] = chr(0x2800 + bits[row][column])
        layout.kinds[row][column] = kind
    taken = [[False] * width for _ in range(height)]
    for column, row in layout.cells.values():
        taken[row][column] = True  # no label covers a point
    for (column, row), index in markers.items():
        layout.chars[row][column] = drawing.glyphs[index] or POINT_GLYPHS[drawing.kinds[index]]
        layout.kinds[row][column] = drawing.kinds[index]
    _place_labels(drawing, layout, taken, cursor)
    return layout


def _place_labels(drawing: Drawing, layout: Layout, taken: list[list[bool]], cursor: int | None) -> None:
    focus_cell = layout.cells.get(drawing.focus) if drawing.focus is not None else None
    candidates = [index for index in layout.cells if drawing.labels[index]]
    labels_taken = [[False] * layout.width for _ in range(layout.height)]

    def priority(index: int) -> tuple[int, float]:
        first = 0 if index == cursor else 1 if index == drawing.focus else 2
        if focus_cell is None:
            return first, index
        column, row = layout.cells[index]
        return first, math.hypot(column - focus_cell[0], 2 * (row - focus_cell[1]))

    for index in sorted(candidates, key=priority):
        column, row = layout.cells[index]
        text = drawing.labels[index].strip()
        gap = 1 if drawing.labels[index].startswith(" ") else 0  # a space between a layer digit and its label
        # the cursor's and the focus's labels are placed first and may cover other points' dots
        blocked = labels_taken if index in (cursor, drawing.focus) else taken
        for start in (column + 1 + gap, column - len(text) - gap):
            end = start + len(text)
            if start < 0 or end > layout.width or any(blocked[row][start:end]):
                continue
            kind = drawing.kinds[index]
            for offset, character in enumerate(text):
                layout.chars[row][start + offset] = character
                layout.kinds[row][start + offset] = "label-neighbour" if kind == "neighbour" else kind
                taken[row][start + offset] = labels_taken[row][start + offset] = True
            layout.labelled.add(index)
            break


def _line_dots(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    """Bresenham's line between two dots, both ends included."""
    (x0, y0), (x1, y1) = start, end
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    step_x, step_y = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    error, found = dx + dy, []
    for _ in range(4096):
        found.append((x0, y0))
        if (x0, y0) == (x1, y1):
            break
        doubled = 2 * error
        if doubled >= dy:
            error += dy
            x0 += step_x
        if doubled <= dx:
            error += dx
            y0 += step_y
    return found


def nearest_in_direction(layout: Layout, current: int | None, dx: int, dy: int) -> int | None:
    """The point on the canvas nearest to `current` in the direction (dx, dy), cells weighted as
    about twice as tall as wide; None when there is none that way."""
    if current is None or current not in layout.cells:
        return next(iter(layout.cells), None)
    column, row = layout.cells[current]
    best, best_score = None, math.inf
    for index, (other_column, other_row) in layout.cells.items():
        along_x, along_y = other_column - column, 2 * (other_row - row)
        forward = along_x * dx + along_y * dy
        if index == current or forward <= 0:
            continue
        sideways = abs(along_x * dy - along_y * dx)
        score = forward + 2 * sideways
        if score < best_score:
            best, best_score = index, score
    return best


class MapCanvas(Widget, can_focus=True):
    """The map: show(drawing) to draw; arrows (bound by the screen) move the cursor between points."""

    DEFAULT_CSS = "MapCanvas { height: 1fr; width: 1fr; }"

    class CursorMoved(Message):
        def __init__(self, point: int | None) -> None:
            super().__init__()
            self.point = point

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.drawing = Drawing()
        self.cursor: int | None = None
        self._layout: Layout | None = None
        self._strips: dict[int, Strip] = {}

    def show(self, drawing: Drawing, cursor: int | None) -> None:
        self.drawing, self.cursor = drawing, cursor
        self._forget()
        self.post_message(self.CursorMoved(cursor))

    def move_cursor(self, dx: int, dy: int) -> None:
        found = nearest_in_direction(self.layout, self.cursor, dx, dy)
        if found is not None and found != self.cursor:
            self.cursor = found
            self._forget()
            self.post_message(self.CursorMoved(found))

    @property
    def layout(self) -> Layout:
        width, height = self.size
        if self._layout is None or (self._layout.width, self._layout.height) != (width, height):
            self._layout = lay_out(self.drawing, width, height, self.cursor)
            self._strips = {}
        return self._layout

    def _forget(self) -> None:
        self._layout, self._strips = None, {}
        self.refresh()

    def on_resize(self) -> None:
        self._forget()

    def render_line(self, y: int) -> Strip:
        layout = self.layout
        if y >= layout.height:
            return Strip.blank(self.size.width, STYLES["plain"])
        if y not in self._strips:
            self._strips[y] = self._strip(layout, y)
        return self._strips[y]

    def _strip(self, layout: Layout, y: int) -> Strip:
        cursor_cell = layout.cells.get(self.cursor) if self.cursor is not None else None
        segments = []
        for x in range(layout.width):
            style = STYLES[layout.kinds[y][x]]
            if cursor_cell == (x, y):
                style = style + Style(reverse=True)
            segments.append(Segment(layout.chars[y][x], style))
        return Strip(Segment.simplify(segments), layout.width)
