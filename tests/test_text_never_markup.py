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


MARKUP_WORDS = ["[bold]", "[/]", "[link=x]", "[CLS]"]


@pytest.fixture
def markup_vectors(tiny_vectors):
    """The tiny vectors plus words that look like markup tags, placed beside 'queen'."""
    import numpy as np

    from wordlens.core.vectors.static_vectors import StaticVectors

    queen = tiny_vectors.vector("queen")
    extra = np.array([queen + 0.01 * (i + 1) for i in range(len(MARKUP_WORDS))], dtype=np.float32)
    return StaticVectors([*tiny_vectors.words, *MARKUP_WORDS], np.vstack([tiny_vectors.matrix, extra]),
                         name="[b]tiny[/b]")


async def test_markup_looking_words_from_a_vectors_file_show_literally_on_every_screen(markup_vectors, tiny_model):
    from wordlens.core.engine import Engine
    from wordlens.tui.screens.query import QueryScreen

    sentence = "the queen [bold] is [/] in the bank"
    app = WordLensApp(Engine.from_loaded(markup_vectors, tiny_model), text=sentence)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: shows(app, sentence), what="the analysis")
        await pilot.pause()
        shown = screen_text(app)
        assert "[link=x]" in shown and "[/]" in shown and "[b]tiny[/b]" in shown  # static pane, model bar
        await pilot.press("escape", "colon")
        await wait_for(pilot, lambda: isinstance(app.screen, QueryScreen), what="the query line")
        await pilot.press(*"queen", "enter")
        await pilot.pause(0.5)
        assert "[link=x]" in screen_text(app) and "[CLS]" in screen_text(app)
        await pilot.press("escape")
        for key, screen in (("t", "CorrelationScreen"), ("c", "CompareScreen")):
            await pilot.press("escape", key)
            await wait_for(pilot, lambda screen=screen: type(app.screen).__name__ == screen, what=screen)
            await pilot.pause()
            assert app.is_running
            await pilot.press("escape")


def test_the_cli_prints_markup_looking_words_literally(tmp_path, capsys):
    from cli_support import run

    path = tmp_path / "[b]v[i].txt"
    path.write_text("queen 1 0 0\n[bold] 0.9 0.1 0\n[/] 0.8 0.2 0\n[link=x] 0.7 0.3 0\n", encoding="utf-8")
    code, out, err = run(capsys, "neighbours", "queen", "[bold]", "--vectors", path)
    assert code == 0, err
    for word in ("[b]v[i].txt", "[bold]", "[/]", "[link=x]"):
        assert word in out


@pytest.mark.parametrize("command", [
    ("similarity", "[bold]", "[/]"),
    ("analogy", "queen", "[bold]", "[/]"),
    ("odd-one-out", "queen", "[bold]", "[/]", "[link=x]"),
])
def test_the_static_commands_print_markup_looking_words_literally(tmp_path, capsys, command):
    from cli_support import run

    path = tmp_path / "[b]v[i].txt"
    path.write_text("queen 1 0 0\n[bold] 0.9 0.1 0\n[/] 0.8 0.2 0\n[link=x] 0.7 0.3 0\nking 0.6 0.3 0.1\n",
                    encoding="utf-8")
    code, out, err = run(capsys, *command, "--vectors", path)
    assert code == 0, err
    assert "[b]v[i].txt" in out
    for word in command[1:]:
        assert word in out, (word, out)
