"""The wordlens explorer: the App owns the view state; panes render it; threads do the heavy work.

Data flow: keystroke -> Input.Changed -> debounce -> the analyser thread (newest text only) ->
Engine.analyze -> AnalysisReady message -> the App swaps in a new ViewState -> every pane re-renders.
Focus, layer and head moves only replace the ViewState: nothing is recomputed, except the focused
token's reading (input-table and in-context neighbours), which a second thread answers.
"""

from __future__ import annotations

import gc
from pathlib import Path
from threading import Thread

import numpy as np
from rich.markup import escape
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Input

from wordlens.core.analysis import Analysis, AnalysisSettings
from wordlens.core.engine import Engine
from wordlens.core.errors import Cancelled, WordlensError, first_line
from wordlens.core.measures.attention_views import AGGREGATES, head_metrics, is_punctuation, rank_heads, rollout
from wordlens.core.progress import Progress
from wordlens.core.reports.export import export_view, free_stem, write_export
from wordlens.core.text import clean_text
from wordlens.core.transformer.context_model import ContextModel
from wordlens.tui.keys import ActionCommands, with_binding_ids
from wordlens.tui.panes.attention import AttentionGrid, AttentionPane
from wordlens.tui.panes.model_bar import ModelBar
from wordlens.tui.panes.sentence_input import SentenceInput
from wordlens.tui.panes.static_neighbours import StaticNeighbours
from wordlens.tui.panes.token_strip import TokenStrip
from wordlens.tui.panes.word_comparison import WordComparison
from wordlens.tui.screens.compare import CompareScreen
from wordlens.tui.screens.head_tables import CorrelationScreen, MetricsScreen, ReferentScreen
from wordlens.tui.screens.help import HelpScreen
from wordlens.tui.screens.open_models import Component, OpenRequest, OpenScreen
from wordlens.tui.screens.overview import OverviewScreen
from wordlens.tui.screens.query import QueryScreen
from wordlens.tui.services.idle_collector import IdleCollector
from wordlens.tui.services.latest_only import LatestOnly
from wordlens.tui.state import (
    Loading,
    MapState,
    TokenReading,
    ViewState,
    attention_view,
    read_token,
    strongest_heads_from,
)
from wordlens.tui.terminal import CONTROL_CHARACTERS, has_control_characters

# Long enough to merge a paste or key auto-repeat into one analysis, short enough not to feel.
DEBOUNCE_SECONDS = 0.015


class LoadProgress(Message):
    def __init__(self, component: Component, stage: str, fraction: float) -> None:
        super().__init__()
        self.component, self.stage, self.fraction = component, stage, fraction


class Loaded(Message):
    def __init__(self, component: Component, summary: str) -> None:
        super().__init__()
        self.component, self.summary = component, summary


class LoadFailed(Message):
    def __init__(self, component: Component, error: str) -> None:
        super().__init__()
        self.component, self.error = component, error


class OpenProgress(LoadProgress):
    """Progress of opening another model while the current one stays in use."""


class Opened(Loaded):
    pass


class OpenFailed(LoadFailed):
    pass


class MapChanged(Message):
    """The map into static space was found on disk, made progress, was fitted or failed."""

    def __init__(self, state: MapState) -> None:
        super().__init__()
        self.state = state


class TokenRead(Message):
    def __init__(self, reading: TokenReading) -> None:
        super().__init__()
        self.reading = reading


class AnalysisReady(Message):
    def __init__(self, analysis: Analysis, reading: tuple[tuple, TokenReading] | None = None) -> None:
        super().__init__()
        self.analysis = analysis
        self.reading = reading  # (question, answer): the focused token's reading, if it was foreseen


class AnalysisFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


def _parts(analysis: Analysis | None) -> int:
    if analysis is None:
        return -1
    return (analysis.static is not None) + (analysis.context is not None)


LAYER_KEYS = Binding.Group("layer")
HEAD_KEYS = Binding.Group("head")


@with_binding_ids
class WordLensApp(App[None]):
    CSS_PATH = "wordlens.tcss"
    TITLE = "wordlens"
    COMMANDS = App.COMMANDS | {ActionCommands}
    BINDINGS = [
        Binding("tab", "cycle_focus(1)", "next pane", priority=True),
        Binding("ctrl+q", "quit", "quit", priority=True),
        Binding("f1", "help", "help", priority=True),
        Binding("shift+tab", "cycle_focus(-1)", "previous pane", show=False, priority=True),
        Binding("escape", "explore", "explore", show=False),
        Binding("e,slash", "edit", "edit", show=False),
        Binding("left_square_bracket", "layer(-1)", "layer-", key_display="[", group=LAYER_KEYS),
        Binding("right_square_bracket", "layer(1)", "layer+", key_display="]", group=LAYER_KEYS),
        Binding("comma", "head(-1)", "head-", key_display=",", group=HEAD_KEYS),
        Binding("full_stop", "head(1)", "head+", key_display=".", group=HEAD_KEYS),
        Binding("b", "best_head", "best head"),
        Binding("a", "cycle_aggregate", "view"),
        Binding("w", "toggle('words')", "words", show=False),
        Binding("s", "toggle('hide_special')", "specials", show=False),
        Binding("d", "toggle('dense')", "dense", show=False),
        Binding("o", "overview", "overview", show=False),
        Binding("m", "metrics", "metrics", show=False),
        Binding("r", "referents", "referents", show=False),
        Binding("colon", "query", "query", key_display=":"),
        Binding("c", "compare", "compare"),
        Binding("t", "correlation", "static~attn", show=False),
        Binding("g", "fit_map", "in GloVe terms", show=False),
        Binding("ctrl+o", "open_models", "open models", show=False),
        Binding("ctrl+s", "save_screen", "save screenshot", show=False, priority=True),
        Binding("x", "export", "export", show=False),
        Binding("question_mark", "help", "help", key_display="?", show=False),
        Binding("q", "quit", "quit", show=False),
    ]
    # Keys the sentence line types instead of acting on: hidden from the footer while typing.
    EXPLORE_ONLY_ACTIONS = {
        "edit", "layer", "head", "best_head", "cycle_aggregate", "toggle", "overview", "metrics", "referents",
        "query", "compare", "correlation", "fit_map",
        "export",
    }

    view: reactive[ViewState] = reactive(ViewState)
    # Only the static pane reads these: kept out of the view so they repaint that pane alone.
    glove_map: reactive[MapState] = reactive(MapState)
    reading: reactive[TokenReading | None] = reactive(None)

    def __init__(self, engine: Engine, text: str = "", settings: AnalysisSettings | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.settings = settings or AnalysisSettings()
        self._initial_text = clean_text(text)
        self._debounce: Timer | None = None
        self._analyser = LatestOnly("analyse", self._analyze_in_thread)
        self._focus_follows_cursor = True
        self._query_history: list[str] = []
        self._vocabulary_has_controls = False
        self._exiting = False
        self._needed_widgets: tuple[Widget, ...] = ()  # what handlers touch: gone when quitting
        self._reading_asked: tuple | None = None
        self._reader = LatestOnly("read token", self._read_token)
        self._opening: dict[Component, str | None] = {}  # models being opened to replace the current ones
        self._collector = IdleCollector(self)

    # ---- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield ModelBar().data_bind(WordLensApp.view)
        with Vertical(id="sentence"):
            yield SentenceInput(
                value=self._initial_text,
                placeholder="Type a sentence, e.g. France is a country, it is in Europe",
                compact=True,
                select_on_focus=False,
                id="text",
            )
            yield TokenStrip().data_bind(WordLensApp.view)
        with Container(id="panes"):
            with VerticalScroll(id="static"):
                yield StaticNeighbours().data_bind(WordLensApp.view, WordLensApp.glove_map, WordLensApp.reading)
            yield AttentionPane(id="attention").data_bind(WordLensApp.view)
            with VerticalScroll(id="comparison"):
                yield WordComparison().data_bind(WordLensApp.view)
        yield Footer()

    def on_mount(self) -> None:
        self._collector.start()
        self._needed_widgets = (self.query_one(ModelBar), self.query_one("#text", Input))
        self.query_one("#sentence").border_title = "sentence"
        self.query_one("#static").border_title = "static neighbours"
        self.query_one("#comparison").border_title = "static cosine vs attention"
        # Loading imports torch and gensim, which hold the GIL for seconds: paint first.
        self.call_after_refresh(self._start_loading)
        text_input = self.query_one("#text", Input)
        self.watch(text_input, "selection", self._on_text_cursor_moved, init=False)
        text_input.focus()
        self._analyze_now()

    # ---- loading models -----------------------------------------------------------------
    def _start_loading(self) -> None:
        self._load("model")
        self._load("vectors")

    def _load(self, component: Component) -> None:
        # A daemon thread, not a worker: quitting while torch is still importing must not wait
        # for it (workers run in the event loop's executor, which is joined at exit).
        Thread(target=self._load_in_thread, args=(component,), name=f"load {component}", daemon=True).start()

    def _load_in_thread(self, component: Component) -> None:
        def load(report: Progress) -> None:
            if component == "vectors":
                self.engine.load_vectors(report)
            else:
                _ready_for_reading(self.engine.load_model(report))

        self._load_and_report(component, load, LoadProgress, Loaded, LoadFailed)

    def _load_and_report(self, component: Component, load, progress: type[LoadProgress], done: type[Loaded],
                         failed: type[LoadFailed]) -> None:
        """In a loader thread: run `load(report)` and post its progress, then done or failed."""
        try:
            load(lambda stage, fraction: self.post_message(progress(component, stage, fraction)))
            summary = self._summary_of_loaded(component)
        except WordlensError as error:
            self.post_message(failed(component, str(error)))
        except Exception as error:  # anything a third-party loader raises ends here, readable
            self.post_message(failed(component, f"{type(error).__name__}: {first_line(error)}"))
        else:
            self.post_message(done(component, summary))

    def _summary_of_loaded(self, component: Component) -> str:
        """The header's words for the loaded model; notes a vocabulary holding control characters."""
        if component == "vectors":
            info = self.engine.vectors.info
            summary = f"{info.name}, {info.size:,} words"
            vocabulary = self.engine.vectors.words
        else:
            info = self.engine.model.info
            summary = f"{info.name}, {info.layers} layers × {info.heads} heads"
            vocabulary = self.engine.model.vocabulary().keys()
        if has_control_characters(vocabulary):  # words a terminal would obey: filter every line drawn
            self._vocabulary_has_controls = True
        return summary

    def on_unmount(self) -> None:
        self._collector.stop()

    def exit(self, result: None = None, return_code: int = 0, message: str | None = None) -> None:
        self._exiting = True
        super().exit(result, return_code=return_code, message=message)

    def _closing_down(self) -> bool:
        """Quitting: the widgets are going, yet a loader or an analysis may still report.
        (A flag, not a DOM query: querying the whole app for two widgets on every message
        added ~150 ms to the slowest 5% of keystrokes.)"""
        return self._exiting or not all(widget.is_attached for widget in self._needed_widgets)

    def on_load_progress(self, message: LoadProgress) -> None:
        loading = Loading(message.component, message.stage, message.fraction)
        self.view = self.view.with_(**{message.component: loading})

    def on_loaded(self, message: Loaded) -> None:
        if self._closing_down():
            return
        # The loaded models' objects live as long as the app: a full collection walking them took
        # 100-150 ms of the UI thread every ~10 keystrokes (the slowest 10% of edits). Frozen,
        # collections look only at what is made afterwards.
        gc.freeze()
        bar = self.query_one(ModelBar)
        setattr(bar, f"{message.component}_summary", message.summary)
        done = Loading(message.component, "ready", 1.0, done=True)
        self.view = self.view.with_(**{message.component: done})
        self._analyze_now()
        if self.view.vectors.done and self.view.model.done:
            self._start_map(cached_only=True)

    # ---- what the transformer makes of the focused token (off the UI thread) --------------
    def watch_view(self, view: ViewState) -> None:
        asked = self._reading_question(view)
        if asked is not None and (self._reading_asked is None or not _same_reading_question(asked, self._reading_asked)):
            self._reading_asked = asked
            self._reader.submit(asked)

    def _reading_question(self, view: ViewState) -> tuple | None:
        """What the reading of the view's focused token depends on; None when it has none."""
        context = view.analysis.context if view.analysis else None
        if context is None or self.engine.model is None or not 0 <= view.focus < len(context.tokens):
            return None
        if context.special[view.focus]:
            return None
        static_map = self.glove_map.static_map if self.glove_map.status == "ready" else None
        return (view.analysis, view.focus, view.layer, static_map)

    def _answer_reading(self, asked: tuple) -> TokenReading:
        analysis, token, layer, static_map = asked
        try:
            return read_token(self.engine.model, self.engine.vectors, static_map, analysis, token, layer)
        except Exception as error:  # a reading is an extra: say why it is missing, keep going
            return TokenReading(analysis, token, layer, f"{type(error).__name__}: {first_line(error)}", None)

    def _read_token(self, asked: tuple) -> None:
        """In the reader thread: only the newest question is answered."""
        self.post_message(TokenRead(self._answer_reading(asked)))

    def on_token_read(self, message: TokenRead) -> None:
        if message.reading.is_for(self.view):
            self.reading = message.reading

    # ---- the map from the model's layers into the static space ----------------------------
    def action_fit_map(self) -> None:
        state = self.glove_map
        if state.status == "ready":
            self.notify("The map into the static space is fitted: the static pane reads the focused token with it.")
        elif not (self.view.vectors.done and self.view.model.done):
            self.notify("Both models must be loaded first.", severity="warning")
        elif state.status != "fitting":
            self._start_map(cached_only=False)

    def _start_map(self, cached_only: bool) -> None:
        if not cached_only:
            self.glove_map = MapState("fitting", "starting", 0.0)
        # a daemon thread: fitting takes tens of seconds and quitting must not wait for it
        Thread(target=self._map_in_thread, args=(cached_only,), name="fit map", daemon=True).start()

    def _map_in_thread(self, cached_only: bool) -> None:
        def report(stage: str, fraction: float) -> None:
            self.post_message(MapChanged(MapState("fitting", stage, fraction)))

        try:
            fitted = self.engine.static_map(report, cached_only=cached_only)
        except WordlensError as error:
            self.post_message(MapChanged(MapState("failed", error=f"no map into the static space: {error}")))
        except Exception as error:
            self.post_message(MapChanged(MapState("failed", error=f"{type(error).__name__}: {first_line(error)}")))
        else:
            if fitted is not None:
                self.post_message(MapChanged(MapState("ready", "ready", 1.0, static_map=fitted)))

    def on_map_changed(self, message: MapChanged) -> None:
        if self.glove_map.status == "ready":
            return  # a late progress report
        self.glove_map = message.state
        self.watch_view(self.view)  # a fitted map: read the focused token with it

    def on_load_failed(self, message: LoadFailed) -> None:
        self.exit(return_code=2, message=f"wordlens: error: {message.error}")

    # ---- opening other models while exploring ----------------------------------------------
    def action_open_models(self) -> None:
        self.push_screen(OpenScreen(self.engine.sources, dict(self._opening)), self._open)

    def _open(self, request: OpenRequest | None) -> None:
        if request is None:
            return
        component, source = request
        if not (self.view.vectors.done and self.view.model.done):
            self.notify("Wait until both models have loaded, then open another.", severity="warning")
            return
        if component in self._opening:
            self.notify(f"Already opening {self._opening[component] or 'the bundled one'}.", severity="warning")
            return
        self._opening[component] = source
        bar = self.query_one(ModelBar)
        bar.opening = {**bar.opening, component: "opening…"}
        Thread(target=self._open_in_thread, args=(component, source), name=f"open {component}", daemon=True).start()

    def _open_in_thread(self, component: Component, source: str | None) -> None:
        """The engine swaps the new model in only once it has loaded; a failure leaves the old one."""
        def load(report: Progress) -> None:
            if component == "vectors":
                self.engine.open_vectors(source, report)
            else:
                _ready_for_reading(self.engine.open_model(source, report))

        self._load_and_report(component, load, OpenProgress, Opened, OpenFailed)

    def on_open_progress(self, message: OpenProgress) -> None:
        if message.component in self._opening and not self._closing_down():
            bar = self.query_one(ModelBar)
            bar.opening = {**bar.opening, message.component: f"opening… {message.fraction:.0%} {message.stage}"}

    def on_opened(self, message: Opened) -> None:
        if self._closing_down():
            return
        bar = self._opening_ended(message.component)
        setattr(bar, f"{message.component}_summary", message.summary)
        self.notify(message.summary, title="opened")
        # The map into the static space and the focused token's reading belong to the old pair.
        self.glove_map = MapState()
        self.reading = None
        self._reading_asked = None
        self._analyze_now()
        self._start_map(cached_only=True)

    def on_open_failed(self, message: OpenFailed) -> None:
        if self._closing_down():
            return
        kept = getattr(self._opening_ended(message.component), f"{message.component}_summary")
        self.notify(message.error, title=f"could not open; still using {kept}", severity="error", timeout=10)

    def _opening_ended(self, component: Component) -> ModelBar:
        self._opening.pop(component, None)
        bar = self.query_one(ModelBar)
        bar.opening = {name: text for name, text in bar.opening.items() if name != component}
        return bar

    # ---- analysing the sentence ----------------------------------------------------------
    def get_line_filters(self):
        filters = super().get_line_filters()
        return [*filters, CONTROL_CHARACTERS] if self._vocabulary_has_controls else filters

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "text":
            return
        if self._debounce is not None:
            self._debounce.stop()
        self._focus_follows_cursor = True
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, self._analyze_now)
        self._collector.activity()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "text":
            self.action_explore()

    def _analyze_now(self) -> None:
        """Analyse the current text now, or, if an analysis is running, as soon as it ends:
        at most one is in flight and only the newest text waits, so fast typing never queues
        work and a pause in typing is answered after one computation."""
        if self._closing_down():
            return
        text_input = self.query_one("#text", Input)
        self._analyser.submit((text_input.value, text_input.cursor_position))

    @property
    def analysing(self) -> bool:
        return self._analyser.busy

    @property
    def computing(self) -> bool:
        """An analysis or the focused token's reading is being computed or waits."""
        return self._analyser.busy or self._reader.busy

    def _analyze_in_thread(self, request: tuple[str, int]) -> None:
        """In the analyser thread; an analysis overtaken by newer text stops between stages."""
        text, cursor = request
        try:
            analysis = self.engine.analyze(text, self.settings, is_cancelled=self._analyser.has_newer)
        except Cancelled:
            return
        except WordlensError as error:
            self.post_message(AnalysisFailed(str(error)))
        except Exception as error:
            self.post_message(AnalysisFailed(f"{type(error).__name__}: {first_line(error)}"))
        else:
            # While typing, the focus goes to the token at the text cursor: what the panes will
            # ask of it is computed here, so the frame that shows the analysis shows all of it.
            view = self.view.with_(analysis=analysis)
            at_cursor = view.unit_at_char(cursor)
            if at_cursor is not None:
                view = view.with_(focus=at_cursor)
            _prepare_views(view)
            question = self._reading_question(view)
            foreseen = (question, self._answer_reading(question)) if question is not None else None
            self.post_message(AnalysisReady(analysis, foreseen))

    def on_analysis_ready(self, message: AnalysisReady) -> None:
        if self._closing_down():
            return
        analysis, current = message.analysis, self.view.analysis
        if analysis.text != self.query_one("#text", Input).value:
            return  # the sentence changed while this was computed
        if current is not None and current.text == analysis.text and _parts(current) > _parts(analysis):
            return  # an older, less complete result of the same text
        self._collector.activity()
        view = self.view.with_(analysis=analysis)
        if current is None or current.text != analysis.text:
            view = view.with_(selected=frozenset())
        if current is None or (current.context is None) != (analysis.context is None):
            self._focus_follows_cursor = True
        view = self._settle(view)
        if message.reading is not None:
            asked, reading = message.reading
            expected = self._reading_question(view)
            if expected is not None and _same_reading_question(asked, expected):
                self._reading_asked = asked  # watch_view then asks the reader thread nothing
                self.reading = reading
        self.view = view

    def on_analysis_failed(self, message: AnalysisFailed) -> None:
        self.notify(message.error, title="could not analyse the sentence", severity="error")

    def _settle(self, view: ViewState) -> ViewState:
        """Keep focus, target, layer and head inside the new analysis; let focus follow typing."""
        count = view.unit_count
        focus, target = view.focus, view.target
        text_input = self.query_one("#text", Input)
        if self._focus_follows_cursor and (text_input.has_focus or view.analysis.context is None):
            at_cursor = view.unit_at_char(text_input.cursor_position)
            if at_cursor is not None:
                focus = at_cursor
                target = _strongest_target(view.with_(focus=focus), fallback=target)
        context = view.analysis.context
        layer, head = view.layer, view.head
        if context is not None:
            layer = min(layer, context.model.layers - 1)
            head = min(head, context.model.heads - 1)
        return view.with_(
            focus=_clamp(focus, count), target=_clamp(target, count), layer=layer, head=head
        )

    def _on_text_cursor_moved(self) -> None:
        text_input = self.query_one("#text", Input)
        view = self.view
        if not text_input.has_focus or view.analysis is None or view.analysis.text != text_input.value:
            return
        at_cursor = view.unit_at_char(text_input.cursor_position)
        if at_cursor is not None and at_cursor != view.focus:
            moved = view.with_(focus=at_cursor)
            self.view = moved.with_(target=_strongest_target(moved, fallback=view.target))

    # ---- explore actions -----------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.EXPLORE_ONLY_ACTIONS and isinstance(self.focused, Input):
            return False
        return True

    def action_move_focus(self, delta: int) -> None:
        self._focus_follows_cursor = False
        self.view = self.view.with_(focus=self._moved(self.view.focus, delta))

    def action_move_target(self, delta: int) -> None:
        self.view = self.view.with_(target=self._moved(self.view.target, delta))

    def _moved(self, token: int, delta: int) -> int:
        """The token `delta` grid rows away (words and hidden specials count as shown)."""
        view = self.view
        grid = view.grid
        if grid is None:
            return _clamp(token + delta, view.unit_count)
        return view.token_of_row(_clamp(view.nearest_row(token) + delta, len(grid.labels)))

    def action_toggle_selected(self) -> None:
        """Add the focused token's row to the rows whose attention is summed, or take it out."""
        selected = self.view.selected ^ {self.view.focus}
        self.view = self.view.with_(selected=selected)

    def action_layer(self, delta: int) -> None:
        context = self._current_context()
        if context is not None:
            self.view = self.view.with_(layer=(self.view.layer + delta) % context.model.layers)

    def action_head(self, delta: int) -> None:
        context = self._current_context()
        if context is not None:
            self.view = self.view.with_(head=(self.view.head + delta) % context.model.heads, aggregate="head")

    def action_cycle_aggregate(self) -> None:
        following = AGGREGATES[(AGGREGATES.index(self.view.aggregate) + 1) % len(AGGREGATES)]
        self.view = self.view.with_(aggregate=following)

    def action_toggle(self, flag: str) -> None:
        self.view = self.view.with_(**{flag: not getattr(self.view, flag)})

    def action_overview(self) -> None:
        context = self._current_context()
        if context is None:
            return
        title = f"[b]{escape(context.model.name)}[/]: every layer × head · ↑↓←→ move · enter open · esc close"
        overview = OverviewScreen(context.attentions, self.view.layer, self.view.head, title, causal=context.model.causal)
        self.push_screen(overview, self._open_head)

    def action_metrics(self) -> None:
        context = self._current_context()
        if context is None:
            return
        punctuation = np.array([is_punctuation(token) for token in context.tokens])
        metrics = head_metrics(context.attentions, context.special, punctuation)
        title = f"[b]Per-head metrics[/] of {context.model.name} on this sentence ({len(context.tokens)} tokens)"
        self.push_screen(MetricsScreen(metrics, title), self._open_head)

    def action_referents(self) -> None:
        """Rank every layer x head by the weight the focused token gives the target token."""
        context, view = self._current_context(), self.view
        if context is None:
            return
        source, target = view.focus, view.target
        scores = rank_heads(context.attentions, source, target)
        rollout_score = float(rollout(context.attentions)[source, target])
        self.push_screen(
            ReferentScreen(scores, rollout_score, context.tokens[source], context.tokens[target]), self._open_head
        )

    def action_correlation(self) -> None:
        """Which heads relate words the way the static vectors do: a sortable table."""
        analysis = self.view.analysis
        if analysis is None or analysis.context is None or analysis.static is None:
            self.notify("Both models must be loaded first.", severity="warning")
            return
        title = f"[b]Static cosine vs attention[/], per head of {escape(analysis.context.model.name)}"
        self.push_screen(CorrelationScreen(analysis, title), self._open_head)

    def action_query(self) -> None:
        self.push_screen(QueryScreen(self.engine, self._query_history))

    def action_compare(self) -> None:
        analysis = self.view.analysis
        if analysis is None or analysis.context is None or analysis.static is None:
            self.notify("Compare needs both models loaded and a sentence typed.", severity="warning")
            return
        focused = self.view.focused_word
        word = analysis.words[focused].text if focused is not None else None
        self.push_screen(CompareScreen(self.engine, analysis, word, self.settings))

    def _open_head(self, chosen: tuple[int, int] | None) -> None:
        if chosen is not None:
            layer, head = chosen
            self.view = self.view.with_(layer=layer, head=head, aggregate="head")

    def action_best_head(self) -> None:
        """Jump to the layer and head where the focused word gives the target word most weight."""
        view, context = self.view, self._current_context()
        source, target = view.focused_word, view.target_word
        if context is None or source is None or target is None:
            self.notify("Focus a word and put the target on another word first.", severity="warning")
            return
        best = strongest_heads_from(view.analysis, source)[target]
        self.view = view.with_(layer=best.layer, head=best.head, aggregate="head")
        words = view.analysis.words
        self.notify(f"{words[source].text} → {words[target].text}: {best.weight:.2f} at layer {best.layer}, "
                    f"head {best.head}")

    def action_explore(self) -> None:
        self._focus_now(self.query_one(AttentionGrid))

    def action_edit(self) -> None:
        self._focus_now(self.query_one("#text", Input))

    def action_cycle_focus(self, step: int) -> None:
        if self.screen is not self.screen_stack[0]:  # a dialog on top: tab moves between its fields
            if step > 0:
                self.screen.focus_next()
            else:
                self.screen.focus_previous()
            return
        order = [self.query_one("#text", Input), self.query_one(AttentionGrid),
                 self.query_one("#static"), self.query_one("#comparison")]
        order = [widget for widget in order if widget.display]
        current = order.index(self.focused) if self.focused in order else -1
        self._focus_now(order[(current + step) % len(order)])

    def _focus_now(self, widget: Widget) -> None:
        """Move focus before the next queued key is handled (widget.focus() is deferred, so a
        key typed right after tab would still land in the sentence line)."""
        self.screen.set_focus(widget)
        self._focus_follows_cursor = isinstance(widget, Input)

    # ---- saving what is on screen ----------------------------------------------------------
    output_folder: Path | None = None  # where screenshots and exports go; None: the working directory

    def action_save_screen(self) -> None:
        folder = self.output_folder or Path.cwd()
        try:
            path = self.save_screenshot(filename=f"{free_stem(folder)}.svg", path=str(folder))
        except OSError as error:
            self.notify(f"cannot write to {folder}: {error.strerror or error}", severity="error")
            return
        self.notify(str(path), title="screenshot saved")
        self._deliver_to_browser([Path(path)])

    def action_export(self) -> None:
        """The tokens, the matrix shown and the neighbour lists, to JSON, CSV and NPZ."""
        view, folder = self.view, self.output_folder or Path.cwd()
        if view.analysis is None:
            self.notify("Nothing to export yet: the sentence is still being analysed.", severity="warning")
            return
        try:
            paths = write_export(export_view(view.analysis, view.spec, view.focus, view.target),
                                 folder, free_stem(folder))
        except WordlensError as error:
            self.notify(str(error), severity="error")
            return
        self.notify("\n".join(path.name for path in paths), title=f"exported to {folder}")
        self._deliver_to_browser(paths)

    def _deliver_to_browser(self, paths: list[Path]) -> None:
        """Under `wordlens serve` the files are on the server: offer them as downloads too."""
        if self.is_web:
            for path in paths:
                self.deliver_binary(path)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def _current_context(self):
        return self.view.analysis.context if self.view.analysis else None


def _ready_for_reading(model: ContextModel) -> None:
    """The focused token's reading needs the model's input table scaled to unit rows: ~0.1 s,
    paid once while the model loads rather than at the first keystroke."""
    model.input_embedding_units()


def _prepare_views(view: ViewState) -> None:
    """Compute (and cache) in the analyser thread what the panes will ask of the new analysis:
    the grid's matrix (a rollout or word-level view of 512 tokens takes ~0.1 s, which on the UI
    thread would freeze the typing) and the strongest heads of the focused word."""
    analysis, spec = view.analysis, view.spec
    context = analysis.context
    if context is None or not context.tokens or spec.layer >= context.model.layers or spec.head >= context.model.heads:
        return
    attention_view(analysis, spec)
    word = view.focused_word
    if word is not None:
        strongest_heads_from(analysis, word)


def _same_reading_question(asked: tuple, before: tuple) -> bool:
    (analysis, focus, layer, static_map), (analysis_before, focus_before, layer_before, map_before) = asked, before
    return analysis is analysis_before and static_map is map_before and (focus, layer) == (focus_before, layer_before)


def _clamp(value: int, count: int) -> int:
    return max(0, min(value, count - 1)) if count else 0


def _strongest_target(view: ViewState, fallback: int) -> int:
    """The non-special token the focused token attends to most in the current head."""
    context = view.analysis.context if view.analysis else None
    if context is None or not 0 <= view.focus < len(context.tokens):
        return fallback
    row = context.attentions[view.layer, view.head, view.focus].copy()
    row[context.special] = -1.0
    return int(row.argmax())
