"""The map screen (p) on the tiny models, walked through its keys: modes, layers, the cursor, the
method switch and the export. Expected values come from the core functions the screen draws."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wordlens.core.engine import Engine
from wordlens.tui.app import WordLensApp
from wordlens.tui.screens.map import MapScreen

from conftest import TINY_LAYERS
from tui_support import screen_text, seeded_map, wait_for

pytestmark = pytest.mark.anyio

TEXT = "the river bank in the bank"
SIZE = (120, 36)


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def map_app(tiny_vectors, tiny_model, tmp_path, fitter=seeded_map) -> WordLensApp:
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


async def test_switching_method_shows_progress_and_every_key_is_safe(tiny_vectors, tiny_model, tmp_path, monkeypatch):
    """UMAP itself (seeded, reproducible) is tested in test_static_projection.py; here a stand-in
    that holds the fit until the screen has shown its progress (the real one spent ~70 s in
    numba's compilation), so the test sees the progress line rather than hoping to catch it."""
    import threading

    from wordlens.core.vectors import static_projection

    release = threading.Event()

    def held_fit(units, method, seed, progress):
        progress(f"fitting {method.upper()} on {len(units):,} words", 0.1)
        release.wait(timeout=60)
        return units[:, :2] * 1.0

    monkeypatch.setattr(static_projection, "fit_embedding", held_fit)
    app = map_app(tiny_vectors, tiny_model, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_map(pilot, app)
        await press(pilot, "k")
        await wait_for(pilot, lambda: on_screen(app, "fitting UMAP on"), what="the progress line")
        assert screen.fitting is not None
        await press(pilot, "k")  # a second switch while fitting is refused with a notice
        assert any("still being fitted" in notice.message for notice in app.notices)
        release.set()
        await wait_for(pilot, lambda: screen.found.method == "umap" and screen.fitting is None, timeout=60,
                       what="umap")
        assert on_screen(app, "static map · UMAP")
        for key in ("k", "k", "2", "3", "4", "1", "up", "x", "comma", "full_stop", "b", "a", "w", "o",
                    "question_mark"):
            await press(pilot, key)
        assert app.is_running


async def test_queries_and_keys_mode_draws_both_clouds_and_steps_heads(tiny_vectors, tiny_model, tmp_path):
    from wordlens.core.measures.queries_keys import query_key_map

    app = map_app(tiny_vectors, tiny_model, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_map(pilot, app)
        await press(pilot, "4")
        text = screen_text(app)
        assert "queries and keys · layer 1, head 1" in text and "attention unchanged" in text
        context = app.view.context
        expected = query_key_map(context, 0, 0, screen.found.focus_token)
        shown = screen.queries_keys
        np.testing.assert_array_equal(shown.queries, expected.queries)
        assert shown.lines == expected.lines
        heaviest = max(expected.lines, key=lambda line: line[2])
        assert f"{context.tokens[heaviest[1]]} {heaviest[2]:.2f}" in text  # the weight is written by its key
        await press(pilot, "full_stop")
        assert on_screen(app, "layer 1, head 2")
        await press(pilot, "comma", "comma")
        assert on_screen(app, f"layer 1, head {context.model.heads}")  # wraps round
        await press(pilot, "left_square_bracket")
        assert on_screen(app, "queries and keys · layer 1")  # no queries at the embeddings
        await press(pilot, "right_square_bracket", "right")
        assert on_screen(app, "layer 2, head") and " attends to " in screen_text(app)
        await press(pilot, "x")
        await wait_for(pilot, lambda: any(notice.title.startswith("exported") for notice in app.notices), timeout=60,
                       what="export")
        report = json.loads(next(tmp_path.glob("wordlens-map-*.json")).read_text())
        assert report["queries_keys"]["layer"] == 2 and report["queries_keys"]["head"] == context.model.heads - 1
        assert {point["kind"] for point in report["queries_keys"]["points"]} == {"query", "key"}


async def test_queries_and_keys_on_the_tiny_llama(tiny_vectors, tiny_llama, tmp_path):
    app = WordLensApp(Engine.from_loaded(tiny_vectors, tiny_llama, map_fitter=seeded_map), text=TEXT)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_map(pilot, app)
        await press(pilot, "4")
        assert on_screen(app, "queries and keys · layer 1, head 1")
        focus = screen.found.focus_token
        assert screen.queries_keys.lines and all(target <= focus for _, target, _ in screen.queries_keys.lines)


async def test_editing_on_the_map_follows_the_same_word(tiny_vectors, tiny_model, tmp_path):
    app = map_app(tiny_vectors, tiny_model, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_map(pilot, app)
        focus = screen.found.focus_token
        token = app.view.context.tokens[focus]
        await press(pilot, "e", "home")
        for key in "big ":
            await pilot.press("space" if key == " " else key)
        await wait_for(pilot, lambda: screen.shown_text == "big " + TEXT, what="the map of the edited sentence")
        assert app.explorer.text_input.value == "big " + TEXT  # the explorer's sentence, edited
        context = screen.view.context
        assert context.tokens[screen.found.focus_token] == token  # the same word, one token later
        assert screen.found.focus_token == focus + 1
        assert on_screen(app, "big the river bank")
        await press(pilot, "escape")  # the line first, then the map
        assert isinstance(app.screen, MapScreen)
        await press(pilot, "2", "escape")
        assert not isinstance(app.screen, MapScreen)
