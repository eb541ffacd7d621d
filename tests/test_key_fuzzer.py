"""Any key on any screen: a seeded fuzzer presses the bindings of whichever screen is on top (found
at run time, so later screens are covered), types, pastes and resizes; no exception, no crashed
computation, and the app still answers a sentence. A failure names its seed: rerun it with
`benchmarks/key_fuzzer.py --seed S --keys N`."""

from __future__ import annotations

from collections import Counter

import pytest

from wordlens.core.engine import Engine
from wordlens.tui.app import WordLensApp

from fuzz_support import binding_keys, fuzz_once

pytestmark = pytest.mark.anyio
SEEDS = (1, 2, 3, 4)
KEYS_PER_SEED = 500
# The screens the issue names; the fuzzer reaches them by their keys, not by name.
MUST_VISIT = {"ExplorerScreen", "OverviewScreen", "MetricsScreen", "ReferentScreen", "CorrelationScreen",
              "CompareScreen", "QueryScreen", "OpenScreen", "HelpScreen", "WordLensPalette", "LessonScreen"}
visited: Counter[str] = Counter()


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_keys_on_every_screen_break_nothing(tiny_vectors, tiny_model, tmp_path, seed):
    def make_app():
        return WordLensApp(Engine.from_loaded(tiny_vectors, tiny_model), text="the queen is in the bank")

    report = await fuzz_once(make_app, seed, KEYS_PER_SEED, tmp_path)
    assert report.keys >= KEYS_PER_SEED
    visited.update(report.screens)


def test_the_runs_visited_every_screen():
    if not visited:
        pytest.skip("run with the fuzz runs above")
    assert MUST_VISIT <= set(visited), f"never visited: {MUST_VISIT - set(visited)}"


async def test_the_keys_come_from_each_screens_bindings(tiny_engine):
    from wordlens.tui.screens.help import HelpScreen

    app = WordLensApp(tiny_engine, text="the queen")
    async with app.run_test(size=(120, 36)) as pilot:
        explorer_keys = binding_keys(app.screen, app)
        # the App's, the attention grid's (not focused yet) and Textual's own
        assert {"o", "m", "left_square_bracket", "up", "space", "ctrl+p"} <= set(explorer_keys)
        assert "ctrl+q" not in explorer_keys and "q" not in explorer_keys  # quitting ends a run
        app.push_screen(HelpScreen())
        await pilot.pause()
        assert "escape" in binding_keys(app.screen, app)


BUNDLED_SEED, BUNDLED_KEYS = 17, 300


@pytest.mark.real_models
async def test_random_keys_on_the_bundled_models_break_nothing(bundled_engine, tmp_path):
    """A shorter run on GloVe 6B 50d and all-MiniLM-L6-v2 (12 heads, 400,000 words: the screens'
    real sizes). A failure names its seed: `benchmarks/key_fuzzer.py --bundled --seed 17 --keys 300`."""
    def make_app():
        return WordLensApp(bundled_engine, text="France is a country, it is in Europe")

    report = await fuzz_once(make_app, BUNDLED_SEED, BUNDLED_KEYS, tmp_path,
                             sentence="the queen is in the bank")
    assert report.keys >= BUNDLED_KEYS
    assert {"ExplorerScreen", "HelpScreen"} <= set(report.screens), report.screens
