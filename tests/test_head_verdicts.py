"""Verdicts about heads follow from numbers shown against a stated baseline: positional heads are
tagged wherever a head is named, the metrics distance leaves special tokens out, and the
correlation screen shows n and a permutation p-value per head, with no verdict where p > 0.05."""

from __future__ import annotations

import numpy as np
import pytest

from wordlens.core.measures.attention_views import distance_between_words, head_metrics, head_patterns
from wordlens.core.measures.static_vs_context import correlation_significance, static_attention_correlation
from wordlens.tui.app import WordLensApp
from wordlens.tui.screens.head_tables import CorrelationScreen, MetricsScreen, ReferentScreen

from tui_support import screen_text, shows, wait_for

pytestmark = pytest.mark.anyio
SENTENCE = "france is a country , it is in europe"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def heads(*matrices) -> np.ndarray:
    """(1 layer, len(matrices) heads, n, n)."""
    return np.array(matrices, dtype=np.float32)[None]


N = 7
SPECIAL = np.array([True] + [False] * (N - 2) + [True])  # [CLS] w w w w w [SEP]
NO_PUNCTUATION = np.zeros(N, dtype=bool)


def diagonal_with_specials(share_on_specials: float) -> np.ndarray:
    matrix = np.eye(N) * (1 - share_on_specials)
    matrix[:, 0] += share_on_specials / 2
    matrix[:, -1] += share_on_specials / 2
    return matrix


def previous_token() -> np.ndarray:
    matrix = np.zeros((N, N))
    matrix[0, 0] = 1
    for row in range(1, N):
        matrix[row, row - 1] = 0.8
        matrix[row, row] = 0.2
    return matrix


def test_the_distance_leaves_special_tokens_out():
    """A head attending to itself, with most of its mass on [CLS]/[SEP]: distance 0, not ~3."""
    attentions = heads(diagonal_with_specials(0.8))
    assert float(distance_between_words(attentions, SPECIAL)[0, 0]) == pytest.approx(0.0)
    assert float(head_metrics(attentions, SPECIAL, NO_PUNCTUATION)["distance"][0, 0]) == pytest.approx(0.0)


def test_the_distance_equals_a_plain_loop(tiny_engine):
    context = tiny_engine.analyze(SENTENCE).context
    keep = [i for i in range(len(context.tokens)) if not context.special[i]]
    got = distance_between_words(context.attentions, context.special)
    for layer in range(context.attentions.shape[0]):
        for head in range(context.attentions.shape[1]):
            rows = []
            for i in keep:
                weights = {j: float(context.attentions[layer, head, i, j]) for j in keep}
                total = sum(weights.values())
                rows.append(sum(w * abs(i - j) for j, w in weights.items()) / total)
            assert got[layer, head] == pytest.approx(sum(rows) / len(rows), rel=1e-5)


def test_positional_heads_are_named_and_others_are_not():
    uniform = np.full((N, N), 1 / N)
    patterns = head_patterns(heads(previous_token(), diagonal_with_specials(0.0), diagonal_with_specials(0.9),
                                   uniform), SPECIAL, NO_PUNCTUATION)
    assert list(patterns[0]) == ["previous token", "itself", "special tokens", ""]


def test_a_permutation_p_value_backs_rho(tiny_engine):
    analysis = tiny_engine.analyze(SENTENCE)
    rho = static_attention_correlation(analysis)
    significance = correlation_significance(analysis, rho)
    known = [found for found in analysis.static.neighbours if found.key]
    assert significance.pairs == len(known) * (len(known) - 1) // 2
    finite = ~np.isnan(rho)
    assert np.all((significance.p[finite] > 0) & (significance.p[finite] <= 1))
    again = correlation_significance(analysis, rho)
    np.testing.assert_array_equal(significance.p, again.p)  # seeded: the same p every time


def test_three_pairs_never_give_a_verdict(tiny_engine):
    """With 3 pairs a shuffle matches any ρ one time in six: p is far above 0.05."""
    analysis = tiny_engine.analyze("queen dog river")
    rho = static_attention_correlation(analysis)
    significance = correlation_significance(analysis, rho)
    assert significance.pairs == 3
    assert np.nanmin(significance.p) > 0.05


async def open_screen(app, pilot, key, screen):
    await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
    await pilot.press("tab", key)
    await wait_for(pilot, lambda: isinstance(app.screen, screen), what=screen.__name__)
    await pilot.pause()
    return screen_text(app)


async def test_the_correlation_screen_shows_n_and_p_and_no_verdict_without_significance(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=(120, 36)) as pilot:
        shown = await open_screen(app, pilot, "t", CorrelationScreen)
        assert "n = " in shown and "word pairs" in shown and "verdict" in shown
        assert "High: the head relates words by meaning" not in shown


async def test_head_tables_name_each_heads_pattern(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=(160, 40)) as pilot:
        shown = await open_screen(app, pilot, "m", MetricsScreen)
        assert "pattern" in shown and "among the non-special tokens" in shown
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=(160, 40)) as pilot:
        shown = await open_screen(app, pilot, "r", ReferentScreen)
        assert "pattern: a positional head" in shown
