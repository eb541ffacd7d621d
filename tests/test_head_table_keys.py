"""Every sort key of the head tables works, `0` (by layer and head) included: it closed the app
with a TypeError (DataTable hands a key function one tuple of the sort columns' cells)."""

from __future__ import annotations

import pytest

from wordlens.tui.app import WordLensApp
from wordlens.tui.screens.head_tables import CorrelationScreen, MetricsScreen

from tui_support import screen_lines, shows, wait_for

SENTENCE = "france is a country , it is in europe"
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def first_row(app) -> tuple[str, str]:
    """(layer, head) of the table's first row as shown."""
    for line in screen_lines(app):
        cells = line.split()
        if len(cells) >= 3 and cells[0].isdigit() and cells[1].isdigit():
            return cells[0], cells[1]
    raise AssertionError("no table row on screen")


@pytest.mark.parametrize(("key", "screen", "other_keys"), [
    ("m", MetricsScreen, ["1", "2", "3", "4", "5"]),
    ("t", CorrelationScreen, ["1", "2"]),
])
async def test_every_sort_key_and_then_0_puts_layer_0_head_0_first(tiny_engine, key, screen, other_keys):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        await pilot.press("tab", key)
        await wait_for(pilot, lambda: isinstance(app.screen, screen), what=screen.__name__)
        for sort_key in other_keys:
            await pilot.press(sort_key)
        await pilot.press("0")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, screen)
        assert first_row(app) == ("1", "1")  # named from 1
        await pilot.press("0")  # again: reversed, the last head first
        await pilot.pause()
        layers, heads = app.view.context.model.layers, app.view.context.model.heads
        assert first_row(app) == (str(layers), str(heads))
