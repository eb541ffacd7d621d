"""What the key fuzzer (tests/test_key_fuzzer.py, benchmarks/key_fuzzer.py) found, each pinned by
the shortest key sequence that showed it."""

from __future__ import annotations

import pytest

from wordlens.tui.app import WordLensApp
from wordlens.tui.panes.attention import AttentionGrid

from tui_support import wait_for

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_moving_in_a_grid_with_no_rows_shown(tiny_engine):
    """seed 1004: an empty sentence is [CLS] [SEP]; with specials hidden the grid shows no row, and
    any move in it (right, up, end...) closed the app with an IndexError."""
    app = WordLensApp(tiny_engine, text="")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.view.context is not None, what="the empty sentence's tokens")
        await pilot.press("escape", "s")
        assert isinstance(app.focused, AttentionGrid) and app.view.hide_special
        await pilot.press("right", "left", "up", "down", "pageup", "pagedown", "home", "end", "space", "w", "right")
        await pilot.pause()
        assert app.is_running and app.return_code is None
