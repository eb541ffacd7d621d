"""The lesson (core/lesson.py, `L`, `wordlens lesson`): every step renders over the live screen it names, every
number of a caption is the engine's, and on the bundled models the lesson gives the answers it promises."""

from __future__ import annotations

import numpy as np
import pytest

from wordlens.core.analysis import word_attention_from
from wordlens.core.errors import InputError
from wordlens.core.lesson import ATTENTION_SENTENCE, BANK_SENTENCE, STATIC_SENTENCE, WINOGRAD, build_lesson
from wordlens.core.measures.static_vs_context import cosine
from wordlens.tui.app import WordLensApp
from wordlens.tui.screens.explorer import ExplorerScreen
from wordlens.tui.screens.lesson import LessonScreen
from wordlens.tui.screens.map import MapScreen
from wordlens.tui.screens.mechanism import MechanismScreen

from tui_support import screen_text, wait_for

STEPS = 8


def word(analysis, text: str) -> int:
    return next(index for index, candidate in enumerate(analysis.words) if candidate.text.lower() == text)


def shown_forms(value: float) -> set[str]:
    return {f"{value:.2f}", f"{value:+.2f}", f"{value:.1f}", f"{value:.3f}", f"{value:.0f}"}


def test_eight_steps_and_every_number_is_in_its_caption(tiny_engine):
    lesson = build_lesson(tiny_engine)
    assert len(lesson.steps) == STEPS
    for step in lesson.steps:
        assert step.numbers, step.title
        for name, value in step.numbers:
            assert shown_forms(value) & set(_numbers_in(step.caption)), f"{step.title}: {name} {value} not shown"


def _numbers_in(caption: str) -> list[str]:
    import re

    return re.findall(r"[+−-]?\d+(?:\.\d+)?", caption.replace(",", ""))


def test_the_captions_numbers_are_the_engines(tiny_engine):
    lesson = build_lesson(tiny_engine)
    static, attention, table, bank, mechanism, winograd, positional, answer = (dict(s.numbers) for s in lesson.steps)
    queen = tiny_engine.analyze(STATIC_SENTENCE)
    cosines = queen.static.cosine
    assert static["queen_woman"] == pytest.approx(cosines[word(queen, "queen"), word(queen, "woman")])
    assert static["queen_dog"] == pytest.approx(cosines[word(queen, "queen"), word(queen, "dog")])

    france = tiny_engine.analyze(ATTENTION_SENTENCE)
    it, target = word(france, "it"), word(france, "france")
    weights = word_attention_from(france.context, it, len(france.words))[..., target]  # (layers, heads)
    step = lesson.steps[1].shown
    assert attention["weight"] == pytest.approx(weights.max())
    assert (step.layer, step.head) == np.unravel_index(weights.argmax(), weights.shape)
    assert attention["even_share"] == pytest.approx(1 / len(france.context.tokens))

    context = france.context
    captured = context.captured
    source, goal = int(context.tokens_of(it)[0]), int(context.tokens_of(target)[0])
    query, keys = captured.queries[step.layer, step.head, source], captured.keys[step.layer, step.head]
    assert mechanism["logit"] == pytest.approx(float(query @ keys[goal]) * captured.scale, rel=1e-4)
    assert mechanism["weight"] == pytest.approx(context.attentions[step.layer, step.head, source, goal], abs=1e-4)

    last = context.hidden_states.shape[0] - 1
    states = context.hidden_states[last].astype(np.float64)
    assert table["state_cosine"] == pytest.approx(float(cosine(states[source], states[goal])))

    banks = tiny_engine.analyze(BANK_SENTENCE).context
    first, second = [i for i, token in enumerate(banks.tokens) if token == "bank"]
    final = banks.hidden_states[-1].astype(np.float64)
    assert bank["bank_cosine"] == pytest.approx(float(cosine(final[first], final[second])))
    assert bank["row_cosine"] == pytest.approx(1.0, abs=1e-6)  # one token, one row of the table

    big, small = (tiny_engine.analyze(sentence) for sentence in WINOGRAD)
    shown = lesson.steps[5].shown
    for analysis, name in ((big, "big_trophy"), (small, "small_trophy")):
        row = word_attention_from(analysis.context, word(analysis, "it"), len(analysis.words))
        assert winograd[name] == pytest.approx(row[shown.layer, shown.head, word(analysis, "trophy")])

    before = context.attentions[:, :, np.arange(2, len(context.tokens) - 1), np.arange(1, len(context.tokens) - 2)]
    assert positional["previous_share"] <= 1.0 and positional["focus_previous"] <= 1.0
    assert before.shape[-1] > 0
    assert answer["weight"] == attention["weight"] and answer["bank_cosine"] == bank["bank_cosine"]


def test_the_learners_sentence_replaces_the_one_sentence_steps(tiny_engine):
    text = "the queen is in the bank, it is in paris"
    lesson = build_lesson(tiny_engine, text)
    assert lesson.text == text
    for index in (1, 2, 4, 6):
        assert lesson.steps[index].shown.text == text
    assert lesson.steps[0].shown.text == STATIC_SENTENCE  # the classic static relations stay
    context = tiny_engine.analyze(text).context
    assert context.tokens[lesson.steps[1].shown.focus] == "it"  # its first pronoun


def test_a_sentence_of_one_word_is_refused_clearly(tiny_engine):
    with pytest.raises(InputError, match="at least two words"):
        build_lesson(tiny_engine, "queen")


# ---- in the explorer ------------------------------------------------------------------------

@pytest.fixture
def anyio_backend():
    return "asyncio"


def lesson_on_top(app) -> LessonScreen | None:
    screen = app.screen
    return screen if isinstance(screen, LessonScreen) else None


def settled(app) -> bool:
    lesson = lesson_on_top(app)
    return lesson is not None and lesson.settled and not app.computing


async def open_lesson(pilot) -> None:
    """Once both models are loaded, `L` from the explorer, until the lesson's first step is shown."""
    app = pilot.app
    await wait_for(pilot, lambda: app.models.ready, what="the models")
    await pilot.press("tab", "L")
    await wait_for(pilot, lambda: settled(app), timeout=30, what="the lesson's first step")


@pytest.mark.anyio
async def test_every_step_renders_over_the_screen_it_names(tiny_engine):
    app = WordLensApp(tiny_engine, text="")
    async with app.run_test(size=(120, 36)) as pilot:
        await open_lesson(pilot)
        lesson = app.screen.lesson
        for index, step in enumerate(lesson.steps):
            if index:
                await pilot.press("n")
                await wait_for(pilot, lambda index=index: settled(app) and app.screen.index == index, timeout=30,
                               what=f"step {index + 1}")
            await pilot.pause()
            text = " ".join(screen_text(app).split())
            assert step.title in text
            assert f"step {index + 1} of {STEPS}" in text
            shown, view = step.shown, app.view
            assert view.analysis.text == shown.text
            assert (view.focus, view.target, view.layer, view.head) == (shown.focus, shown.target, shown.layer,
                                                                         shown.head)
            under = app.screen_stack[-2]
            expected = {"explorer": ExplorerScreen, "map": MapScreen, "mechanism": MechanismScreen}[shown.screen]
            assert isinstance(under, expected), (step.title, under)
            for name, value in step.numbers:  # the caption is on screen whole, with each of its numbers
                assert shown_forms(value) & set(_numbers_in(text)), (step.title, name, value)
        assert "The answer" in screen_text(app)
        await pilot.press("n")  # past the last step: stays
        assert app.screen.index == STEPS - 1
        await pilot.press("p", "left")
        await wait_for(pilot, lambda: settled(app) and app.screen.index == STEPS - 3, what="two steps back")
        await pilot.press("left")  # to the mechanism step (5), its screen under the panel
        await wait_for(pilot, lambda: settled(app) and isinstance(app.screen_stack[-2], MechanismScreen),
                       what="the mechanism under the panel")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.explorer and not app.is_screen_installed("lesson")
        await pilot.press("L")  # again, after leaving
        await wait_for(pilot, lambda: settled(app), timeout=30, what="the lesson again")


@pytest.mark.anyio
async def test_the_lesson_waits_for_the_models(tiny_vectors, tiny_model):
    from wordlens.core.engine import Engine

    app = WordLensApp(Engine.from_loaded(tiny_vectors, None), text="")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.explorer.start_lesson("")
        await pilot.pause()
        assert "needs both models" in " ".join(notice.message for notice in app.notices)
        assert lesson_on_top(app) is None


@pytest.mark.anyio
async def test_a_line_of_one_word_gives_the_classic_lesson_with_a_note(tiny_engine):
    app = WordLensApp(tiny_engine, text="queen")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_lesson(pilot)
        assert app.screen.lesson.text == ATTENTION_SENTENCE
        assert "the lesson uses its classic sentences" in " ".join(notice.message for notice in app.notices)


@pytest.mark.real_models
def test_on_the_bundled_models_the_lesson_gives_its_promised_answers(bundled_engine):
    lesson = build_lesson(bundled_engine)
    static, attention, _, bank, mechanism, winograd, positional, answer = (dict(s.numbers) for s in lesson.steps)
    assert static["queen_woman"] > static["queen_dog"]
    assert "queen is nearer woman" in lesson.steps[0].caption
    # it -> France at layer 4, head 2, about 0.6: many times an even share
    assert (lesson.steps[1].shown.layer, lesson.steps[1].shown.head) == (3, 1)
    assert 0.55 < attention["weight"] < 0.65 and attention["times_even"] > 5
    assert mechanism["weight"] == pytest.approx(attention["weight"], abs=1e-3)  # the same pair, one token each
    # the banks: one row of the input table, apart after layer 6, each nearer its own context
    assert bank["row_cosine"] == pytest.approx(1.0, abs=1e-6) and bank["bank_cosine"] < 0.99
    assert "each moved towards its own context" in lesson.steps[3].caption
    # Winograd: it -> trophy about the same in "too big" and "too small"
    assert 0.5 < winograd["big_trophy"] < 0.7 and 0.5 < winograd["small_trophy"] < 0.7
    assert abs(winograd["change"]) < 0.1 and "a weight is not the word 'it' refers to" in lesson.steps[5].caption
    assert positional["neighbourly_heads"] >= 1 and positional["previous_share"] > 0.5
    assert lesson.steps[-1].caption.startswith("The answer. An embedding layer")
    assert answer["weight"] == attention["weight"]
