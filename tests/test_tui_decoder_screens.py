"""The map screen (p) and the mechanism screen (n) on a decoder (the tiny random Llama, byte-level
tokens, rotary positions): they open, show the numbers the core functions give, label tokens as text,
and survive their keys."""

from __future__ import annotations

import pytest

from wordlens.core.engine import Engine
from wordlens.core.measures.attention_arithmetic import pair_arithmetic
from wordlens.tui.app import WordLensApp
from wordlens.tui.screens.map import MapScreen
from wordlens.tui.screens.mechanism import MechanismScreen

from conftest import LLAMA_LAYERS
from tui_support import move_focus_to, move_target_to, screen_text, seeded_map, shows, wait_for

pytestmark = pytest.mark.anyio

TEXT = "the capital of france is paris"
SIZE = (120, 36)


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def decoder_app(tiny_vectors, tiny_llama, tmp_path) -> WordLensApp:
    app = WordLensApp(Engine.from_loaded(tiny_vectors, tiny_llama, map_fitter=seeded_map), text=TEXT)
    app.output_folder = tmp_path
    return app


async def analysed(pilot, app) -> None:
    await wait_for(pilot, lambda: app.view.analysis is not None and app.view.analysis.complete and shows(app, TEXT),
                   what="the analysis")
    await pilot.press("escape")  # the grid has the keyboard


async def test_the_map_opens_on_the_decoder_with_its_tokens_as_text_and_survives_its_keys(
        tiny_vectors, tiny_llama, tmp_path):
    app = decoder_app(tiny_vectors, tiny_llama, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, MapScreen) and app.screen.found is not None,
                       what="the map")
        await pilot.pause()
        assert "static map · PCA" in screen_text(app)
        await pilot.press("2")
        await pilot.pause()
        text = screen_text(app)
        assert f"one PCA over all {LLAMA_LAYERS + 1} layers" in text
        assert "Ġ" not in text
        for key in ("left_square_bracket",) * 3 + ("right_square_bracket",) * 3 + (
                "up", "down", "left", "right", "3", "1", "x", "comma", "full_stop", "a", "w", "question_mark"):
            await pilot.press(key)
            await pilot.pause()
        assert app.is_running
        assert list(tmp_path.glob("*.json"))  # x exported the map
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, MapScreen), what="the map closed")


async def test_the_mechanism_screen_shows_a_causal_pairs_arithmetic_and_survives_its_keys(
        tiny_vectors, tiny_llama, tmp_path):
    app = decoder_app(tiny_vectors, tiny_llama, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await analysed(pilot, app)
        context = app.view.context
        source = context.labels.index("␣paris")
        target = context.labels.index("␣capital")  # earlier: a causal row may attend it
        await move_focus_to(pilot, app, source)
        await move_target_to(pilot, app, target)
        await pilot.press("right_square_bracket")  # the second layer (index 1)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, MechanismScreen), what="the mechanism screen")
        await pilot.pause()
        pair = pair_arithmetic(app.view.context, 1, 0, source, target)
        text = screen_text(app)
        assert "why this weight · layer 2, head 1 · ␣paris → ␣capital" in text
        assert f"weight {pair.weight:.3f}" in text and f"logit {pair.logit:+.3f}" in text
        assert f"content part {pair.content_logit:+.3f} · positions (rotary) {pair.position_part:+.3f}" in text
        assert pair.weight == pytest.approx(float(app.view.context.attentions[1, 0, source, target]), abs=1e-6)
        await pilot.press(*["up"] * (source - target))  # from ␣capital: its row cannot see the later tokens
        await pilot.pause()
        assert "␣capital → ␣capital" in screen_text(app) and "masked" in screen_text(app)
        for key in ["up"] * 8 + ["down"] * 8 + ["left"] * 8 + ["right"] * 8 + ["j", "k", "h", "l"] \
                + ["left_square_bracket", "right_square_bracket", "comma", "full_stop"] * 2 \
                + ["z", "Z", "a", "w", "o", "c", "b", "x", "space", "enter"]:
            await pilot.press(key)
            await pilot.pause()
        assert isinstance(app.screen, MechanismScreen) and app.is_running
        assert "why this weight" in screen_text(app) and "Ġ" not in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, MechanismScreen), what="the screen closed")
