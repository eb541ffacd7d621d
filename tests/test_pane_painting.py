"""What the text panes paint: the lines Textual itself renders for the Text each pane built (they
are painted from strips kept per build, converted only down to the last line painted), also for
lines first painted after scrolling; a mouse selection finds the characters it was dragged over."""

from __future__ import annotations

import pytest
from textual.visual import Visual, visualize

from wordlens.tui.app import WordLensApp
from wordlens.tui.panes.attention import AttentionStatus
from wordlens.tui.panes.static_neighbours import StaticNeighbours

from tui_support import screen_lines, shows, wait_for

pytestmark = pytest.mark.anyio
SIZE = (120, 36)
WORDS = ["the", "queen", "dog", "river", "bank", "money", "paris", "france"]
LONG = " ".join(WORDS[i % len(WORDS)] for i in range(30))  # more lines than the static pane shows


@pytest.fixture
def anyio_backend():
    return "asyncio"


def textual_lines(pane) -> list[str]:
    """The pane's built Text as Textual renders it at the pane's width, line by line."""
    strips = Visual.to_strips(pane, visualize(pane, pane.render()), pane.size.width, None, pane.visual_style)
    return [strip.text for strip in strips]


def painted(app, container, width: int) -> list[str]:
    """The lines on screen inside `container`'s content region, `width` cells of each."""
    region = container.content_region
    return [line[region.x:region.x + width] for line in screen_lines(app)[region.y:region.bottom]]


async def test_the_static_pane_scrolled_to_its_end_shows_the_lines_of_its_text(tiny_engine):
    app = WordLensApp(tiny_engine, text=LONG)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, LONG), what="the analysis")
        await pilot.pause()
        pane, container = app.query_one(StaticNeighbours), app.query_one("#static")
        expected = textual_lines(pane)
        visible = container.content_region.height
        assert len(expected) > 2 * visible, "the pane should build more lines than it shows"
        assert [line.rstrip() for line in painted(app, container, pane.size.width)] == \
            [line.rstrip() for line in expected[:visible]]
        for scroll in (3, None):  # a few lines down (converted in part), then to the end
            container.scroll_to(y=scroll, animate=False) if scroll is not None else container.scroll_end(animate=False)
            await wait_for(pilot, lambda scroll=scroll: container.scroll_y == (scroll or container.max_scroll_y),
                           what="the scrolled pane")
            await pilot.pause()
            first = round(container.scroll_y)
            assert [line.rstrip() for line in painted(app, container, pane.size.width)] == \
                [line.rstrip() for line in expected[first:first + visible]], f"scrolled to {first}"


@pytest.mark.parametrize("pane_type", [StaticNeighbours, AttentionStatus])
async def test_a_mouse_selection_in_a_pane_selects_the_characters_dragged_over(tiny_engine, pane_type):
    app = WordLensApp(tiny_engine, text="the queen walks to the river bank")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, "the queen walks to the river bank"), what="the analysis")
        await pilot.pause()
        pane = app.query_one(pane_type)
        lines = pane.render().plain.split("\n")
        await pilot.mouse_down(pane, offset=(2, 1))
        await pilot.hover(pane, offset=(8, 2))
        await pilot.mouse_up(pane, offset=(8, 2))
        await pilot.pause()
        selected = app.screen.get_selected_text()
        # from the third character of the second line to the ninth of the third (the one under the mouse included)
        assert selected == lines[1][2:] + "\n" + lines[2][:9], (selected, lines[:3])
