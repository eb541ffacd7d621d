"""The uses section (u) on the tiny models and a tiny corpus: it shows the core index's answer for
the focused token at the current layer, follows focus, layer and edits, shows progress while the
index builds, and prints corpus text literally."""

from __future__ import annotations

import pytest
from test_uses_index import TINY_CORPUS

from wordlens.core.uses.corpus import corpus_of_files
from wordlens.core.uses.uses_index import cached_index
from wordlens.tui.app import WordLensApp
from wordlens.tui.panes.uses import UsesPane
from wordlens.tui.uses_state import UsesStatus

from tui_support import move_focus_to, screen_lines, screen_text, shows, text_input, wait_for

pytestmark = pytest.mark.anyio
SIZE = (120, 36)
SENTENCE = "the river bank"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "tiny.txt"
    path.write_text(TINY_CORPUS + "The [bold]queen[/bold] walks to [red]paris.\n", encoding="utf-8")
    return corpus_of_files([path])


def pane(app) -> str:
    return app.query_one(UsesPane).render().plain


def answered(app) -> bool:
    answer = app.uses.answer
    return app.uses.status is UsesStatus.READY and answer is not None and answer.question.focus == app.view.focus \
        and answer.question.layer == app.view.layer + 1 and answer.question.text == app.view.analysis.text


async def open_uses(pilot, app) -> None:
    await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
    await pilot.press("escape", "u")
    await wait_for(pilot, lambda: answered(app), timeout=60, what="the uses")


async def test_uses_show_the_index_answer_and_follow_focus_layer_and_edits(tiny_engine, tiny_model, corpus):
    app = WordLensApp(tiny_engine, text=SENTENCE, uses_corpus=corpus)
    async with app.run_test(size=SIZE) as pilot:
        await open_uses(pilot, app)
        index = cached_index(tiny_model, corpus)
        assert index is not None and app.uses.index.folder == index.folder
        assert "static cosine vs attention" not in screen_text(app)  # the uses take the comparison's place
        await move_focus_to(pilot, app, 3)  # bank
        await wait_for(pilot, lambda: answered(app), what="bank's uses")
        context = app.view.context
        expected = index.search(context.hidden_states[app.view.layer + 1, 3], app.view.layer + 1, 10)
        assert app.uses.answer.uses == expected
        text = pane(app)
        assert f"bank after layer {app.view.layer + 1}" in text
        for use in expected[:3]:
            assert f"{use.cosine:4.2f}" in text and use.source[:8] in text
        # the layer: its own answer
        before = app.uses.answer
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: answered(app) and app.uses.answer is not before, what="the next layer's uses")
        # an edit: the new sentence's token
        await pilot.press("e", "end", "space", "d", "o", "g")
        await wait_for(pilot, lambda: shows(app, SENTENCE + " dog") and answered(app), what="the edited sentence")
        assert app.uses.answer.question.text == SENTENCE + " dog"
        await pilot.press("escape", "u")
        await pilot.pause()
        assert "static cosine vs attention" in screen_text(app)


async def test_corpus_text_is_shown_literally(tiny_engine, corpus):
    app = WordLensApp(tiny_engine, text="the queen", uses_corpus=corpus)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, "the queen"), what="the analysis")
        await move_focus_to(pilot, app, 2)  # queen
        await pilot.press("escape", "u")
        await wait_for(pilot, lambda: answered(app), timeout=60, what="the uses")
        assert any("[bold]" in use.sentence for use in app.uses.answer.uses)
        assert "[bold]" in pane(app) or "[red]" in pane(app)


async def test_the_explorer_works_while_the_index_builds_and_says_so(tiny_engine, corpus, monkeypatch):
    import threading

    from wordlens.core.uses import uses_index

    release = threading.Event()
    original = uses_index.build_index

    def slow_build(model, corpus, settings, progress, *rest):
        progress("embedding the corpus (1 of 2 tokens)", 0.5)
        release.wait(30)
        return original(model, corpus, settings, progress, *rest)

    monkeypatch.setattr(uses_index, "build_index", slow_build)
    app = WordLensApp(tiny_engine, text=SENTENCE, uses_corpus=corpus)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        await pilot.press("escape", "u")
        await wait_for(pilot, lambda: "embedding the corpus" in pane(app), what="the progress line")
        assert "Reading or building the uses index" in pane(app)
        await pilot.press("e", "end", "space", "d", "o", "g")  # typing still analyses
        await wait_for(pilot, lambda: shows(app, SENTENCE + " dog"), what="an analysis while building")
        assert text_input(app).value == SENTENCE + " dog"
        release.set()
        await wait_for(pilot, lambda: answered(app), timeout=60, what="the uses once built")


async def test_without_a_corpus_u_says_so(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        await pilot.press("escape", "u")
        await pilot.pause()
        assert any("No corpus" in notice.message for notice in app.notices)


async def test_at_80_columns_each_use_keeps_its_sentence_around_the_keyword(tiny_engine, corpus):
    """The pane is ~28 columns wide at 80x24: the source column goes and the line is the sentence
    (it kept 13 characters of it beside a source cut to 6)."""
    app = WordLensApp(tiny_engine, text=SENTENCE, uses_corpus=corpus)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_uses(pilot, app)
        lines = pane(app).splitlines()[1:]
        uses = app.uses.answer.uses
        assert len(lines) == len(uses)
        for line, use in zip(lines, uses, strict=True):
            assert line.startswith(f"{use.cosine:4.2f} ") and use.source not in line
            assert any(keeps_context(line[5:], at, use) for at in range(len(line) - 5)), line


def keeps_context(shown: str, at: int, use) -> bool:
    """The keyword at column `at` of `shown`, and 7+ characters of context each side (or all of it);
    beside the source column a line kept ~6."""
    end = at + use.end - use.start
    if shown[at:end] != use.sentence[use.start:use.end]:
        return False
    left, right = shown[:at].lstrip().removeprefix("…"), shown[end:].rstrip().removesuffix("…")
    return (use.sentence[:use.start].endswith(left) and len(left) >= min(use.start, 7)
            and use.sentence[use.end:].startswith(right) and len(right) >= min(len(use.sentence) - use.end, 7))


async def test_the_comparison_hidden_while_the_sentence_changed_shows_the_new_one_when_shown(tiny_engine, corpus):
    """A pane is not redrawn while hidden (u puts the uses in the comparison's place): shown again, it
    draws what it missed."""
    app = WordLensApp(tiny_engine, text=SENTENCE, uses_corpus=corpus)
    async with app.run_test(size=SIZE) as pilot:
        await open_uses(pilot, app)
        await pilot.press("e", "end", "space", "d", "o", "g")
        await wait_for(pilot, lambda: shows(app, SENTENCE + " dog"), what="the edited sentence")
        await pilot.press("escape", "u")

        def comparison_lists_dog() -> bool:
            region = app.query_one("#comparison").content_region
            return any(line[region.x:region.right].startswith("dog ")
                       for line in screen_lines(app)[region.y:region.bottom])

        await wait_for(pilot, comparison_lists_dog, what="the comparison's line for the new word")
