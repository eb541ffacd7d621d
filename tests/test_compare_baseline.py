"""Compare's verdict follows from a baseline it shows: "attention pulls the two uses apart" only
when the word's contextual cosine drops more than every other word the two sentences share (it
used to be said for any drop, 0.009 between two sentences meaning the same); the second sentence
starts empty."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from wordlens.core.measures.static_vs_context import compare
from wordlens.tui.app import WordLensApp
from wordlens.tui.screens.compare import CompareScreen, comparison_text

from tui_support import shows, wait_for

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def test_two_sentences_meaning_the_same_get_no_verdict(tiny_engine):
    first = tiny_engine.analyze("the queen walks in the bank")
    second = tiny_engine.analyze("the queen walks in the bank .")
    comparison = compare(first, second, "bank", tiny_engine.vectors)
    assert set(comparison.baseline_words) == {"the", "queen", "walks", "in"}
    assert comparison.baseline_change is not None
    assert comparison.pulled_apart == (comparison.change < comparison.baseline_change)
    shown = comparison_text(comparison, 14, 100, no_color=True).plain
    assert "baseline, the other shared words" in shown
    assert ("pulls the two uses apart" in shown) == comparison.pulled_apart


def test_the_verdict_is_the_drop_beyond_every_other_shared_word(tiny_engine):
    first, second = tiny_engine.analyze("the bank is a river"), tiny_engine.analyze("money in the bank")
    comparison = compare(first, second, "bank", tiny_engine.vectors)
    assert comparison.baseline_words == ("the",)
    the = compare(first, second, "the", tiny_engine.vectors)
    assert comparison.baseline_change == pytest.approx(the.change)
    assert comparison.pulled_apart == (comparison.change < the.change)


def test_with_no_other_shared_word_there_is_no_verdict(tiny_engine):
    comparison = compare(tiny_engine.analyze("bank"), tiny_engine.analyze("river bank"), "bank",
                         tiny_engine.vectors)
    assert comparison.baseline_change is None and not comparison.pulled_apart
    shown = comparison_text(comparison, 14, 100, no_color=True).plain
    assert "no verdict" in shown and "pulls the two uses apart" not in shown


async def test_the_second_sentence_starts_empty(tiny_engine):
    app = WordLensApp(tiny_engine, text="money in the bank")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: shows(app, "money in the bank"), what="the analysis")
        await pilot.press("tab", "c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), what="compare")
        assert app.screen.query_one("#second", Input).value == ""
