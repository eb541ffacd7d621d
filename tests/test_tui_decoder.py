"""The explorer on a decoder (the tiny random Llama with a byte-level tokenizer): readable tokens,
the next-token section, the logit lens (f), and every existing screen opening without a crash."""

from __future__ import annotations

import pytest

from wordlens.core.engine import Engine
from wordlens.core.transformer.next_token import logit_lens, next_token_predictions
from wordlens.core.transformer.tokens import readable_label
from wordlens.tui.app import WordLensApp
from wordlens.tui.panes.attention import AttentionGrid
from wordlens.tui.screens.logit_lens import LogitLensScreen

from conftest import LLAMA_LAYERS
from tui_support import notifications, screen_text, shows, wait_for

TEXT = "the capital of france is paris"
SIZE = (120, 36)
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def decoder_engine(tiny_vectors, tiny_llama, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # the map into static space caches here
    return Engine.from_loaded(tiny_vectors, tiny_llama)


async def opened(pilot, app):
    await wait_for(pilot, lambda: shows(app, TEXT), what="the analysis")
    await pilot.press("escape")
    await wait_for(pilot, lambda: app.reading is not None and app.reading.is_for(app.view), what="the reading")


async def test_tokens_read_as_text_and_the_focused_token_shows_the_models_next_tokens(decoder_engine, tiny_llama):
    app = WordLensApp(decoder_engine, text=TEXT)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, app)
        text = screen_text(app)
        assert "Ġ" not in text
        assert "␣capital" in text  # the token strip and the grid's labels
        assert app.view.grid.labels == app.view.context.labels or app.view.spec.words
        context = app.view.context
        expected = next_token_predictions(tiny_llama, context.hidden_states, app.view.focus, top=5)
        assert app.reading.next_tokens == expected
        assert "next token" in text
        assert readable_label(expected[0].text) in text.split("next token", 1)[1]


async def test_f_opens_the_logit_lens_of_the_focused_token_and_enter_shows_that_layer(decoder_engine, tiny_llama):
    app = WordLensApp(decoder_engine, text=TEXT)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, app)
        focus = app.view.focus
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, LogitLensScreen), what="the logit lens")
        await pilot.pause()
        text = screen_text(app)
        assert "Logit lens" in text and "emb" in text
        rows = logit_lens(tiny_llama, app.view.context.hidden_states, focus, top=5)
        assert len(rows) == LLAMA_LAYERS + 1
        for row in rows:
            assert f"{readable_label(row.predictions[0].text)} {row.predictions[0].prob:.2f}" in text
        await pilot.press("up", "enter")  # the row of layer L - 1's output: attention layer L - 2
        await wait_for(pilot, lambda: not isinstance(app.screen, LogitLensScreen), what="the lens closing")
        assert app.view.layer == LLAMA_LAYERS - 2


async def test_n_with_the_encoder_says_it_has_no_language_model_head(tiny_engine):
    app = WordLensApp(tiny_engine, text="the queen walks")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, "the queen walks"), what="the analysis")
        await pilot.press("escape", "f")
        await wait_for(pilot, lambda: "no language-model head" in notifications(app), what="the notice")
        assert app.is_running and not isinstance(app.screen, LogitLensScreen)


@pytest.mark.parametrize("key", [
    "o", "m", "r", "t", "c", "b", "a", "w", "s", "d", "x", "g", "space", "colon", "n", "z", "p",
])
async def test_every_screen_opens_on_the_decoder_without_a_crash(decoder_engine, key, tmp_path):
    app = WordLensApp(decoder_engine, text=TEXT)
    app.output_folder = tmp_path
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, app)
        assert isinstance(app.focused, AttentionGrid)
        await pilot.press(key)
        for _ in range(20):
            await pilot.pause(0.05)
        assert app.is_running
        assert "Traceback" not in screen_text(app)
        assert "error" not in notifications(app).lower() or key == "g", notifications(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running


async def test_an_empty_line_on_the_decoder_has_no_tokens_and_every_key_is_safe(decoder_engine):
    """A decoder adds no special tokens: an empty text gives none at all (an encoder still has [CLS] [SEP])."""
    app = WordLensApp(decoder_engine, text="")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, ""), what="the empty analysis")
        assert app.view.analysis.context is not None and app.view.analysis.context.tokens == ()
        for key in ["escape", "f", "n", "o", "m", "r", "t", "a", "w", "s", "d", "b", "right_square_bracket", "down"]:
            await pilot.press(key)
            await pilot.pause()
            if not isinstance(app.screen, type(app.get_default_screen())):
                await pilot.press("escape")
        assert app.is_running
        await pilot.press("e", *"the dog")
        await wait_for(pilot, lambda: shows(app, "the dog"), what="the analysis after typing")
