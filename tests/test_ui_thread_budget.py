"""What keeps the UI thread free while typing into a long text (benchmarks/long_input.py measures it):
full garbage collections wait for a pause in typing, and the long lists build a page, not all rows."""

from __future__ import annotations

import gc
import time

import pytest

from wordlens.tui.app import WordLensApp
from wordlens.tui.panes.static_neighbours import StaticNeighbours
from wordlens.tui.panes.word_comparison import WordComparison
from wordlens.tui.services.idle_collector import NEVER

from tui_support import shows, text_input, wait_for

pytestmark = pytest.mark.anyio
SIZE = (120, 36)


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_full_collections_wait_for_a_pause_and_the_thresholds_come_back(tiny_engine):
    before = gc.get_threshold()
    full_collections: list[float] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            full_collections.append(info["generation"])

    app = WordLensApp(tiny_engine, text="the queen", gc_pause=0.2)
    gc.callbacks.append(record)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: shows(app, "the queen"), what="the first analysis")
            assert gc.get_threshold()[2] == NEVER  # no full collection starts by itself
            full_collections.clear()
            await pilot.press(*"walks")
            await wait_for(pilot, lambda: shows(app, "the queenwalks"), what="the typed text")
            await wait_for(pilot, lambda: full_collections, timeout=5, what="a full collection in the pause")
    finally:
        gc.callbacks.remove(record)
    assert gc.get_threshold() == before


async def test_a_long_sentence_lists_a_page_of_words_around_the_focus(tiny_engine):
    words = ["the", "queen", "dog", "river", "bank", "money"]
    text = " ".join(words[i % len(words)] for i in range(200))
    app = WordLensApp(tiny_engine, text=text)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, text), what="the long analysis")
        await pilot.pause()
        for pane in (app.query_one(WordComparison), app.query_one(StaticNeighbours)):
            lines = pane.render().plain.splitlines()
            room = pane.parent.size.height
            assert len(lines) <= room + 25, f"{type(pane).__name__} built {len(lines)} lines for {room} visible"
            assert any("words before" in line for line in lines), lines[:5]
        text_input(app).cursor_position = 3  # the first word: the list starts at the top
        await wait_for(pilot, lambda: app.view.focus == 1, what="the focus on the first word")
        lines = app.query_one(WordComparison).render().plain.splitlines()
        assert not any("words before" in line for line in lines) and any("words after" in line for line in lines)


async def test_while_typing_the_frame_that_shows_an_analysis_shows_the_focused_token_s_reading(
        tiny_engine, monkeypatch):
    """The reading (input-table neighbours) is foreseen in the analyser thread for the token at the
    text cursor, so the static pane does not show '…' for a frame after every keystroke."""
    from wordlens.tui import reading
    from wordlens.tui.services import analyser, token_reader

    def slow_read_token(*args):  # as long as a real model's can take on a busy machine
        time.sleep(0.05)
        return reading.read_token(*args)

    for service in (analyser, token_reader):
        monkeypatch.setattr(service, "read_token", slow_read_token)
    app = WordLensApp(tiny_engine, text="")
    frames: list[tuple[str, bool]] = []  # (text of the analysis painted, its reading painted too)
    paint = StaticNeighbours.render_lines

    def recording_paint(pane, crop):  # Widget.render_lines: what the compositor paints in a frame
        strips = paint(pane, crop)
        view = pane.view
        if view.analysis is not None and view.analysis.complete and view.analysis.words:
            frames.append((view.analysis.text, pane.reading is not None and pane.reading.is_for(view)))
        return strips

    monkeypatch.setattr(StaticNeighbours, "render_lines", recording_paint)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, ""), what="the empty line")
        for text in ("the", "the queen", "the queen walks"):
            text_input(app).insert_text_at_cursor(text[len(text_input(app).value):])
            await wait_for(pilot, lambda text=text: shows(app, text) and any(shown == text for shown, _ in frames),
                           what=f"a frame of {text!r}")
            first = next(with_reading for shown, with_reading in frames if shown == text)
            assert first, f"the first frame showing {text!r} had no reading of its focused token"


async def test_on_a_small_terminal_a_sentence_of_24_words_is_compared_word_by_word_whole(tiny_engine):
    words = ["the", "queen", "dog", "river", "bank", "money"]
    text = " ".join(words[i % len(words)] for i in range(24))
    app = WordLensApp(tiny_engine, text=text)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: shows(app, text), what="the analysis")
        await pilot.pause()
        lines = app.query_one(WordComparison).render().plain.splitlines()
        assert not any("words before" in line or "words after" in line for line in lines), lines
