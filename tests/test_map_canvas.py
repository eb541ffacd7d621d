"""The map canvas's layout, pure: labels never overlap each other or a point, the points nearest
the focus keep theirs, and the cursor moves to the nearest point in the arrow's direction."""

from __future__ import annotations

import numpy as np

from wordlens.core.measures.map_views import MapPoint
from wordlens.tui.panes.map_canvas import Drawing, lay_out, nearest_in_direction


def crowd(count: int, seed: int = 0) -> Drawing:
    rng = np.random.default_rng(seed)
    points = tuple(MapPoint(f"word{i}", float(x), float(y), "sentence", np.zeros(2))
                   for i, (x, y) in enumerate(rng.normal(size=(count, 2))))
    return Drawing(points, ("",) * count, ("sentence",) * count, tuple(p.label for p in points), focus=0)


def test_labels_never_overlap_and_the_nearest_to_the_focus_keep_theirs():
    drawing = crowd(80)
    layout = lay_out(drawing, 40, 12)
    spans: list[tuple[int, int, int]] = []
    for index in layout.labelled:
        column, row = layout.cells[index]
        text = drawing.labels[index]
        line = "".join(layout.chars[row])
        start = column + 1 if line[column + 1: column + 1 + len(text)] == text else column - len(text)
        assert line[start: start + len(text)] == text
        spans.append((row, start, start + len(text)))
    for a, (row, start, end) in enumerate(spans):
        for other_row, other_start, other_end in spans[a + 1:]:
            assert row != other_row or end <= other_start or other_end <= start
    assert 0 < len(layout.labelled) < 80  # a crowd: some stay dots
    assert 0 in layout.labelled  # the focus keeps its label


def test_of_two_points_whose_labels_compete_the_one_nearer_the_focus_keeps_its_label():
    # one row: focus, near, far; "near"'s label can only go right, over where "far"'s must go left
    points = tuple(MapPoint(name, x, 0.0, "sentence", np.zeros(2)) for name, x in
                   [("f", 0.0), ("near-word", 10.0), ("far-word", 20.0)])
    wide = points + (MapPoint("", 0.0, 5.0, "sentence", np.zeros(2)),)  # keeps a fixed frame
    drawing = Drawing(wide, ("",) * 4, ("sentence",) * 4, ("f", "nearlabel", "farlabelx", ""), focus=0)
    layout = lay_out(drawing, 41, 11)
    assert {0, 1} <= layout.labelled and 2 not in layout.labelled


def test_the_cursor_moves_to_the_nearest_point_that_way():
    points = tuple(MapPoint(name, x, y, "sentence", np.zeros(2))
                   for name, x, y in [("middle", 0, 0), ("right", 1, 0), ("far", 3, 0), ("up", 0, 1)])
    drawing = Drawing(points, ("",) * 4, ("sentence",) * 4, ("",) * 4, focus=0)
    layout = lay_out(drawing, 60, 20)
    assert nearest_in_direction(layout, 0, 1, 0) == 1
    assert nearest_in_direction(layout, 1, 1, 0) == 2
    assert nearest_in_direction(layout, 0, 0, -1) == 3  # up on the screen
    assert nearest_in_direction(layout, 2, 1, 0) is None
