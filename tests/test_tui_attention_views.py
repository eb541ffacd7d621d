"""The attention pane's views driven through Pilot on the tiny models (120 x 36):
aggregates, word level, hidden specials, the status line, selected rows, dense mode, the
overview, the metrics table, the referent finder, and NO_COLOR glyphs.

The grid is read as the terminal would show it: `AttentionGrid.render_line(y).text`, line 0 the
column header, then one line per row (two in dense mode). Expected numbers come from numpy on
the analysis' raw attentions. Waits poll the app's state; nothing asserts after a fixed sleep.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from textual.widgets import DataTable, Static

from wordlens.core.measures import attention_views as views
from wordlens.tui.app import WordLensApp
from wordlens.tui.panes.attention import AttentionGrid, AttentionPane, AttentionStatus
from wordlens.tui.screens.head_tables import MetricsScreen, ReferentScreen
from wordlens.tui.screens.overview import OverviewScreen, Thumbnails
from wordlens.tui.style.colors import GLYPH_RAMP

from tui_support import move_focus_to, move_target_to, screen_text, shows, wait_for

pytestmark = pytest.mark.anyio

SIZE = (120, 36)
SENTENCE = "france is a country, it is in europe"  # one token per word in the tiny vocabulary
PIECES = "the queen walks quickly"  # [CLS] the queen walk ##s quick ##ly [SEP]
PIECE_TOKENS = ("[CLS]", "the", "queen", "walk", "##s", "quick", "##ly", "[SEP]")


@pytest.fixture
def anyio_backend():
    return "asyncio"


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


async def start_explore(pilot, app, text: str) -> None:
    """Wait for `text` to be analysed, then tab from the sentence to the grid."""
    await wait_for(pilot, lambda: shows(app, text), what=f"a complete analysis of {text!r}")
    await pilot.press("tab")
    assert isinstance(app.focused, AttentionGrid)
    await pilot.pause()


def title(app) -> str:
    return str(app.query_one(AttentionPane).border_title)


def status(app) -> str:
    return app.query_one(AttentionStatus).render().plain


def grid_lines(app) -> list[str]:
    grid = app.query_one(AttentionGrid)
    return [grid.render_line(y).text for y in range(grid.size.height)]


def header_lines(app) -> list[str]:
    """The column labels' lines: those above the first row label (a row line has its label at x=1)."""
    lines = grid_lines(app)
    count = next(index for index, line in enumerate(lines) if line[1:2].strip())
    return lines[:count]


def header_labels(app) -> list[str]:
    """The column labels, written across (on one header line, or staggered over a few: in the order of their
    first characters) or top-down (one character a line)."""
    lines = header_lines(app)
    if len(lines) == 1:
        return lines[0].split()
    if any(len(word) > 1 for line in lines for word in line.split()):
        found = sorted((match.start(), match.group()) for line in lines for match in re.finditer(r"\S+", line))
        return [word for _, word in found]
    return ["".join(line[x] for line in lines).strip() for x in range(len(lines[0]))
            if any(line[x] != " " for line in lines)]


def row_lines(app) -> list[str]:
    return [line for line in grid_lines(app)[len(header_lines(app)):] if line.strip()]


def row_labels(app) -> list[str]:
    """The label of each row line, marker ('▶' focus, '+' selected) stripped."""
    return [line[1:].split()[0] for line in row_lines(app)]


def status_weight(app) -> str:
    """The exact weight the status line shows for the cell under the cursor."""
    first = status(app).splitlines()[0]
    arrow = first.index(" → ")
    return first[arrow:].split()[2]


def reference_rollout(attentions: np.ndarray) -> np.ndarray:
    size = attentions.shape[-1]
    result = np.eye(size)
    for layer in range(attentions.shape[0]):
        mixed = attentions[layer].astype(np.float64).mean(axis=0) + np.eye(size)
        mixed /= mixed.sum(axis=-1, keepdims=True)
        result = mixed @ result
    return result


# ---------------------------------------------------------------------------------------------
# a: aggregates
# ---------------------------------------------------------------------------------------------


async def test_a_cycles_head_mean_max_rollout(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, SENTENCE)
        context = app.view.analysis.context
        assert app.view.aggregate == "head"
        assert title(app) == "self-attention · layer 1 · head 1"
        expected = [
            ("mean", "self-attention · layer 1 · mean of heads", context.attentions[0].mean(axis=0)),
            ("max", "self-attention · layer 1 · max of heads", context.attentions[0].max(axis=0)),
            ("rollout", "self-attention · rollout to layer 1", None),
            ("head", "self-attention · layer 1 · head 1", context.attentions[0, 0]),
        ]
        for aggregate, shown, matrix in expected:
            await pilot.press("a")
            assert app.view.aggregate == aggregate
            assert title(app) == shown
            if matrix is None:  # rollout to layer 1: (mean + I) with rows renormalised
                mixed = context.attentions[0].astype(np.float64).mean(axis=0) + np.eye(len(context.tokens))
                matrix = mixed / mixed.sum(axis=-1, keepdims=True)
            np.testing.assert_allclose(app.view.grid.matrix, matrix, atol=1e-6)

        # rollout follows the layer key, and the title says to which layer
        await pilot.press("a", "a", "a", "right_square_bracket")
        assert app.view.aggregate == "rollout"
        assert title(app) == "self-attention · rollout to layer 2"
        np.testing.assert_allclose(app.view.grid.matrix, reference_rollout(context.attentions), atol=1e-6)
        assert app.view.analysis.context is context  # nothing recomputed


# ---------------------------------------------------------------------------------------------
# w: words, s: specials
# ---------------------------------------------------------------------------------------------


async def test_w_shows_whole_words_in_the_grid(tiny_engine):
    app = WordLensApp(tiny_engine, text=PIECES)
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, PIECES)
        assert app.view.analysis.context.tokens == PIECE_TOKENS
        assert row_labels(app) == list(PIECE_TOKENS)
        assert header_labels(app)[:3] == ["[CLS]", "the", "queen"]

        await pilot.press("w")
        assert app.view.words
        assert "words" in title(app)
        words = ["[CLS]", "the", "queen", "walks", "quickly", "[SEP]"]
        assert row_labels(app) == words  # each multi-piece word once, as the whole word
        header = header_labels(app)
        assert len(header) == len(words)
        for shown, word in zip(header, words, strict=True):  # a header label may be cut to its cell, with "…"
            assert word.startswith(shown.rstrip("…")) and (shown == word or shown.endswith("…"))
        assert header.count("walks") == 1
        text = "\n".join(grid_lines(app))
        assert "##" not in text and "walk " not in text
        assert "walks" in status(app) or "quickly" in status(app)  # the focused word is named whole

        await pilot.press("w")
        assert not app.view.words and "words" not in title(app)
        assert row_labels(app) == list(PIECE_TOKENS)


async def test_s_hides_cls_and_sep(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, SENTENCE)
        tokens = list(app.view.analysis.context.tokens)
        assert row_labels(app) == tokens and tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
        assert header_labels(app)[0].startswith("[CL") and header_labels(app)[-1].startswith("[SE")

        await pilot.press("s")
        assert "no specials" in title(app)
        assert row_labels(app) == tokens[1:-1]
        assert not any(shown.startswith(("[CL", "[SE")) for shown in header_labels(app))
        assert len(header_labels(app)) == len(tokens) - 2
        np.testing.assert_allclose(app.view.grid.matrix.sum(axis=-1), 1.0, atol=1e-5)

        # with words too: no specials, whole words
        await pilot.press("w")
        assert "words" in title(app) and "no specials" in title(app)
        assert row_labels(app) == tokens[1:-1]  # every word here is one token

        await pilot.press("s", "w")
        assert row_labels(app) == tokens


# ---------------------------------------------------------------------------------------------
# The status line
# ---------------------------------------------------------------------------------------------


async def test_the_status_weight_is_the_grid_cell_under_the_cursor(tiny_engine):
    app = WordLensApp(tiny_engine, text=PIECES)
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, PIECES)
        context = app.view.analysis.context

        def check(what: str) -> None:
            view = app.view
            row, column = view.row_of_token(view.focus), view.row_of_token(view.target)
            assert row is not None and column is not None, what
            grid = view.grid
            assert f"{grid.labels[row]} → {grid.labels[column]} " in status(app), what
            assert status_weight(app) == f"{grid.matrix[row, column]:.3f}", what

        await move_focus_to(pilot, app, 3)  # walk
        await move_target_to(pilot, app, 5)  # quick
        check("head")
        assert status_weight(app) == f"{context.attentions[0, 0, 3, 5]:.3f}"
        for key in ["a", "a", "a", "right_square_bracket", "a", "full_stop"]:
            await pilot.press(key)
            check(f"{app.view.aggregate} L{app.view.layer} H{app.view.head}")

        # words: from "walks" (mean of walk, ##s) to "quickly" (sum of quick, ##ly), layer 1 head 1
        assert (app.view.aggregate, app.view.layer, app.view.head) == ("head", 1, 1)
        await pilot.press("w")
        check("words")
        matrix = context.attentions[1, 1].astype(np.float64)
        expected = np.mean([matrix[i, 5] + matrix[i, 6] for i in (3, 4)])
        assert status_weight(app) == f"{expected:.3f}"
        assert "walks → quickly" in status(app)
        await pilot.press("s")
        check("words, no specials")
        await pilot.press("a")  # mean
        check("words, no specials, mean")


async def test_a_hidden_focus_says_so(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, SENTENCE)
        await move_focus_to(pilot, app, 0)  # [CLS]
        await pilot.press("s")
        assert "hidden in this view" in status(app)


async def test_space_sums_the_selected_rows(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, SENTENCE)
        context = app.view.analysis.context
        labels = list(context.tokens)
        await pilot.press("right_square_bracket", "full_stop", "full_stop")  # layer 2, head 3
        await move_focus_to(pilot, app, 2)  # is
        assert "strongest:" in status(app) and "top of" not in status(app)

        await pilot.press("space")
        await move_focus_to(pilot, app, 6)  # it
        await pilot.press("space")
        assert app.view.selected == frozenset({2, 6})
        assert app.view.selected_rows == [2, 6]

        summed = context.attentions[1, 2][[2, 6]].sum(axis=0)  # float32, as the pane sums
        top = np.argsort(-summed, kind="stable")[:3]
        expected = "  ".join(f"{labels[i]} {summed[i]:.2f}" for i in top)
        first = status(app).splitlines()[0]
        assert f"top of 2 rows: {expected}" in first, first
        # the weights are of the summed rows: they add up to more than one row can give
        assert summed.sum() == pytest.approx(2.0, abs=1e-5)

        # the selected row is marked in the grid, the focused one too
        lines = row_lines(app)
        assert lines[2].startswith("+is") and lines[6].startswith("▶it")

        # a third row
        await move_focus_to(pilot, app, 9)  # europe
        await pilot.press("space")
        summed = context.attentions[1, 2][[2, 6, 9]].sum(axis=0)
        top = np.argsort(-summed, kind="stable")[:3]
        expected = "  ".join(f"{labels[i]} {summed[i]:.2f}" for i in top[:2])  # as many as fit: 2 here
        assert f"top of 3 rows: {expected}" in status(app), status(app)

        # unselecting the others leaves the focused row alone
        await move_focus_to(pilot, app, 2)
        await pilot.press("space")
        await move_focus_to(pilot, app, 6)
        await pilot.press("space")
        await move_focus_to(pilot, app, 9)
        await pilot.press("space")
        assert app.view.selected == frozenset()
        assert "strongest:" in status(app) and "top of" not in status(app)


# ---------------------------------------------------------------------------------------------
# d: dense
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [PIECES, SENTENCE])  # 8 tokens, 11 tokens
async def test_d_dense_puts_two_rows_on_a_line(tiny_engine, text):
    app = WordLensApp(tiny_engine, text=text)
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, text)
        count = len(app.view.analysis.context.tokens)
        grid = app.query_one(AttentionGrid)
        normal = row_lines(app)
        assert len(normal) == count
        assert grid.virtual_size.height == len(header_lines(app)) + count
        normal_width = grid.virtual_size.width

        await pilot.press("d")
        assert app.view.dense
        dense = [line for line in grid_lines(app)[1:] if line.strip()]
        assert len(dense) == math.ceil(count / 2)
        assert grid.virtual_size.height == 1 + math.ceil(count / 2)
        for line in dense[: count // 2]:  # every full line: one '▀' per column
            assert line.count("▀") == count, line
        # one character per column: the dense grid is narrower than the normal one
        label_width = len(max(app.view.grid.labels, key=len)) + 2
        assert grid.virtual_size.width == label_width + count < normal_width

        await pilot.press("d")
        assert len(row_lines(app)) == count


# ---------------------------------------------------------------------------------------------
# o: the overview
# ---------------------------------------------------------------------------------------------


async def test_o_opens_the_overview_and_enter_opens_the_head_under_the_cursor(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, SENTENCE)
        await pilot.press("a")  # mean: opening a head goes back to one head
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, OverviewScreen), what="the overview")
        await pilot.pause()
        thumbnails = app.screen.query_one(Thumbnails)
        assert thumbnails.cursor == (0, 0)
        screen = screen_text(app)
        for name in ["L1", "L2", "H1", "H2", "H3", "H4"]:
            assert name in screen
        assert "▀" in screen

        await pilot.press("down")
        assert thumbnails.cursor == (1, 0)
        await pilot.press("right", "right")
        assert thumbnails.cursor == (1, 2)
        await pilot.press("down")  # wraps to the first layer
        assert thumbnails.cursor == (0, 2)
        await pilot.press("left", "left", "left")  # and past the first head to the last
        assert thumbnails.cursor == (0, 3)
        await pilot.press("up", "left")
        assert thumbnails.cursor == (1, 2)
        await pilot.pause()
        assert "layer 2, head 3" in screen_text(app)

        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, OverviewScreen), what="the overview to close")
        assert (app.view.layer, app.view.head, app.view.aggregate) == (1, 2, "head")
        assert title(app) == "self-attention · layer 2 · head 3"
        assert isinstance(app.focused, AttentionGrid)

        # escape closes it without changing the head
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, OverviewScreen), what="the overview")
        assert app.screen.query_one(Thumbnails).cursor == (1, 2)  # it opens on the current head
        await pilot.press("down", "escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, OverviewScreen), what="the overview to close")
        assert (app.view.layer, app.view.head) == (1, 2)


# ---------------------------------------------------------------------------------------------
# m: the metrics table
# ---------------------------------------------------------------------------------------------


def table_rows(table: DataTable) -> list[list[str]]:
    return [[cell.plain for cell in table.get_row_at(index)] for index in range(table.row_count)]


async def test_m_lists_every_head_and_1_sorts_by_entropy(tiny_engine, tiny_model):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, SENTENCE)
        context = app.view.analysis.context
        punctuation = np.array([views.is_punctuation(token) for token in context.tokens])
        metrics = views.head_metrics(context.attentions, context.special, punctuation)
        # entropy, independently: the mean over rows of -sum p log p
        attentions = context.attentions.astype(np.float64)
        entropy = -(attentions * np.log(attentions)).sum(axis=-1).mean(axis=-1)
        np.testing.assert_allclose(metrics["entropy"], entropy, atol=1e-5)

        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MetricsScreen), what="the metrics table")
        table = app.screen.query_one(DataTable)
        layers, heads = tiny_model.info.layers, tiny_model.info.heads
        assert table.row_count == layers * heads
        rows = table_rows(table)
        assert [(int(row[0]), int(row[1])) for row in rows] == [  # named from 1
            (layer + 1, head + 1) for layer in range(layers) for head in range(heads)
        ]
        for row in rows:
            assert row[2] == f"{metrics['entropy'][int(row[0]) - 1, int(row[1]) - 1]:.3f}"
            assert row[3] == f"{metrics['max'][int(row[0]) - 1, int(row[1]) - 1]:.3f}"

        await pilot.press("1")
        rows = table_rows(table)
        shown = [float(row[2]) for row in rows]
        assert shown == sorted(shown)
        order = np.argsort(entropy.ravel(), kind="stable")
        lowest = divmod(int(order[0]), heads)
        assert (int(rows[0][0]) - 1, int(rows[0][1]) - 1) == lowest or float(rows[0][2]) == pytest.approx(
            entropy[lowest], abs=5e-4)  # ties at 3 decimals may swap
        assert table.cursor_row == 0

        await pilot.press("1")  # again: reversed
        shown = [float(row[2]) for row in table_rows(table)]
        assert shown == sorted(shown, reverse=True)
        await pilot.press("1")
        rows = table_rows(table)
        assert [float(row[2]) for row in rows] == sorted(float(row[2]) for row in rows)

        # enter opens the head under the cursor
        await pilot.press("down")
        chosen = (int(rows[1][0]) - 1, int(rows[1][1]) - 1)  # the table names them from 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, MetricsScreen), what="the table to close")
        assert (app.view.layer, app.view.head, app.view.aggregate) == (*chosen, "head")
        assert title(app) == f"self-attention · layer {chosen[0] + 1} · head {chosen[1] + 1}"


# ---------------------------------------------------------------------------------------------
# r: the referent finder
# ---------------------------------------------------------------------------------------------


async def test_r_ranks_heads_by_the_focus_to_target_weight(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, SENTENCE)
        context = app.view.analysis.context
        focus, target = 6, 1  # it -> france
        assert (context.tokens[focus], context.tokens[target]) == ("it", "france")
        await move_focus_to(pilot, app, focus)
        await move_target_to(pilot, app, target)

        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReferentScreen), what="the referent finder")
        await pilot.pause()
        weights = context.attentions[:, :, focus, target]
        best = np.unravel_index(int(np.argmax(weights)), weights.shape)
        table = app.screen.query_one(DataTable)
        assert table.row_count == weights.size
        rows = table_rows(table)
        assert (int(rows[0][1]), int(rows[0][2])) == (int(best[0]) + 1, int(best[1]) + 1)  # named from 1
        assert rows[0][3] == f"{weights.max():.3f}"
        shown = [float(row[3]) for row in rows]
        assert shown == sorted(shown, reverse=True)
        assert [row[0] for row in rows] == [str(rank) for rank in range(1, weights.size + 1)]

        score = float(views.rollout(context.attentions)[focus, target])
        assert score == pytest.approx(reference_rollout(context.attentions)[focus, target], abs=1e-6)
        header = str(app.screen.query_one(Static).render())
        assert "it → france" in header
        assert f"rollout (all layers): {score:.3f}" in header, header

        # enter opens the third-ranked head
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ReferentScreen), what="the finder to close")
        third = (int(rows[2][1]) - 1, int(rows[2][2]) - 1)  # named from 1
        assert (app.view.layer, app.view.head, app.view.aggregate) == (*third, "head")
        assert status_weight(app) == f"{context.attentions[third[0], third[1], focus, target]:.3f}"


# ---------------------------------------------------------------------------------------------
# NO_COLOR
# ---------------------------------------------------------------------------------------------


def expected_glyph(value: float) -> str:
    """The ramp step of a weight, independently: 0 for (near) zero, then a square-root scale."""
    if not value > 0.002:
        return GLYPH_RAMP[0]
    return GLYPH_RAMP[max(1, min(10, math.ceil(math.sqrt(min(value, 1.0)) * 10)))]


def cells_of_row(app, row: int) -> list[str]:
    grid = app.query_one(AttentionGrid)
    shape = grid.geometry(app.view.grid)
    label_width, cell = shape.label_width, shape.cell
    line = grid.render_line(shape.header_rows + row).text
    count = len(app.view.grid.labels)
    return [line[label_width + c * cell : label_width + (c + 1) * cell] for c in range(count)]


@pytest.mark.parametrize("no_color", [True, False])
async def test_no_color_draws_cells_with_the_glyph_ramp(tiny_engine, monkeypatch, no_color):
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        assert app.no_color is no_color
        await start_explore(pilot, app, SENTENCE)
        view = app.view
        matrix = view.grid.matrix
        focus, target = view.row_of_token(view.focus), view.row_of_token(view.target)
        inked = 0
        for row in range(len(matrix)):
            for column, shown in enumerate(cells_of_row(app, row)):
                if (row, column) == (focus, target):
                    assert "◆" in shown
                elif no_color:
                    assert shown == expected_glyph(float(matrix[row, column])) * len(shown), (row, column, shown)
                    inked += shown.strip() != ""
                else:
                    assert set(shown) <= ({" ", "·"} if row == focus else {" "}), (row, column, shown)
        if no_color:
            assert inked > len(matrix)  # most cells carry ink: the weights read without colour
            assert GLYPH_RAMP in status(app)  # the key is the glyph ramp
        else:
            assert GLYPH_RAMP not in status(app)


async def test_no_color_overview_opens(tiny_engine, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, SENTENCE)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, OverviewScreen), what="the overview")
        await pilot.pause()
        screen = screen_text(app)
        for name in ["L1", "L2", "H1", "H4"]:
            assert name in screen
        await pilot.press("right", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, OverviewScreen), what="the overview to close")
        assert (app.view.layer, app.view.head) == (0, 1)
