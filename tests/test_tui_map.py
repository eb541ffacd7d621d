"""The map screen (p) on the tiny models, walked through its keys: modes, layers, the cursor, the
method switch and the export. Expected values come from the core functions the screen draws."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wordlens.core.engine import Engine
from wordlens.core.measures.static_vs_context import StaticMap
from wordlens.tui.app import WordLensApp
from wordlens.tui.screens.map import MapScreen

from conftest import TINY_DIM, TINY_HIDDEN, TINY_LAYERS
from tui_support import screen_text, wait_for

pytestmark = pytest.mark.anyio

TEXT = "the river bank in the bank"
SIZE = (120, 36)


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def random_map(model, vectors, progress, cached_only):
    weights = np.random.default_rng(0).normal(size=(TINY_LAYERS + 1, TINY_HIDDEN + 1, TINY_DIM)).astype(np.float32)
    return StaticMap(weights, train_words=10, heldout_top10=np.zeros(TINY_LAYERS + 1))


def map_app(tiny_vectors, tiny_model, tmp_path, fitter=random_map) -> WordLensApp:
    app = WordLensApp(Engine.from_loaded(tiny_vectors, tiny_model, map_fitter=fitter), text=TEXT)
    app.output_folder = tmp_path
    return app


def on_screen(app, text: str) -> bool:
    return text in screen_text(app)


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.pause()


async def open_map(pilot, app) -> MapScreen:
    await wait_for(pilot, lambda: app.view.analysis is not None and app.view.analysis.complete, what="analysis")
    await press(pilot, "escape", "p")
    await wait_for(pilot, lambda: isinstance(app.screen, MapScreen) and app.screen.found is not None, what="map")
    await pilot.pause()
    return app.screen


async def test_the_static_map_draws_the_words_and_the_banks_paths(tiny_vectors, tiny_model, tmp_path):
    app = map_app(tiny_vectors, tiny_model, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_map(pilot, app)
        text = screen_text(app)
        assert "static map · PCA of the" in text and "fitted once" in text
        assert "river" in text
        found = screen.found
        assert [path.token for path in found.paths] == ["bank", "bank"]  # the focus and its namesake
        assert len(found.paths[0].points) == TINY_LAYERS + 1
        assert "bank #1" in text or "bank #2" in text

        await press(pilot, "left_square_bracket")
        assert on_screen(app, "path to embeddings")  # from the layer after the explorer's (0): one down
        await press(pilot, "right_square_bracket", "right_square_bracket", "right_square_bracket")
        assert on_screen(app, f"path to after L{TINY_LAYERS}")  # stops at the last layer


async def test_the_cursor_shows_a_points_word_coordinates_and_cosine(tiny_vectors, tiny_model, tmp_path):
    app = map_app(tiny_vectors, tiny_model, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_map(pilot, app)
        assert on_screen(app, "cosine to the focus 1.000")  # the cursor starts on the focused word
        seen = set()
        for key in ("right", "down", "left", "up", "right", "right"):
            await press(pilot, key)
            seen.add(str(app.screen.query_one("#map-info").render()))
        assert len(seen) > 1 and all(" · x " in line and "  y " in line for line in seen)


async def test_model_space_and_analogy_modes(tiny_vectors, tiny_model, tmp_path):
    app = map_app(tiny_vectors, tiny_model, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_map(pilot, app)
        await press(pilot, "2")
        assert on_screen(app, f"one PCA over all {TINY_LAYERS + 1} layers")
        await press(pilot, "left_square_bracket", "left_square_bracket", "left_square_bracket")
        assert on_screen(app, "embeddings")
        await press(pilot, "3")
        assert on_screen(app, "analogy on the static map")
        await press(pilot, "1")
        assert on_screen(app, "static map · PCA")
        await press(pilot, "escape")
        assert not isinstance(app.screen, MapScreen)


async def test_without_the_map_into_static_space_it_says_why_there_are_no_paths(tiny_vectors, tiny_model, tmp_path):
    def absent(model, vectors, progress, cached_only):
        return None

    app = map_app(tiny_vectors, tiny_model, tmp_path, fitter=absent)
    async with app.run_test(size=SIZE) as pilot:
        await open_map(pilot, app)
        assert on_screen(app, "no paths: no map into the static space")


async def test_export_writes_svg_png_csv_and_json(tiny_vectors, tiny_model, tmp_path):
    app = map_app(tiny_vectors, tiny_model, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_map(pilot, app)
        await press(pilot, "x")
        await wait_for(pilot, lambda: len(list(tmp_path.glob("wordlens-map-*"))) == 4, timeout=60, what="export")
        files = {path.suffix: path for path in tmp_path.glob("wordlens-map-*")}
        assert set(files) == {".svg", ".png", ".csv", ".json"}
        assert files[".png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "<svg" in files[".svg"].read_text()
        report = json.loads(files[".json"].read_text())
        assert {"method", "layer", "static", "paths", "model_space"} <= set(report)
        words = {point["word"] for point in report["static"]}
        assert {point.label for point in screen.found.static} == words
        assert files[".csv"].read_text().splitlines()[0] == "label,kind,x,y,layer,token_index"


async def test_switching_method_shows_progress_and_every_key_is_safe(tiny_vectors, tiny_model, tmp_path):
    app = map_app(tiny_vectors, tiny_model, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_map(pilot, app)
        await press(pilot, "k")
        assert on_screen(app, "UMAP")
        await wait_for(pilot, lambda: screen.found.method == "umap" and screen.fitting is None, timeout=240,
                       what="umap")
        assert on_screen(app, "static map · UMAP")
        for key in ("k", "k", "2", "3", "1", "up", "x", "comma", "full_stop", "b", "a", "w", "o", "question_mark"):
            await press(pilot, key)
        assert app.is_running
