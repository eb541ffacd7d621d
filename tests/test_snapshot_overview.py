"""The overview screen (every layer x head as a thumbnail) as a picture: a snapshot SVG.

The baseline lives in tests/__snapshots__/test_snapshot_overview/; after a deliberate change of
the screen, regenerate it with `pytest tests/test_snapshot_overview.py --snapshot-update` and look
at it (e.g. `rsvg-convert file.svg -o file.png`) before committing it.
"""

from __future__ import annotations

import time

import pytest

from wordlens.tui.screens.overview import OverviewScreen, Thumbnails

from snapshot_apps.overview_app import MODEL_NAME, SENTENCE, make_app

SIZE = (120, 36)


async def open_overview(pilot) -> None:
    """Wait for the sentence's analysis, go to the grid, open the overview, move to L2 H3."""
    app = pilot.app
    deadline = time.monotonic() + 20
    while not (app.view.analysis is not None and app.view.analysis.complete and app.view.analysis.text == SENTENCE):
        if time.monotonic() > deadline:
            pytest.fail("the sentence was never analysed")
        await pilot.pause(0.05)
    await pilot.press("tab", "o")
    while not isinstance(app.screen, OverviewScreen):
        if time.monotonic() > deadline:
            pytest.fail("the overview never opened")
        await pilot.pause(0.05)
    await pilot.press("down", "right", "right")
    assert app.screen.query_one(Thumbnails).cursor == (1, 2)
    await pilot.pause()


def test_overview_snapshot(snap_compare, tmp_path):
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=open_overview)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_overview_screenshot_names_every_layer_and_head(tmp_path, anyio_backend):
    """Independent of the baseline: the exported SVG shows the labels and the cursor's head."""
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot)
        svg = app.export_screenshot()
    for label in ["L1", "L2", "H1", "H2", "H3", "H4", MODEL_NAME, "layer&#160;2,&#160;head&#160;3"]:
        assert label in svg, label
    assert "▀" in svg  # the thumbnails are half-block cells
