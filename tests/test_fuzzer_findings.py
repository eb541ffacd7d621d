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


async def test_the_palette_asked_for_again_from_a_screen_over_it(tiny_engine):
    """seed 1009: f1 (a priority key) opens help over the command palette; ctrl+p there pushed a
    second palette with the same id and the app closed with DuplicateIds."""
    from textual.command import CommandPalette

    app = WordLensApp(tiny_engine, text="the queen")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
        await pilot.press("f1", "ctrl+p")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert sum(isinstance(screen, CommandPalette) for screen in app.screen_stack) == 1
