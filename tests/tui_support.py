"""Shared by the Pilot tests: wait for the app without fixed sleeps."""

from __future__ import annotations

import html
import re
import time

import pytest
from rich.cells import cell_len
from textual.widgets import Input


async def wait_for(pilot, predicate, timeout: float = 10, what: str = "") -> None:
    """Let the app run until `predicate()` holds; fail (not hang) if it never does."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what or predicate}")
        await pilot.pause(0.05)


def notifications(app) -> str:
    """The titles and texts of the notices the app showed (its bounded public record), oldest first."""
    return "\n".join(f"{notice.title}: {notice.message}" for notice in app.notices)


def notice_naming(app, text: str) -> str:
    """The newest notice whose title or text holds `text`, as "title: message"; "" if none does."""
    for notice in reversed(app.notices):
        shown = f"{notice.title}: {notice.message}"
        if text in shown:
            return shown
    return ""


# A text element of the SVG that App.export_screenshot writes (rich's Console.export_svg): its x
# in pixels (CHAR_WIDTH a cell), its line in the clip path's name, its characters HTML-escaped.
_SVG_TEXT = re.compile(r'<text class="[^"]*" x="([0-9.]+)" y="[0-9.]+" textLength="[0-9.]+" '
                       r'clip-path="url\(#[^)]*-line-(\d+)\)">(.*?)</text>', re.S)
CHAR_WIDTH = 20 * 0.61  # rich's export_svg: font size 20, aspect ratio 0.61


def screen_cells(app) -> list[list[str]]:
    """What the terminal shows now, cell by cell: the active screen over the ones below it, read
    back from the app's own SVG screenshot (public `App.export_screenshot`). The second cell of a
    wide character is ""; cropping a row of cells by x is exact."""
    width, height = app.size
    cells = [[" "] * width for _ in range(height)]
    for x, line, text in _SVG_TEXT.findall(app.export_screenshot()):
        column, row = round(float(x) / CHAR_WIDTH), int(line)
        for character in html.unescape(text).replace("\xa0", " "):
            width_of = cell_len(character)
            if row < height and column < width:
                if width_of == 0:  # a combining mark: with the character before it
                    cells[row][max(0, column - 1)] += character
                else:
                    cells[row][column] = character
                for extra in range(1, width_of):  # the second cell of a wide character
                    if column + extra < width:
                        cells[row][column + extra] = ""
            column += width_of
    return cells


def screen_lines(app) -> list[str]:
    """What the terminal shows now, line by line (see `screen_cells`)."""
    return ["".join(row) for row in screen_cells(app)]


def screen_text(app) -> str:
    return "\n".join(screen_lines(app))


def text_input(app) -> Input:
    return app.query_one("#text", Input)


def shows(app, text: str) -> bool:
    """The analysis on screen is complete and is of `text`, which is the Input's value."""
    analysis = app.view.analysis
    return analysis is not None and analysis.complete and analysis.text == text == text_input(app).value


async def move_focus_to(pilot, app, token: int) -> None:
    delta = token - app.view.focus
    await pilot.press(*(["down"] * delta if delta > 0 else ["up"] * -delta))
    assert app.view.focus == token


async def move_target_to(pilot, app, token: int) -> None:
    delta = token - app.view.target
    await pilot.press(*(["right"] * delta if delta > 0 else ["left"] * -delta))
    assert app.view.target == token


def seeded_map(model, vectors, progress, cached_only):
    """A map fitter for Engine(map_fitter=...): a seeded random map from every hidden state of `model`
    into `vectors`' space (the map screen and `g` need one; fitting a real one takes seconds)."""
    import numpy as np

    from wordlens.core.measures.static_vs_context import StaticMap

    layers, hidden = model.info.layers, model.info.hidden_size
    weights = np.random.default_rng(0).normal(size=(layers + 1, hidden + 1, vectors.info.dim)).astype(np.float32)
    return StaticMap(weights, train_words=10, heldout_top10=np.zeros(layers + 1))
