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



async def test_a_page_key_that_reaches_the_palette_before_its_list_is_laid_out(tiny_engine):
    """The fuzzer, at 34x14: ctrl+p, ?, pagedown in one burst (as a terminal delivers fast keys)
    reached Textual's OptionList with a highlighted match but no area yet (so no line map):
    KeyError in _move_page closed the app. The race is set up by its state: a list with options
    and a highlight but no area."""
    from textual.command import CommandList, CommandPalette

    app = WordLensApp(tiny_engine, text="the queen")
    async with app.run_test(size=(34, 14)) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
        await pilot.press("question_mark")
        commands = app.screen.query_one(CommandList)
        await wait_for(pilot, lambda: commands.option_count > 0, what="a match for ?")
        commands.display = False
        await pilot.pause()
        commands.clear_options().add_options(["one", "two"])
        commands.highlighted = 0
        await pilot.press("pagedown", "pageup")
        assert app.is_running and app.return_code is None
        commands.display = True
        await pilot.pause()
        await pilot.press("pagedown")
        assert commands.highlighted == 1  # once laid out, a page key moves
