"""The mechanism screen (`n`) and switching heads off (`z`, `Z`) in the explorer, on the tiny models."""

from __future__ import annotations

import numpy as np
import pytest

from wordlens.core.measures.attention_arithmetic import pair_arithmetic
from wordlens.core.measures.static_vs_context import drift
from wordlens.tui.app import WordLensApp
from wordlens.tui.screens.compare import CompareScreen
from wordlens.tui.screens.mechanism import MechanismScreen

from tui_support import move_focus_to, move_target_to, notifications, screen_cells, screen_text, shows, wait_for

SIZE = (120, 36)
SENTENCE = "france is a country, it is in europe"
IT, FRANCE = 6, 1  # [CLS] france is a country , it ...


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def explore(pilot, app) -> None:
    await wait_for(pilot, lambda: app.view.analysis is not None and app.view.analysis.complete
                   and shows(app, SENTENCE), what="the sentence analysed")
    await pilot.press("tab")
    await move_focus_to(pilot, app, IT)
    await move_target_to(pilot, app, FRANCE)


async def open_mechanism(pilot, app) -> MechanismScreen:
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(app.screen, MechanismScreen), what="the mechanism screen")
    await pilot.pause()
    return app.screen


@pytest.mark.anyio
async def test_the_screen_shows_the_arithmetic_of_the_focused_pair(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await explore(pilot, app)
        await pilot.press("right_square_bracket")  # layer 1
        await open_mechanism(pilot, app)
        pair = pair_arithmetic(app.view.context, 1, 0, IT, FRANCE)
        text = screen_text(app)
        assert "why this weight · layer 2, head 1 · it → france" in text
        assert "layer 2's input: the hidden state after layer 1" in text
        assert f"weight {pair.weight:.3f}" in text
        assert f"logit {pair.logit:+.3f}" in text
        assert f"d{pair.top_dimensions[0].dimension:<3}" in text
        glove = app.view.analysis.static.cosine[app.view.context.word_of(IT), app.view.context.word_of(FRANCE)]
        assert "▶ france" in text and f"similar in the vocabulary: GloVe {glove:.3f}" in text
        assert pair.weight == pytest.approx(float(app.view.context.attentions[1, 0, IT, FRANCE]), abs=1e-6)

        await pilot.press("left", "full_stop", "left_square_bracket")  # to 'france' -> [CLS]; head 1; layer 0
        text = screen_text(app)
        assert "layer 1, head 2 · it → [CLS]" in text and "layer 1's input: the embeddings" in text
        pair = pair_arithmetic(app.view.context, 0, 1, IT, 0)
        assert f"logit {pair.logit:+.3f}" in text
        await pilot.press("up")
        assert "· , → [CLS]" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, MechanismScreen), what="the screen closed")
        assert (app.view.layer, app.view.head) == (0, 1)  # the grid shows the head the screen showed


@pytest.mark.anyio
async def test_every_key_on_the_screen_is_safe(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=(80, 24)) as pilot:
        await explore(pilot, app)
        await open_mechanism(pilot, app)
        for key in ["up"] * 15 + ["down"] * 15 + ["left"] * 15 + ["right"] * 15 + ["j", "k", "h", "l"] \
                + ["right_square_bracket"] * 3 + ["comma"] * 5 + ["a", "w", "o", "c", "b", "x", "space", "enter"]:
            await pilot.press(key)
        assert isinstance(app.screen, MechanismScreen)
        assert "why this weight" in screen_text(app)


def pane_words(app, selector: str = "#comparison") -> str:
    """The words the screen shows inside the pane, its lines joined (a caption may wrap)."""
    region = app.query_one(selector).scrollable_content_region
    rows = screen_cells(app)[region.y:region.bottom]
    return " ".join(" ".join("".join(row[region.x:region.right]).split()) for row in rows)


@pytest.mark.anyio
async def test_z_switches_the_head_off_in_every_pane_and_Z_restores_it(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await explore(pilot, app)
        intact = app.view.analysis
        await pilot.press("z")
        await wait_for(pilot, lambda: app.view.heads_off == {(0, 0)}, what="the re-analysis with 0:0 off")
        ablated = app.view.context
        expected = tiny_engine.model.run(tiny_engine.model.encode(SENTENCE), heads_off=frozenset({(0, 0)}))
        np.testing.assert_allclose(ablated.hidden_states, expected.hidden_states, atol=1e-6)
        assert app.view.intact is intact
        text = screen_text(app)
        assert "heads off: 1:1" in text  # the attention pane's title
        value, baseline = drift(ablated, IT)[-1], drift(intact.context, IT)[-1]
        assert f"1:1 off: drift {value:.3f}, intact {baseline:.3f} ({value - baseline:+.3f})" in pane_words(app)
        assert "layer 1, head 1 off" in notifications(app)

        await pilot.press("full_stop", "z")  # head 1 too
        await wait_for(pilot, lambda: app.view.heads_off == {(0, 0), (0, 1)}, what="0:0 and 0:1 off")
        assert "heads off: 1:1, 1:2" in screen_text(app)
        await pilot.press("Z")
        await wait_for(pilot, lambda: not app.view.heads_off, what="every head on")
        assert app.view.analysis is intact  # the engine's cached intact analysis
        assert "heads off" not in screen_text(app)


@pytest.mark.anyio
async def test_z_on_the_screen_shows_the_ablated_numbers_against_the_intact_ones(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await explore(pilot, app)
        await pilot.press("right_square_bracket")
        await open_mechanism(pilot, app)
        intact_weight = float(app.view.context.attentions[1, 0, IT, FRANCE])
        await pilot.press("left_square_bracket", "z", "right_square_bracket")  # layer 0's head 0 off; layer 1
        await wait_for(pilot, lambda: app.view.heads_off == {(0, 0)}, what="0:0 off")
        await pilot.pause()
        weight = float(app.view.context.attentions[1, 0, IT, FRANCE])
        assert weight != intact_weight  # the tiny random model attends almost evenly: a small change
        text = screen_text(app)
        assert "heads off: 1:1" in text
        assert f"the intact model gives {intact_weight:.3f} ({weight - intact_weight:+.3f})" in text
        assert f"weight {weight:.3f}" in text
        await pilot.press("Z")
        await wait_for(pilot, lambda: not app.view.heads_off, what="every head on")
        await pilot.pause()
        assert f"weight {intact_weight:.3f}" in screen_text(app)


@pytest.mark.anyio
async def test_compare_with_a_head_off_shows_the_intact_cosines(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await explore(pilot, app)
        await pilot.press("z")
        await wait_for(pilot, lambda: app.view.heads_off == {(0, 0)}, what="0:0 off")
        await pilot.press("c", *[("space" if c == " " else c) for c in "paris is in france"])
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.second is not None
                       and app.screen.second_intact is not None, what="the comparison")
        await pilot.pause()
        text = screen_text(app)
        assert "heads off: 1:1" in text and "intact" in text


@pytest.mark.anyio
async def test_a_transformers_runtime_says_the_screen_is_not_available(tiny_vectors, tiny_model_through_transformers):
    from wordlens.core.engine import Engine

    app = WordLensApp(Engine.from_loaded(tiny_vectors, tiny_model_through_transformers), text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await explore(pilot, app)
        await pilot.press("n", "z")
        await pilot.pause()
        assert not isinstance(app.screen, MechanismScreen) and not app.heads_off
        assert notifications(app).count("not available for this model") == 2
