"""Every screen and pane of the explorer as a picture: one SVG snapshot per state and terminal size.

The states (the main explorer with the focus on each pane, word-level, dense, specials hidden, and
every screen and dialog) are reached by keys from the same start: the tiny seeded models and a fixed
sentence (tests/snapshot_apps/overview_app.py), each snapshot taken once the app has nothing left
to compute. Baselines are in tests/__snapshots__/test_snapshots/; after a deliberate change of a
screen, regenerate them with `pytest tests/test_snapshots.py --snapshot-update`, convert them
(`rsvg-convert file.svg -o file.png`) and look at every one before committing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from wordlens.tui.panes.attention import AttentionGrid
from wordlens.tui.screens.compare import CompareScreen
from wordlens.tui.screens.head_tables import CorrelationScreen, MetricsScreen, ReferentScreen
from wordlens.tui.screens.help import HelpScreen
from wordlens.tui.screens.logit_lens import LogitLensScreen
from wordlens.tui.screens.map import MapScreen
from wordlens.tui.screens.mechanism import MechanismScreen
from wordlens.tui.screens.open_models import OpenScreen
from wordlens.tui.screens.overview import OverviewScreen
from wordlens.tui.screens.query import QueryScreen

from snapshot_apps.decoder_app import DECODER_SENTENCE, make_decoder_app
from snapshot_apps.overview_app import SENTENCE, make_app
from tui_support import seeded_map, shows, wait_for

SIZES = {"120x36": (120, 36), "80x24": (80, 24)}
SECOND_SENTENCE = "paris is in france"  # for compare: shares "france" and "is" with SENTENCE
QUERY = "near france"


@dataclass(frozen=True)
class State:
    name: str
    keys: tuple[str, ...] = ()  # pressed once the sentence is analysed (the sentence line has focus)
    reached: Callable | None = None  # app -> bool: the state is on screen (after the keys)


def typed(text: str) -> tuple[str, ...]:
    return tuple("space" if character == " " else character for character in text)


def _screen(kind) -> Callable:
    return lambda app: isinstance(app.screen, kind)


def _compared(app) -> bool:
    screen = app.screen
    return isinstance(screen, CompareScreen) and screen.second is not None and screen.second.text == SECOND_SENTENCE


def _answered(app) -> bool:
    return isinstance(app.screen, QueryScreen) and bool(app.screen.history) and app.screen.history[-1] == QUERY


STATES = [
    State("main_sentence_focused"),
    State("main_grid_focused", ("tab",), lambda app: isinstance(app.focused, AttentionGrid)),
    State("main_static_focused", ("tab", "tab"), lambda app: app.focused is app.query_one("#static")),
    State("main_comparison_focused", ("tab", "tab", "tab"), lambda app: app.focused is app.query_one("#comparison")),
    State("main_word_level", ("tab", "w"), lambda app: app.view.words),
    State("main_dense", ("tab", "d"), lambda app: app.view.dense),
    State("main_specials_hidden", ("tab", "s"), lambda app: app.view.hide_special),
    State("main_mean_of_heads", ("tab", "a"), lambda app: app.view.aggregate != "head"),
    State("main_function_words_hidden", ("tab", "F"), lambda app: app.view.hide_function_words),
    State("overview", ("tab", "o", "down", "right", "right"), _screen(OverviewScreen)),
    State("metrics", ("tab", "m"), _screen(MetricsScreen)),
    State("referents", ("tab", "r"), _screen(ReferentScreen)),
    State("correlation", ("tab", "t"), _screen(CorrelationScreen)),
    State("compare", ("tab", "c", *typed(SECOND_SENTENCE), "enter"), _compared),
    State("query", ("tab", "colon", *typed(QUERY), "enter"), _answered),
    State("open_models", ("ctrl+o",), _screen(OpenScreen)),
    State("help", ("tab", "question_mark"), _screen(HelpScreen)),
    State("mechanism", ("tab", "up", "up", "up", "n"), _screen(MechanismScreen)),
    State("mechanism_head_off", ("tab", "up", "up", "up", "n", "z"),
          lambda app: isinstance(app.screen, MechanismScreen) and bool(app.view.heads_off)),
    State("main_head_off", ("tab", "up", "up", "up", "z"), lambda app: bool(app.view.heads_off)),
    # The command palette (ctrl+p) is left out: its snapshot differed from run to run.
]


def settled(app, sentence: str = SENTENCE) -> bool:
    """The sentence is analysed, nothing is being computed, the focused token's reading is in."""
    view = app.view
    if not shows(app, sentence) or app.computing:
        return False
    context = view.analysis.context
    needs_reading = 0 <= view.focus < len(context.tokens) and not context.special[view.focus]
    return not needs_reading or (app.reading is not None and app.reading.is_for(view))


def reach(state: State, sentence: str = SENTENCE) -> Callable:
    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: settled(app, sentence), timeout=30, what="the sentence's analysis")
        await pilot.press(*state.keys)
        if state.reached is not None:
            await wait_for(pilot, lambda: state.reached(app), timeout=20, what=state.name)
        await wait_for(pilot, lambda: settled(app, sentence), timeout=20, what=f"{state.name} to settle")
        await pilot.pause()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
@pytest.mark.parametrize("state", STATES, ids=[state.name for state in STATES])
def test_snapshot(snap_compare, tmp_path, state, size):
    assert snap_compare(make_app(tmp_path), terminal_size=SIZES[size], run_before=reach(state))


# A decoder (the tiny Llama, byte-level tokens): the causal grid with the focused token's next tokens,
# and the logit lens.
DECODER_STATES = [
    State("decoder_main", ("escape",), lambda app: isinstance(app.focused, AttentionGrid)),
    State("decoder_logit_lens", ("escape", "f"), _screen(LogitLensScreen)),
]


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
@pytest.mark.parametrize("state", DECODER_STATES, ids=[state.name for state in DECODER_STATES])
def test_decoder_snapshot(snap_compare, tmp_path, state, size):
    app = make_decoder_app(tmp_path)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=reach(state, DECODER_SENTENCE))
# ---- the map screen (p): the tiny models, a seeded random map into the static space ----------
MAP_SENTENCE = "the river bank in the bank"


def _map_drawn(app) -> bool:
    return isinstance(app.screen, MapScreen) and app.screen.found is not None and app.screen.fitting is None


MAP_STATES = [
    State("map_static", ("tab", "p"), _map_drawn),
    State("map_model_space", ("tab", "p", "2"), _map_drawn),
    State("map_queries_keys", ("tab", "p", "4"), _map_drawn),
]


def map_settled(app) -> bool:
    return app.view.analysis is not None and app.view.analysis.complete and not app.computing


def reach_map(state: State) -> Callable:
    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: map_settled(app), timeout=30, what="the sentence's analysis")
        await pilot.press(*state.keys)
        await wait_for(pilot, lambda: state.reached(app), timeout=30, what=state.name)
        await wait_for(pilot, lambda: map_settled(app), timeout=20, what=f"{state.name} to settle")
        await pilot.pause()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
@pytest.mark.parametrize("state", MAP_STATES, ids=[state.name for state in MAP_STATES])
def test_map_snapshot(snap_compare, tmp_path, monkeypatch, state, size):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    app = make_app(tmp_path, map_fitter=seeded_map, text=MAP_SENTENCE)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=reach_map(state))


# ---- the uses section (u): the tiny models over a tiny corpus, its index built in the test ---------
USES_CORPUS = ("The queen walks to the river bank. The dog walks quickly in Paris.\n"
               "France is a country in Europe, it is a country. The woman walks to the bank.\n")


def _uses_shown(app) -> bool:
    answer = app.uses.answer
    return answer is not None and answer.question.focus == app.view.focus and \
        answer.question.layer == app.view.layer + 1


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
def test_uses_snapshot(snap_compare, tmp_path, monkeypatch, size):
    from wordlens.core.uses.corpus import corpus_of_files

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(USES_CORPUS, encoding="utf-8")
    app = make_app(tmp_path)
    app.uses_corpus = corpus_of_files([corpus])
    state = State("uses", ("tab", "u"), _uses_shown)

    async def run_before(pilot) -> None:
        await reach(state)(pilot)
        await wait_for(pilot, lambda: _uses_shown(pilot.app) and not pilot.app.computing, timeout=60, what="uses")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


# ---- the lesson (L): the caption panel over the live explorer (step 2) and over the mechanism (step 5) -------
LESSON_STEPS = {"lesson_attention": 1, "lesson_mechanism": 4}


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
@pytest.mark.parametrize("name", LESSON_STEPS)
def test_lesson_snapshot(snap_compare, tmp_path, name, size):
    from wordlens.tui.screens.lesson import LessonScreen

    step = LESSON_STEPS[name]

    def on_step(app) -> bool:
        screen = app.screen
        return isinstance(screen, LessonScreen) and screen.index == step and screen.settled and not app.computing

    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: app.models.ready and not app.computing, timeout=30, what="the models")
        await pilot.press("tab", "L")
        await wait_for(pilot, lambda: isinstance(app.screen, LessonScreen), timeout=30, what="the lesson")
        await pilot.press(*["n"] * step)
        await wait_for(pilot, lambda: on_step(app), timeout=30, what=name)
        await wait_for(pilot, lambda: not app.computing and (app.reading is None or app.reading.is_for(app.view)),
                       timeout=20, what="the reading")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(make_app(tmp_path, text=""), terminal_size=SIZES[size], run_before=run_before)
