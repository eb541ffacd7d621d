"""Words, tokens and model names are shown as they are: a token such as [CLS] is never read as a
markup tag (Textual's markup would swallow it) in a screen's title or in a notice."""

from __future__ import annotations

import pytest

from wordlens.tui.app import WordLensApp
from wordlens.tui.screens.head_tables import MetricsScreen, ReferentScreen

from tui_support import move_focus_to, move_target_to, screen_text, shows, wait_for

SENTENCE = "france is a country"
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_the_referent_screen_names_a_special_token_in_its_title(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        await pilot.press("tab")
        await move_focus_to(pilot, app, 0)  # [CLS]
        await move_target_to(pilot, app, len(app.view.context.tokens) - 1)  # [SEP]
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReferentScreen), what="the referent screen")
        await pilot.pause()
        assert "[CLS] → [SEP]" in screen_text(app)


async def test_the_metrics_legend_names_the_special_tokens(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        await pilot.press("tab", "m")
        await wait_for(pilot, lambda: isinstance(app.screen, MetricsScreen), what="the metrics screen")
        await pilot.pause()
        assert "[CLS]/[SEP]" in screen_text(app)


async def test_a_notice_quoting_a_bracketed_word_is_shown_as_plain_text(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        app.notify("no vector for [b]queen[/b]")
        [notice] = [notice for notice in app.notices if "queen" in notice.message]
        assert notice.message == "no vector for [b]queen[/b]" and notice.markup is False
