"""The explorer driven through Textual's Pilot, on the tiny models.

Every wait polls the app's state (`wait_for`); nothing asserts after a fixed sleep. Rendered text is
read from the widgets' `render()` (a rich Text) or, where the whole screen matters (the help screen),
from the screen's lines (`tui_support.screen_lines`, read from the app's SVG screenshot).
"""

from __future__ import annotations

import inspect
import threading
from pathlib import Path

import numpy as np
import pytest
from textual.app import App
from textual.containers import VerticalScroll
from textual.widgets import Input

from wordlens.core.analysis import AnalysisSettings
from wordlens.core.engine import Engine
from wordlens.core.errors import LoadError
from wordlens.tui.app import WordLensApp
from wordlens.tui.panes.attention import AttentionGrid, AttentionPane, AttentionPlaceholder, AttentionStatus
from wordlens.tui.panes.model_bar import ModelBar
from wordlens.tui.panes.static_neighbours import StaticNeighbours
from wordlens.tui.panes.token_strip import TokenStrip
from wordlens.tui.panes.word_comparison import WordComparison
from wordlens.tui.screens.help import HelpScreen

from tui_support import move_focus_to, move_target_to, screen_lines, shows, text_input, wait_for

pytestmark = pytest.mark.anyio

SIZE = (120, 36)
SENTENCE = "france is a country, it is in europe"  # every word is one token of the tiny vocabulary


@pytest.fixture
def anyio_backend():
    return "asyncio"


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


async def wait_for_text(pilot, app, text: str) -> None:
    await wait_for(pilot, lambda: shows(app, text), what=f"a complete analysis of {text!r}")


def plain(app, widget_type) -> str:
    return app.query_one(widget_type).render().plain


def analysis_workers_running(app) -> bool:
    return app.analysing


def tiny_loading_engine(tiny_vectors, tiny_model) -> Engine:
    """An engine that really goes through its loaders (on the app's loading threads)."""
    return Engine(lambda progress: tiny_vectors, lambda progress: tiny_model)


async def start_explore(pilot, app, text: str) -> None:
    """Wait for `text` to be analysed, then leave the sentence line for the attention grid."""
    await wait_for_text(pilot, app, text)
    await pilot.press("tab")
    assert isinstance(app.focused, AttentionGrid)


def strongest_target(context, layer: int, head: int, token: int) -> int:
    """Independently: the non-special token that `token` attends to most in one head."""
    row = np.array(context.attentions[layer, head, token], dtype=np.float64)
    row[np.asarray(context.special)] = -np.inf
    return int(np.argmax(row))


# ---------------------------------------------------------------------------------------------
# Typing: every pane follows the sentence
# ---------------------------------------------------------------------------------------------


async def test_typing_updates_every_pane(tiny_vectors, tiny_model, tiny_keyed_vectors):
    app = WordLensApp(tiny_loading_engine(tiny_vectors, tiny_model), text="")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "")
        await pilot.press(*"the queen")
        await wait_for_text(pilot, app, "the queen")
        analysis = app.view.analysis
        assert [w.text for w in analysis.words] == ["the", "queen"]

        # the token strip shows the model's tokens of the new text
        tokens = tiny_model.encode("the queen").tokens
        assert tokens == ("[CLS]", "the", "queen", "[SEP]")
        assert analysis.context.tokens == tokens
        assert " ".join(tokens) in plain(app, TokenStrip)

        # the focus is on the word just typed, and the static pane lists its neighbours, in order
        assert app.view.focused_word == 1
        static_text = plain(app, StaticNeighbours)
        lines = static_text.splitlines()
        assert lines[0].split()[0] == "queen"
        expected = tiny_keyed_vectors.most_similar("queen", topn=AnalysisSettings().topn)  # gensim's answer
        assert len(expected) == 10
        # as many as fit above the transformer's own neighbours, at least five, in gensim's order
        shown = [line.split() for line in lines[1 : 1 + len(expected)]]
        shown = shown[: shown.index([])] if [] in shown else shown
        assert len(shown) >= 5
        assert [fields[0] for fields in shown] == [word for word, _ in expected[: len(shown)]]
        assert [fields[1] for fields in shown] == [f"{cosine:.2f}" for _, cosine in expected[: len(shown)]]
        assert "the" in static_text.split("every word")[1]  # the line for every word of the sentence

        # the comparison pane puts the static cosine of queen and "the" beside its attention
        comparison = plain(app, WordComparison)
        assert comparison.splitlines()[0].startswith("queen")
        cosine = tiny_keyed_vectors.similarity("queen", "the")
        assert any(line.split()[:2] == ["the", f"{cosine:.2f}"] for line in comparison.splitlines())

        # the attention pane shows the grid of the new tokens, named by layer and head
        pane = app.query_one(AttentionPane)
        assert app.query_one(AttentionGrid).display and not app.query_one(AttentionPlaceholder).display
        assert "layer 1" in str(pane.border_title) and "head 1" in str(pane.border_title)
        assert "queen →" in plain(app, AttentionStatus)

        # the header names both loaded sources
        header = plain(app, ModelBar)
        assert tiny_vectors.info.name in header and tiny_model.info.name in header
        assert "loading" not in header

        # typing on: the panes follow again
        await pilot.press(*" walks")
        await wait_for_text(pilot, app, "the queen walks")
        assert "[CLS] the queen walk ##s [SEP]" in plain(app, TokenStrip)
        assert app.view.focused_word == 2
        assert plain(app, StaticNeighbours).splitlines()[0].startswith("walks")


class GatedEngine(Engine):
    """Analyses of one text wait for the test's go, and then ignore cancellation: a stale result."""

    def __init__(self, vectors, model, gated_text: str) -> None:
        super().__init__(lambda progress: vectors, lambda progress: model)
        self.gated_text = gated_text
        self.started, self.go, self.finished = threading.Event(), threading.Event(), threading.Event()

    def analyze(self, text, settings=AnalysisSettings(), is_cancelled=lambda: False):
        if text != self.gated_text:
            return super().analyze(text, settings, is_cancelled)
        self.started.set()
        self.go.wait(timeout=30)
        try:
            return super().analyze(text, settings)
        finally:
            self.finished.set()


class RecordingApp(WordLensApp):
    """WordLensApp that also records every AnalysisReady it receives (its own handler still runs)."""

    # Textual resolves a relative CSS_PATH next to the subclass's module: point at the app's own file.
    CSS_PATH = Path(inspect.getfile(WordLensApp)).with_name(WordLensApp.CSS_PATH)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.delivered: list[str] = []

    def on_analysis_ready(self, message) -> None:
        self.delivered.append(message.analysis.text)


async def test_a_stale_result_arriving_late_is_dropped(tiny_vectors, tiny_model):
    engine = GatedEngine(tiny_vectors, tiny_model, gated_text="the q")
    app = RecordingApp(engine, text="")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_text(pilot, app, "")
            await pilot.press(*"the q")
            await wait_for(pilot, engine.started.is_set, what="the analysis of 'the q' to start")
            await pilot.press(*"ueen")  # typed while "the q" is still being analysed
            shown: list[str] = []
            app.watch(app, "view", lambda view: shown.append(view.analysis.text if view.analysis else None))
            engine.go.set()  # the result of "the q" now arrives, after the text moved on
            await wait_for(pilot, lambda: "the q" in app.delivered, what="the stale result to be delivered")
            await wait_for_text(pilot, app, "the queen")
            await pilot.pause()
            assert "the q" not in shown, "a stale result was put on screen"
            assert app.view.analysis.text == "the queen" == text_input(app).value
            assert "[CLS] the queen [SEP]" in plain(app, TokenStrip)
            assert plain(app, StaticNeighbours).splitlines()[0].startswith("queen")
    finally:
        engine.go.set()


async def test_typing_fast_ends_on_the_final_text(tiny_vectors, tiny_model):
    app = WordLensApp(tiny_loading_engine(tiny_vectors, tiny_model), text="")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "")
        final = "the queen walks quickly"
        await pilot.press(*final)
        assert text_input(app).value == final
        await wait_for_text(pilot, app, final)
        await wait_for(pilot, lambda: not analysis_workers_running(app), what="analysis workers to finish")
        await pilot.pause()
        assert app.view.analysis.text == final == text_input(app).value
        assert [w.text for w in app.view.analysis.words] == final.split()
        assert app.view.analysis.context.tokens == tiny_model.encode(final).tokens


async def test_focus_follows_the_text_cursor(tiny_engine):
    app = WordLensApp(tiny_engine, text="")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "")
        await pilot.press(*"the queen")
        await wait_for_text(pilot, app, "the queen")
        context = app.view.analysis.context
        assert (app.view.focus, app.view.focused_word) == (2, 1)  # [CLS] the >queen< [SEP]
        assert app.view.target == strongest_target(context, 0, 0, 2)

        await pilot.press(*" walks")
        await wait_for_text(pilot, app, "the queen walks")
        assert (app.view.focus, app.view.focused_word) == (4, 2)  # ... walk >##s< [SEP]

        # moving the text cursor moves the focus: the token before the cursor is focused
        await pilot.press("left", "left", "left")  # "the queen wa|lks": inside "walk"
        assert text_input(app).cursor_position == 12
        await wait_for(pilot, lambda: app.view.focus == 3, what="focus on 'walk'")
        assert app.view.focused_word == 2
        assert app.view.target == strongest_target(app.view.analysis.context, 0, 0, 3)
        await pilot.press("home", "right")  # "t|he queen walks"
        await wait_for(pilot, lambda: app.view.focus == 1, what="focus on 'the'")
        assert app.view.focused_word == 0
        assert app.view.target == strongest_target(app.view.analysis.context, 0, 0, 1)
        assert plain(app, StaticNeighbours).splitlines()[0].startswith("the")


async def test_initial_text_is_extended_not_replaced_by_typing(tiny_engine):
    """`wordlens --text T` opens with T "already typed": typing goes on after it."""
    app = WordLensApp(tiny_engine, text="the queen")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "the queen")
        await pilot.press(*" walks")
        assert text_input(app).value == "the queen walks"


async def test_coming_back_to_the_sentence_keeps_it(tiny_engine):
    app = WordLensApp(tiny_engine, text="")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "")
        await pilot.press(*"the queen")
        await start_explore(pilot, app, "the queen")
        await pilot.press("e")  # back to editing
        assert isinstance(app.focused, Input)
        await pilot.press("s")
        assert text_input(app).value == "the queens"


# ---------------------------------------------------------------------------------------------
# Exploring: focus, target, layer, head
# ---------------------------------------------------------------------------------------------


async def test_tab_enter_escape_and_e_move_between_sentence_and_panes(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, SENTENCE)
        assert isinstance(app.focused, Input)
        await pilot.press("tab")
        assert isinstance(app.focused, AttentionGrid)
        await pilot.press("tab")
        assert app.focused.id == "static"
        await pilot.press("tab")
        assert app.focused.id == "comparison"
        await pilot.press("tab")
        assert isinstance(app.focused, Input)
        await pilot.press("shift+tab")
        assert app.focused.id == "comparison"
        await pilot.press("e")
        assert isinstance(app.focused, Input)
        await pilot.press("enter")
        assert isinstance(app.focused, AttentionGrid)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press("escape")
        assert isinstance(app.focused, AttentionGrid)
        assert text_input(app).value == SENTENCE  # none of those keys was typed


async def test_arrows_move_focus_and_target(tiny_engine):
    text = "it is france"
    app = WordLensApp(tiny_engine, text=text)
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, text)
        context = app.view.analysis.context
        assert context.tokens == ("[CLS]", "it", "is", "france", "[SEP]")
        assert app.view.focus == 3  # the cursor was after "france"

        await pilot.press("down", "down")
        assert app.view.focus == 4  # clamped at the last token
        await pilot.press("up", "up", "k")
        assert app.view.focus == 1
        await pilot.press("up", "up")
        assert app.view.focus == 0  # clamped at the first token
        await pilot.press("j")
        assert app.view.focus == 1

        await pilot.press("home")
        assert app.view.target == 0
        await pilot.press("left")
        assert app.view.target == 0  # clamped at the first token
        await pilot.press("right", "right", "l")
        assert app.view.target == 3
        await pilot.press("left", "h")
        assert app.view.target == 1
        await pilot.press("end")
        assert app.view.target == 4
        await pilot.press("right")
        assert app.view.target == 4  # clamped at the last token

        # the status line under the grid gives the exact weight under the cursor
        await move_target_to(pilot, app, 3)
        weight = context.attentions[0, 0, 1, 3]
        assert f"it → france {weight:.3f}" in plain(app, AttentionStatus)
        assert app.view.analysis.context is context  # nothing recomputed


async def test_layer_and_head_keys_wrap_and_the_title_follows(tiny_engine, tiny_model):
    assert (tiny_model.info.layers, tiny_model.info.heads) == (2, 4)
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, SENTENCE)
        pane = app.query_one(AttentionPane)
        context = app.view.analysis.context

        def title_names(layer: int, head: int) -> bool:
            title = str(pane.border_title)
            return f"layer {layer + 1}" in title and f"head {head + 1}" in title  # named from 1

        assert (app.view.layer, app.view.head) == (0, 0) and title_names(0, 0)
        steps = [
            ("right_square_bracket", 1, 0),
            ("right_square_bracket", 0, 0),  # wraps past the last layer
            ("left_square_bracket", 1, 0),  # and back past the first
            ("full_stop", 1, 1),
            ("full_stop", 1, 2),
            ("full_stop", 1, 3),
            ("full_stop", 1, 0),  # wraps past the last head
            ("comma", 1, 3),  # and back past the first
            ("comma", 1, 2),
        ]
        for key, layer, head in steps:
            await pilot.press(key)
            assert (app.view.layer, app.view.head) == (layer, head), key
            assert title_names(layer, head), (key, pane.border_title)

        # the grid and its status now show that layer and head's weights
        focus, target = app.view.focus, app.view.target
        expected = context.attentions[1, 2, focus, target]
        assert f"{context.tokens[focus]} → {context.tokens[target]} {expected:.3f}" in plain(app, AttentionStatus)
        assert "L2 H3" in plain(app, WordComparison)
        assert app.view.analysis.context is context  # moves never recompute


async def test_explore_keys_are_typed_in_the_sentence(tiny_engine):
    app = WordLensApp(tiny_engine, text="")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "")
        await pilot.press(*"queen", "right_square_bracket", "full_stop", "comma", "b", "e", "question_mark")
        assert text_input(app).value == "queen].,be?"
        assert (app.view.layer, app.view.head) == (0, 0)
        assert isinstance(app.focused, Input) and not isinstance(app.screen, HelpScreen)
        await wait_for_text(pilot, app, "queen].,be?")


def strongest_layer_head(context, from_tokens: list[int], to_tokens: list[int]) -> tuple[int, int, float]:
    """Independently: the (layer, head) where the pieces of one word give another word most weight.

    From a word: the mean over its pieces' rows; to a word: the sum over its pieces' columns.
    """
    attentions = np.asarray(context.attentions, dtype=np.float64)  # (L, H, T, T)
    weights = attentions[:, :, from_tokens, :][:, :, :, to_tokens].sum(axis=-1).mean(axis=-1)  # (L, H)
    layer, head = np.unravel_index(int(np.argmax(weights)), weights.shape)
    return int(layer), int(head), float(weights[layer, head])


@pytest.mark.parametrize(
    "text, from_tokens, to_tokens, focus, target",
    [
        # [CLS] france is a country , it is in europe [SEP]: it -> france
        (SENTENCE, [6], [1], 6, 1),
        # [CLS] the queen walk ##s quick ##ly [SEP]: walks -> quickly, focused on a later piece
        ("the queen walks quickly", [3, 4], [5, 6], 4, 5),
    ],
)
async def test_b_jumps_to_the_head_where_the_focused_word_attends_most_to_the_target(
    tiny_engine, text, from_tokens, to_tokens, focus, target
):
    app = WordLensApp(tiny_engine, text=text)
    notes: list[str] = []
    original_notify = app.notify

    def notify(message, *args, **kwargs):
        notes.append(str(message))
        return original_notify(message, *args, **kwargs)

    app.notify = notify
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, text)
        context = app.view.analysis.context
        await move_focus_to(pilot, app, focus)
        await move_target_to(pilot, app, target)
        layer, head, weight = strongest_layer_head(context, from_tokens, to_tokens)
        if (app.view.layer, app.view.head) == (layer, head):
            await pilot.press("full_stop")  # start elsewhere, so the jump is seen
        assert (app.view.layer, app.view.head) != (layer, head)

        await pilot.press("b")
        assert (app.view.layer, app.view.head) == (layer, head)
        assert (app.view.focus, app.view.target) == (focus, target)  # the cursor stays put
        title = str(app.query_one(AttentionPane).border_title)
        assert f"layer {layer + 1}" in title and f"head {head + 1}" in title  # named from 1
        assert any(f"{weight:.2f}" in note and f"layer {layer + 1}, head {head + 1}" in note for note in notes)


async def test_b_on_a_special_token_warns_and_changes_nothing(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    warnings: list[str] = []
    original_notify = app.notify

    def notify(message, *args, **kwargs):
        warnings.append(kwargs.get("severity", "information"))
        return original_notify(message, *args, **kwargs)

    app.notify = notify
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, SENTENCE)
        await pilot.press("right_square_bracket", "full_stop")
        await move_focus_to(pilot, app, 0)  # [CLS]
        await pilot.press("b")
        assert (app.view.layer, app.view.head) == (1, 1)
        assert warnings == ["warning"]
        assert app.return_code is None


# ---------------------------------------------------------------------------------------------
# Help and quitting
# ---------------------------------------------------------------------------------------------


async def test_question_mark_opens_the_help_listing_the_keys_and_escape_closes_it(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, SENTENCE)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help screen")
        await pilot.pause()
        screen = "\n".join(screen_lines(app))
        for shown in ["previous / next layer", "previous / next head", "best"]:
            assert shown in screen, f"{shown!r} is not on the help screen:\n{screen}"
        app.screen.query_one(VerticalScroll).scroll_end(animate=False)  # the list is longer than the screen
        await pilot.pause()
        screen = "\n".join(screen_lines(app))
        for shown in ["this help", "quit"]:
            assert shown in screen, f"{shown!r} is not on the help screen:\n{screen}"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), what="the help to close")
        assert isinstance(app.focused, AttentionGrid)
        assert app.return_code is None


async def test_q_quits_outside_the_sentence(tiny_engine):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=SIZE) as pilot:
        await start_explore(pilot, app, SENTENCE)
        assert app.return_code is None
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None, what="the app to quit")
    assert app.return_code == 0


async def test_q_in_the_sentence_types_the_letter(tiny_engine):
    app = WordLensApp(tiny_engine, text="")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "")
        await pilot.press(*"the q")
        assert text_input(app).value == "the q"
        await wait_for_text(pilot, app, "the q")
        assert app.return_code is None and app.is_running


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


async def test_first_frame_shows_loading_then_the_panes_fill(tiny_vectors, tiny_model):
    release_vectors, release_model = threading.Event(), threading.Event()

    def load_vectors(progress):
        progress("reading the word list", 0.3)
        release_vectors.wait(timeout=30)
        return tiny_vectors

    def load_model(progress):
        progress("importing torch", 0.25)
        release_model.wait(timeout=30)
        return tiny_model

    app = WordLensApp(Engine(load_vectors, load_model), text="the queen")
    try:
        async with app.run_test(size=SIZE) as pilot:
            # the first frame: nothing loaded, every pane says so
            assert app.view.analysis is None or app.view.analysis.static is None
            assert "Loading" in plain(app, StaticNeighbours)
            assert "Loading" in plain(app, AttentionPlaceholder)
            assert "Loading" in plain(app, WordComparison)
            assert "loading" in plain(app, ModelBar)
            assert app.query_one(AttentionPlaceholder).display
            # the loaders' progress reaches the panes
            await wait_for(pilot, lambda: "reading the word list" in plain(app, StaticNeighbours),
                           what="vectors progress")
            await wait_for(pilot, lambda: "importing torch" in plain(app, AttentionPlaceholder),
                           what="model progress")
            assert "30%" in plain(app, StaticNeighbours) and "25%" in plain(app, AttentionPlaceholder)
            header = plain(app, ModelBar)
            assert header.count("loading") == 2 and "30%" in header and "25%" in header

            # the vectors arrive first: the static side fills, the attention side still loads
            release_vectors.set()
            await wait_for(pilot, lambda: app.view.analysis is not None and app.view.analysis.static is not None,
                           what="the static part")
            await pilot.pause()
            assert plain(app, StaticNeighbours).splitlines()[0].startswith("queen")
            assert "words  the queen" in plain(app, TokenStrip)  # words, until the tokenizer is there
            assert "Loading" in plain(app, AttentionPlaceholder)
            header = plain(app, ModelBar)
            assert tiny_vectors.info.name in header and header.count("loading") == 1

            # then the model: everything fills
            release_model.set()
            await wait_for_text(pilot, app, "the queen")
            await pilot.pause()
            assert "[CLS] the queen [SEP]" in plain(app, TokenStrip)
            assert app.query_one(AttentionGrid).display and not app.query_one(AttentionPlaceholder).display
            assert "Loading" not in plain(app, WordComparison)
            assert plain(app, WordComparison).startswith("queen")
            header = plain(app, ModelBar)
            assert "loading" not in header and tiny_model.info.name in header
            assert app.view.focused_word == 1
    finally:
        release_vectors.set()
        release_model.set()


def record_exit(app: App) -> list[dict]:
    """Record the arguments of every app.exit(...) call (the app still exits)."""
    calls: list[dict] = []
    original_exit = app.exit

    def exit(*args, **kwargs):
        calls.append(inspect.signature(original_exit).bind(*args, **kwargs).arguments)
        return original_exit(*args, **kwargs)

    app.exit = exit
    return calls


@pytest.mark.parametrize("failing", ["vectors", "model"])
@pytest.mark.parametrize(
    "error, message",
    [
        (LoadError("vectors file not found: /no/such/file.txt"), "vectors file not found: /no/such/file.txt"),
        (RuntimeError("the disk is on fire\nsecond line"), "RuntimeError: the disk is on fire"),
    ],
)
async def test_a_failing_loader_exits_with_code_2_and_the_message(tiny_vectors, tiny_model, failing, error, message):
    def fail(progress):
        raise error

    engine = Engine(
        fail if failing == "vectors" else (lambda progress: tiny_vectors),
        fail if failing == "model" else (lambda progress: tiny_model),
    )
    app = WordLensApp(engine, text="the queen")
    exits = record_exit(app)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.return_code is not None, what="the app to exit")
    assert app.return_code == 2
    assert len(exits) == 1
    shown = str(exits[0].get("message"))
    assert shown.startswith("wordlens: error:") and message in shown
    assert "\n" not in shown.strip() and "Traceback" not in shown


# ---------------------------------------------------------------------------------------------
# Edge cases of the sentence
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   "])
async def test_an_empty_sentence_shows_a_hint(tiny_engine, text):
    app = WordLensApp(tiny_engine, text=text)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, text)
        await pilot.pause()
        assert app.view.analysis.words == ()
        assert "Type a sentence" in plain(app, StaticNeighbours)
        assert "Type a sentence" in plain(app, WordComparison)
        assert "appear here as you type" in plain(app, TokenStrip)
        # exploring keys on an empty sentence do nothing harmful
        await pilot.press("tab", "down", "right", "right_square_bracket", "full_stop", "b", "e")
        assert app.return_code is None


async def test_deleting_the_whole_sentence_goes_back_to_the_hint(tiny_engine):
    app = WordLensApp(tiny_engine, text="")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "")
        await pilot.press(*"queen")
        await wait_for_text(pilot, app, "queen")
        await pilot.press(*["backspace"] * 5)
        await wait_for_text(pilot, app, "")
        await pilot.pause()
        assert "Type a sentence" in plain(app, StaticNeighbours)
        assert "Type a sentence" in plain(app, WordComparison)
        assert "appear here as you type" in plain(app, TokenStrip)
        assert app.return_code is None


async def test_out_of_vocabulary_words_are_marked_in_the_static_pane(tiny_engine, tiny_vectors):
    text = "the zebra queen"
    assert tiny_vectors.key_for("zebra") is None
    app = WordLensApp(tiny_engine, text="")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "")
        await pilot.press(*"the zebra")
        await wait_for_text(pilot, app, "the zebra")
        # focused: the out-of-vocabulary word says so, and lists no neighbours
        static_text = plain(app, StaticNeighbours)
        first_line = static_text.splitlines()[0]
        assert first_line.startswith("zebra") and "not in the vocabulary" in first_line
        assert tiny_vectors.info.name in first_line

        await pilot.press(*" queen")
        await wait_for_text(pilot, app, text)
        # not focused: its line among every word of the sentence is marked, the others are not
        every_word = plain(app, StaticNeighbours).split("every word")[1].splitlines()[1:]
        marks = {line.split()[0].lstrip("▶"): "not in vocabulary" in line for line in every_word}
        assert marks == {"the": False, "zebra": True, "queen": False}
        # the comparison pane has no cosine for it
        comparison_rows = {line.split()[0]: line for line in plain(app, WordComparison).splitlines()[2:]}
        assert "oov" in comparison_rows["zebra"] and "oov" not in comparison_rows["the"]


async def test_a_sentence_longer_than_the_line_scrolls_to_the_cursor(tiny_engine):
    app = WordLensApp(tiny_engine, text="")
    async with app.run_test(size=(60, 24)) as pilot:
        await wait_for_text(pilot, app, "")
        words = "the queen walks quickly in paris " * 3 + "europe"
        await pilot.press(*(character if character != " " else "space" for character in words))
        line = text_input(app).render_line(0).text
        assert line.rstrip().endswith("europe")
        await pilot.press("home")
        assert text_input(app).render_line(0).text.startswith("the queen walks")


def key_event(key: str):
    """A Key event as the terminal driver makes it ("backspace" comes with DEL as its character)."""
    from textual import events

    characters = {"backspace": "\x7f", "left": None, "home": None, "end": None, "space": " "}
    return events.Key(key, characters.get(key, key))


async def test_editing_keys_sent_back_to_back_apply_in_the_order_typed(tiny_engine):
    # As a fast typist, a key macro or a loaded machine sends them: all queued before any is handled.
    # (Textual runs Input's own bindings only once the key bubbled up to the App: without the
    # SentenceInput fix, "c" went in before the backspace and "ab⌫c" ended as "ac" minus "c".)
    app = WordLensApp(tiny_engine, text="")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "")
        keys = [*"the", "backspace", "backspace", *"he qen", "home", "end", "left", "left", *"ue", "end",
                *"xy", "backspace", "backspace"]
        for key in keys:
            app.post_message(key_event(key))
        await wait_for_text(pilot, app, "the queen")


async def test_the_token_strip_grows_to_show_every_token_of_a_long_paste(tiny_engine):
    from textual import events

    app = WordLensApp(tiny_engine, text="")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "")
        text = "the queen walks in paris, " * 5 + "europe"  # in one go: the strip's height changes once
        text_input(app).post_message(events.Paste(text))
        await wait_for_text(pilot, app, text)
        await pilot.pause()
        strip = app.query_one(TokenStrip)
        shown = "\n".join(screen_lines(app)[strip.region.y:strip.region.bottom])
        assert strip.region.height == 2
        assert "europe [SEP]" in shown, shown
