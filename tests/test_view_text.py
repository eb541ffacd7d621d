"""A text pane's height follows the lines of the Text it last built: after new inputs (also when the
only change is a final newline, which starts one more line) and when the room around it changes
what it builds. A stale height leaves the scrollbar and the lines below the pane in the wrong place."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

from wordlens.tui.panes.view_text import ViewText, lines_of

from tui_support import wait_for

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


class Lines(ViewText):
    """Builds `content` as it is, or one line per line of room around it (`fill_room`)."""

    def __init__(self, content: str = "", fill_room: bool = False) -> None:
        super().__init__()
        self.content, self.fill_room = content, fill_room

    def inputs(self) -> tuple:
        return (self.content,)

    def build(self) -> Text:
        if self.fill_room:
            return Text("\n".join(f"line {n}" for n in range(self.room)))
        return Text(self.content)


class OnePane(App):
    CSS = "#box { height: 10; }"

    def __init__(self, pane: Lines) -> None:
        super().__init__()
        self.pane = pane

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="box"):
            yield self.pane


def test_a_final_newline_is_one_more_line():
    assert [lines_of(plain) for plain in ("", "a", "a\nb", "a\nb\n")] == [1, 1, 2, 3]


async def test_the_pane_grows_by_the_line_a_final_newline_starts():
    app = OnePane(Lines("a\nb\nc"))
    async with app.run_test(size=(40, 20)) as pilot:
        await wait_for(pilot, lambda: app.pane.size.height == 3, what="three lines")
        app.pane.content = "a\nb\nc\n"
        app.pane.inputs_changed()
        await wait_for(pilot, lambda: app.pane.size.height == 4, what="a fourth, blank line")


async def test_the_pane_follows_the_room_its_container_gives_it():
    app = OnePane(Lines(fill_room=True))
    async with app.run_test(size=(40, 30)) as pilot:
        box = app.query_one("#box")
        await wait_for(pilot, lambda: app.pane.size.height == 10, what="a line per line of room")
        box.styles.height = 16
        await wait_for(pilot, lambda: box.size.height == 16, what="the taller box")
        await wait_for(pilot, lambda: app.pane.size.height == 16, what="the pane built for the taller box")
        assert box.max_scroll_y == 0, "the pane's height and its container's should agree"
