"""A pane's last build is reused only while its inputs are the same objects and equal values."""

from __future__ import annotations

from wordlens.tui.panes.last_built import LastBuilt


def test_the_last_build_is_kept_for_the_same_objects_and_values():
    view, builds = [1, 2], []
    last: LastBuilt[int] = LastBuilt()

    def build() -> int:
        builds.append(1)
        return len(builds)

    assert last.get((view,), (80,), build) == 1
    assert last.get((view,), (80,), build) == 1
    assert last.get(([1, 2],), (80,), build) == 2  # an equal but new view is another view
    assert last.get(([1, 2],), (80,), build) == 3
    assert last.get((view,), (80,), build) == 4
    assert last.get((view,), (100,), build) == 5  # another width
    assert last.get((view, None), (100,), build) == 6  # another input
    assert last.get((view, None), (100,), build) == 6
