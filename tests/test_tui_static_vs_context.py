"""Issue 4 in the TUI, on the tiny models: the query line, the transformer's own neighbours in
the static pane, the map into the static space (`g`), compare mode (`c`) and the sortable
static-vs-attention table (`t`). Expected values come from the core functions the CLI uses."""

from __future__ import annotations

import numpy as np
import pytest
from textual.widgets import Input, Static

from wordlens.core.engine import Engine
from wordlens.core.errors import InputError
from wordlens.core.measures.static_vs_context import (
    StaticMap,
    compare,
    embedding_neighbours,
    static_attention_correlation,
)
from wordlens.tui.app import WordLensApp
from wordlens.tui.panes.static_neighbours import StaticNeighbours
from wordlens.tui.screens.compare import CompareScreen
from wordlens.tui.screens.head_tables import CorrelationScreen
from wordlens.tui.screens.query import QueryScreen

from conftest import TINY_DIM, TINY_HIDDEN, TINY_LAYERS
from tui_support import move_focus_to, shows, wait_for

pytestmark = pytest.mark.anyio

SIZE = (120, 36)
FIRST = "the bank is in paris"
SECOND = "the river bank in france"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def shown(widget) -> str:
    return widget.render().plain if not isinstance(widget, Static) else str(widget.render())


def pane_text(app) -> str:
    return app.query_one(StaticNeighbours).render().plain


def reading_shown(app) -> bool:
    """The worker's reading of the focused token has reached the view."""
    return app.reading is not None and app.reading.is_for(app.view)


async def type_into(pilot, text: str) -> None:
    names = {":": "colon", "?": "question_mark", " ": "space", ",": "comma", ".": "full_stop"}
    await pilot.press(*(names.get(character, character) for character in text))


async def compare_with(pilot, screen: CompareScreen, second: str) -> str:
    """Type the second sentence into the compare screen; the result text once it is analysed."""
    await type_into(pilot, second)
    await wait_for(pilot, lambda: screen.second is not None and screen.second.text == second)
    await pilot.pause()
    return str(screen.query_one("#result", Static).render())


def map_of_ones(calls: list[bool]):
    """A fitter that records its calls and returns a fixed map: hidden state -> (1, 0, ..., 0)."""
    weights = np.zeros((TINY_LAYERS + 1, TINY_HIDDEN + 1, TINY_DIM), dtype=np.float32)
    weights[:, -1, 0] = 1.0  # only the bias: every token maps to the first static axis

    def fit(model, vectors, progress, cached_only):
        calls.append(cached_only)
        if cached_only:
            return None
        progress("fitting layer 0", 0.5)
        return StaticMap(weights, train_words=123, heldout_top10=np.linspace(0.9, 0.5, TINY_LAYERS + 1))

    return fit


async def test_the_query_line_answers_keeps_history_and_names_unknown_words(tiny_engine, tiny_keyed_vectors):
    app = WordLensApp(tiny_engine, text=FIRST)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, FIRST))
        await pilot.press("escape", "colon")
        assert isinstance(app.screen, QueryScreen)
        await type_into(pilot, "man:king::woman:?")
        await pilot.press("enter")
        answer = str(app.screen.query_one("#answer", Static).render())
        best = tiny_keyed_vectors.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0][0]
        assert "man : king :: woman : ?" in answer and f"▶ {best}" in answer

        app.screen.query_one("#query", Input).value = ""
        await type_into(pilot, "sim queen zzzq")
        assert app.screen.query_one("#query", Input).value == "sim queen zzzq"
        await pilot.press("enter")
        assert "'zzzq'" in str(app.screen.query_one("#answer", Static).render())

        await pilot.press("up", "up")  # back to the analogy
        assert app.screen.query_one("#query", Input).value == "man:king::woman:?"
        await pilot.press("escape")
        assert not isinstance(app.screen, QueryScreen) and app.is_running
        await pilot.press("colon", "up")  # the history outlives the screen
        assert app.screen.query_one("#query", Input).value == "sim queen zzzq"


async def test_the_colon_types_into_the_sentence_while_editing(tiny_engine):
    app = WordLensApp(tiny_engine, text="")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")
        assert not isinstance(app.screen, QueryScreen)
        assert app.query_one("#text", Input).value == ":"


async def test_the_static_pane_shows_the_models_input_table_neighbours(tiny_engine, tiny_model):
    app = WordLensApp(tiny_engine, text=FIRST)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, FIRST))
        await pilot.press("escape")
        bank = app.view.analysis.context.tokens.index("bank")
        await pilot.press(
            *["up"] * (app.view.focus - bank) if app.view.focus > bank else ["down"] * (bank - app.view.focus)
        )
        assert app.view.focus == bank
        await wait_for(pilot, lambda: reading_shown(app), what="the reading of 'bank'")
        text = pane_text(app)
        assert "input table" in text and "'bank', before attention" in text
        nearest, score = embedding_neighbours(tiny_model, "bank")[0]
        assert f"{nearest} {score:.2f}" in text
        assert "press g" in text  # no map fitted yet, and none cached


async def test_g_fits_the_map_once_and_the_pane_reads_the_token_in_static_terms(
    tiny_vectors, tiny_model, tiny_keyed_vectors
):
    calls: list[bool] = []
    engine = Engine.from_loaded(tiny_vectors, tiny_model, map_fitter=map_of_ones(calls))
    app = WordLensApp(engine, text=FIRST)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, FIRST))
        await wait_for(pilot, lambda: calls == [True], what="the look for a cached map")
        assert app.glove_map.status == "absent"
        await pilot.press("escape", "g")
        await wait_for(pilot, lambda: app.glove_map.status == "ready", what="the fitted map")
        assert calls == [True, False]
        await wait_for(pilot, lambda: reading_shown(app) and app.reading.in_context is not None)
        text = pane_text(app)
        assert f"read as tiny words (map fit {0.9 - 0.4 / TINY_LAYERS:.2f})" in text  # layer 0 -> hidden state 1
        # every token maps onto the first axis: its nearest static word leads
        first_axis = tiny_keyed_vectors.similar_by_vector(np.eye(TINY_DIM, dtype=np.float32)[0], topn=1)[0][0]
        assert first_axis in text.split("read as tiny words")[1]
        await pilot.press("g")
        assert calls == [True, False]  # fitted once


async def test_a_map_that_cannot_be_fitted_says_why(tiny_vectors, tiny_model):
    def refuse(model, vectors, progress, cached_only):
        if cached_only:
            return None
        raise InputError("only 20 words are shared by the two vocabularies: too few to fit a map")

    engine = Engine.from_loaded(tiny_vectors, tiny_model, map_fitter=refuse)
    app = WordLensApp(engine, text=FIRST)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, FIRST))
        await pilot.press("escape", "g")
        await wait_for(pilot, lambda: app.glove_map.status == "failed")
        assert "too few to fit a map" in pane_text(app)
        assert app.is_running


async def test_compare_mode_shows_the_same_static_vector_and_the_contextual_cosines(tiny_engine):
    app = WordLensApp(tiny_engine, text=FIRST)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, FIRST))
        await pilot.press("escape", "c")
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        result = await compare_with(pilot, screen, SECOND)
        assert app.view.analysis.text == FIRST  # the second sentence never reaches the first's panes
        expected = compare(app.view.analysis, screen.second, screen.word, tiny_engine.vectors)
        assert "shared words: the bank in" in result
        assert "static cosine 1.000" in result
        for value in expected.layers:
            assert f"{value:6.3f}" in result
        assert "fixed scale: 0" in result
        assert f"baseline, the other shared words ({', '.join(expected.baseline_words)})" in result
        word_before = screen.word
        await pilot.press("down")
        assert screen.word != word_before and screen.word in ("the", "bank", "in")
        await pilot.press("escape")
        assert app.is_running and not isinstance(app.screen, CompareScreen)


async def test_compare_with_no_shared_word_says_so(tiny_engine):
    app = WordLensApp(tiny_engine, text=FIRST)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, FIRST))
        await pilot.press("escape", "c")
        screen = app.screen
        assert "share no word" in await compare_with(pilot, screen, "queen walk")


async def test_the_correlation_table_sorts_by_rho_and_opens_the_head(tiny_engine):
    app = WordLensApp(tiny_engine, text=FIRST)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, FIRST))
        await pilot.press("escape", "t")
        screen = app.screen
        assert isinstance(screen, CorrelationScreen)
        rho = static_attention_correlation(app.view.analysis)
        np.testing.assert_array_equal(screen.rho, rho)
        await pilot.press("1")
        best = np.unravel_index(np.nanargmax(rho), rho.shape)
        assert screen.cursor_head() == tuple(int(i) for i in best)
        matrices = str(screen.query_one("#matrices", Static).render())
        assert f"layer {best[0] + 1}, head {best[1] + 1}" in matrices and f"ρ = {rho[best]:+.3f}" in matrices
        await pilot.press("2")  # |rho|, largest first
        strongest = np.unravel_index(np.nanargmax(np.abs(rho)), rho.shape)
        assert screen.cursor_head() == tuple(int(i) for i in strongest)
        await pilot.press("enter")
        assert (app.view.layer, app.view.head, app.view.aggregate) == (int(strongest[0]), int(strongest[1]), "head")


def test_the_help_screen_names_every_key_the_app_binds():
    from wordlens.tui.screens.help import KEYS

    described = {key for _, rows in KEYS for keys, _ in rows for key in keys.split()}
    for binding in WordLensApp.BINDINGS:
        key = binding.key_display or binding.key.split(",")[0]
        key = {"escape": "esc", "slash": "/"}.get(key, key)
        assert key in described, f"{key} ({binding.action}) is missing from the help"


async def test_compare_picks_the_rarest_shared_word_when_the_focused_one_is_not_shared(tiny_engine, tiny_vectors):
    app = WordLensApp(tiny_engine, text="the bank is in paris")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, "the bank is in paris"))
        await pilot.press("escape")
        await move_focus_to(pilot, app, app.view.analysis.context.tokens.index("paris"))  # not in the second
        await pilot.press("c")
        screen = app.screen
        await compare_with(pilot, screen, "the river bank in france")
        ranks = {word: tiny_vectors.row_of[word] for word in ("the", "bank", "in")}
        assert screen.word == max(ranks, key=ranks.get)


async def test_the_query_line_applies_keys_sent_back_to_back_in_order(tiny_engine):
    from textual import events

    app = WordLensApp(tiny_engine, text=FIRST)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, FIRST))
        await pilot.press("escape", "colon")
        query = app.screen.query_one("#query", Input)
        for key, character in [*((c, c) for c in "sim qx"), ("backspace", "\x7f"), *((c, c) for c in "ueen")]:
            app.post_message(events.Key(key if character != " " else "space", character))
        await wait_for(pilot, lambda: query.value == "sim queen", what="the query line to read 'sim queen'")
