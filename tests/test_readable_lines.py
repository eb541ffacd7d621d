"""The lines that carry the point keep their numbers at every terminal size (issue 18, "Readable").

Each line is read back from the screen (tests/tui_support.screen_lines), inside its pane's region,
with the pane's lines joined: a line wrapped at spaces still reads whole, one cut by an ellipsis does not.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from wordlens.core.engine import Engine
from wordlens.core.measures.static_vs_context import StaticMap
from wordlens.tui.app import WordLensApp
from wordlens.tui.panes.attention import AttentionGrid, AttentionStatus
from wordlens.tui.panes.static_neighbours import StaticNeighbours

from conftest import TINY_DIM, TINY_HIDDEN, TINY_LAYERS
from tui_support import move_focus_to, screen_cells, shows, wait_for

pytestmark = pytest.mark.anyio

SIZES = [(80, 24), (100, 30), (120, 36)]
SENTENCE = "france is a country, it is in europe"  # one token a word in the tiny vocabulary
NUMBER = r"(\d\.\d\d)"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def fixed_map(model, vectors, progress, cached_only):
    """A map into the static space without a fit: every hidden state -> the first static axis."""
    if cached_only:
        return None
    weights = np.zeros((TINY_LAYERS + 1, TINY_HIDDEN + 1, TINY_DIM), dtype=np.float32)
    weights[:, -1, 0] = 1.0
    return StaticMap(weights, train_words=123, heldout_top10=np.linspace(0.9, 0.5, TINY_LAYERS + 1))


def region_text(app, widget) -> str:
    """What the screen shows inside `widget`, its lines joined by single spaces."""
    region = widget.scrollable_content_region  # less its scrollbar
    lines = ["".join(row[region.x:region.right]) for row in screen_cells(app)[region.y:region.bottom]]
    return " ".join(" ".join(line.split()) for line in lines)


async def scroll_to_line(pilot, pane, text: str) -> None:
    """Scroll the pane's container so that the line of its text holding `text` is at the top."""
    plain = pane.render().plain
    line = plain[: plain.index(text)].count("\n")
    pane.parent.scroll_to(y=line, animate=False)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_the_lines_that_carry_the_point_show_their_numbers(tiny_vectors, tiny_model, size):
    app = WordLensApp(Engine.from_loaded(tiny_vectors, tiny_model, map_fitter=fixed_map), text=SENTENCE)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        await pilot.press("escape", "g")
        await wait_for(pilot, lambda: app.glove_map.status == "ready", what="the map")
        app.query_one(AttentionGrid).focus()
        await pilot.pause()
        await move_focus_to(pilot, app, app.view.analysis.context.tokens.index("it"))
        await pilot.pause()

        assert any(line.startswith("▶it") for line in grid_screen_lines(app)), grid_screen_lines(app)
        status = region_text(app, app.query_one(AttentionStatus))
        for key in ("a view", "w words", "s specials", "d dense", "o overview", "m metrics", "r referents"):
            assert key in status, status
        assert re.search(r"it → \S+ \d\.\d\d\d", status), status

        comparison = app.query_one("#comparison")
        shown = region_text(app, comparison)
        assert re.search(rf"attends most \([^)]*\): \w+ {NUMBER}", shown), shown
        assert re.search(rf"static nearest in sentence: \w+ {NUMBER}", shown), shown
        comparison.scroll_end(animate=False)
        await pilot.pause()
        shown = region_text(app, comparison)
        assert re.search(rf"special tokens take {NUMBER} of its attention in \S+", shown), shown
        assert re.search(rf"context drift \S+ {NUMBER}→{NUMBER}: cosine to its embedding, to after layer \d",
                         shown), shown

        static = app.query_one(StaticNeighbours)
        await wait_for(pilot, lambda: "map fit" in " ".join(static.render().plain.split()), what="the map's reading")
        await scroll_to_line(pilot, static, "in context, after layer")
        shown = region_text(app, app.query_one("#static"))
        assert re.search(rf"read as tiny words \(map fit {NUMBER}\)", shown), shown
        assert "…" not in shown.split("in context")[1].split(")")[0]


# ---------------------------------------------------------------------------------------------
# The grid: column labels, and the focused row in view
# ---------------------------------------------------------------------------------------------

WORDS = "france is a country , it is in europe the queen walks quickly by the river bank".split()


def grid_screen_lines(app) -> list[str]:
    region = app.query_one(AttentionGrid).scrollable_content_region
    return ["".join(row[region.x:region.right]) for row in screen_cells(app)[region.y:region.bottom]]


def header_lines(app) -> list[str]:
    lines = grid_screen_lines(app)
    return lines[:next(index for index, line in enumerate(lines) if line[1:2].strip())]


def column_labels_on_screen(app) -> list[str]:
    """The column labels as the screen shows them, sorted: across on one line or staggered over a few
    (each from its column, or ending over it at the right edge), or top-down."""
    header = header_lines(app)
    words = [word for line in header for word in line.split()]
    if len(header) > 1 and all(len(word) == 1 for word in words):
        return sorted("".join(line[x] for line in header).strip() for x in range(len(header[0]))
                      if any(line[x] != " " for line in header))
    return sorted(words)


# sentences of the tiny vocabulary; "walks" and "quickly" are two pieces each
SIXTEEN_TOKENS = "the queen walks quickly , the river bank is in europe money"
THIRTY_TOKENS = SIXTEEN_TOKENS + " ; france is a country , it is in paris cafe dog woman the"


@pytest.mark.parametrize(("size", "text", "tokens"), [((120, 36), THIRTY_TOKENS, 30), ((80, 24), SIXTEEN_TOKENS, 16)],
                         ids=["120x36", "80x24"])
async def test_every_column_label_reads_whole(tiny_engine, size, text, tokens):
    app = WordLensApp(tiny_engine, text=text)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: shows(app, text), what="the analysis")
        labels = list(app.view.analysis.context.tokens)
        assert len(labels) == tokens and "##s" in labels and "##ly" in labels
        await pilot.pause()
        assert column_labels_on_screen(app) == sorted(labels)  # every column, every label whole, pieces as ##s


LONG_LABELS = "france is a country , it is in europe the country is a country"  # 16 tokens


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_long_labels_read_whole_and_leave_the_rows_room(tiny_engine, size):
    """Labels written across, staggered over a few lines, instead of top-down ones cut (`count…`) in a
    header of six lines that left the matrix six rows at 80x24."""
    app = WordLensApp(tiny_engine, text=LONG_LABELS)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: shows(app, LONG_LABELS), what="the analysis")
        await pilot.pause()
        labels = list(app.view.analysis.context.tokens)
        assert column_labels_on_screen(app) == sorted(labels)
        assert not any("…" in line for line in header_lines(app))
        rows = len(grid_screen_lines(app)) - len(header_lines(app))
        assert len(header_lines(app)) <= 4 and rows >= 7, grid_screen_lines(app)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_with_a_head_off_the_title_and_the_drift_keep_their_numbers(tiny_engine, size):
    from wordlens.tui.panes.attention import AttentionPane

    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        app.query_one(AttentionGrid).focus()
        await pilot.press("right_square_bracket", "full_stop", "z")  # L2 H2 off
        await wait_for(pilot, lambda: app.view.analysis.context.heads_off and app.view.intact is not None
                       and app.view.analysis.complete, what="the analysis with L2 H2 off")
        await pilot.pause()
        pane = app.query_one(AttentionPane)
        top = "".join(screen_cells(app)[pane.region.y][pane.region.x:pane.region.right])
        assert re.search(r"(L2 H2|layer 2 · head 2) · (heads )?off: 2:2 ─", top), top  # view and head off, whole
        shown = region_text(app, app.query_one("#comparison"))
        assert re.search(r"2:2 off: drift \d\.\d{3}, intact \d\.\d{3} \([+-]\d\.\d{3}\)", shown), shown


async def test_the_grid_keeps_the_focused_row_in_view_while_typing(tiny_engine):
    text = " ".join((WORDS * 4)[:50])  # more rows than the grid shows at 80x24
    app = WordLensApp(tiny_engine, text="")
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one("#text").value = text
        for typed in (" dog", " is"):
            await pilot.press(*("space" if character == " " else character for character in typed))
            text += typed
            await wait_for(pilot, lambda text=text: shows(app, text), what=f"the analysis of …{typed}")
            await pilot.pause()
            focused = [line for line in grid_screen_lines(app) if line.startswith("▶")]
            token = app.view.analysis.context.tokens[app.view.focus]
            assert focused and focused[0][1:].split()[0] == token, grid_screen_lines(app)
        await pilot.press("home", "a", "space")
        text = "a " + text
        await wait_for(pilot, lambda: shows(app, text), what="the analysis after typing at the start")
        await pilot.pause()
        assert any(line.startswith("▶a") for line in grid_screen_lines(app)), grid_screen_lines(app)


async def test_the_static_pane_scrolls_to_the_focused_words_list(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        app.query_one(AttentionGrid).focus()
        await pilot.pause()
        static = app.query_one("#static")
        static.scroll_end(animate=False)
        await pilot.pause()
        assert static.scroll_y > 0
        await pilot.press("up")
        await wait_for(pilot, lambda: static.scroll_y == 0, what="the static pane back at the top")
        word = app.view.analysis.words[app.view.focused_word].text
        assert region_text(app, static).startswith(f"{word} nearest in")


# ---------------------------------------------------------------------------------------------
# The query line and the command line's tables
# ---------------------------------------------------------------------------------------------


async def test_query_errors_wrap_between_words_and_sim_answers_for_the_known_words(tiny_engine, tiny_vectors):
    from textual.widgets import Static

    from wordlens.core.vectors.query_line import USAGE

    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        await pilot.press("escape", "colon")
        for character in "frobnicate queen":
            await pilot.press("space" if character == " " else character)
        await pilot.press("enter")
        await pilot.pause()
        answer = app.screen.query_one("#answer", Static)
        shown = [" ".join(line.split()) for line in
                 ("".join(row[answer.content_region.x:answer.content_region.right])
                  for row in screen_cells(app)[answer.content_region.y:answer.content_region.bottom])]
        words = set(f"unknown query 'frobnicate': {USAGE}".split())
        assert len([line for line in shown if line]) > 1  # it did wrap
        for line in shown:
            assert set(line.split()) <= words, line  # every word whole

        app.screen.query_one("#query").value = "sim queen xyzzyq woman"
        await pilot.press("enter")
        await pilot.pause()
        text = region_text(app, answer)
        assert f"woman {tiny_vectors.similarity('queen', 'woman'):.3f}" in text, text
        assert "'xyzzyq' is not in the vocabulary" in text, text


def test_cli_attention_tables_fit_80_columns_with_every_number(capsys, monkeypatch, tiny_model_dir):
    from cli_support import run

    monkeypatch.setenv("COLUMNS", "80")
    text = SIXTEEN_TOKENS.replace("money", "")  # 15 tokens: 16 columns with the row labels
    for options in ((), ("--layer", "1")):
        code, out, err = run(capsys, "attention", text, "--model", tiny_model_dir, *options)
        assert code == 0, err
        assert max(len(line) for line in out.splitlines()) <= 80
        assert "…" not in out
        numbers = re.findall(r"(?<![\w.])\d\.\d\d(?![\d])", out)
        expected = 15 * TINY_LAYERS if not options else 15 * 15  # a strongest target per layer, or every weight
        assert len(numbers) == expected, out
