"""The wordlens explorer: the App owns the view state; panes render it; workers do the heavy work.

Data flow: keystroke -> Input.Changed -> debounce -> exclusive thread worker -> Engine.analyze
-> AnalysisReady message -> the App swaps in a new ViewState -> every pane re-renders.
Focus, layer and head moves only replace the ViewState: nothing is recomputed.
"""

from __future__ import annotations

from threading import Thread
from typing import Literal

import numpy as np
from rich.markup import escape
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Input
from textual.worker import Worker, get_current_worker

from wordlens.core.analysis import Analysis, AnalysisSettings
from wordlens.core.engine import Engine
from wordlens.core.errors import Cancelled, WordlensError, first_line
from wordlens.core.text import clean_text
from wordlens.core.views import AGGREGATES, head_metrics, is_punctuation, rank_heads, rollout
from wordlens.tui.attention_pane import AttentionGrid, AttentionPane
from wordlens.tui.comparison_pane import Comparison
from wordlens.tui.head_tables import MetricsScreen, ReferentScreen
from wordlens.tui.header import ModelBar
from wordlens.tui.help import HelpScreen
from wordlens.tui.overview import OverviewScreen
from wordlens.tui.sentence_input import SentenceInput
from wordlens.tui.sentence_pane import TokenStrip
from wordlens.tui.static_pane import StaticNeighbours
from wordlens.tui.terminal import CONTROL_CHARACTERS
from wordlens.tui.view import Loading, ViewState, strongest_heads_from

# Long enough to merge a paste or key auto-repeat into one analysis, short enough not to feel.
DEBOUNCE_SECONDS = 0.015
Component = Literal["vectors", "model"]


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


class AnalysisReady(Message):
    def __init__(self, analysis: Analysis) -> None:
        super().__init__()
        self.analysis = analysis


class AnalysisFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


def _parts(analysis: Analysis | None) -> int:
    if analysis is None:
        return -1
    return (analysis.static is not None) + (analysis.context is not None)


class WordLensApp(App[None]):
    CSS_PATH = "wordlens.tcss"
    TITLE = "wordlens"
    BINDINGS = [
        Binding("tab", "cycle_focus(1)", "next pane", priority=True),
        Binding("shift+tab", "cycle_focus(-1)", "previous pane", show=False, priority=True),
        Binding("escape", "explore", "explore", show=False),
        Binding("e,slash", "edit", "edit"),
        Binding("left_square_bracket", "layer(-1)", "layer-", key_display="["),
        Binding("right_square_bracket", "layer(1)", "layer+", key_display="]"),
        Binding("comma", "head(-1)", "head-", key_display=","),
        Binding("full_stop", "head(1)", "head+", key_display="."),
        Binding("b", "best_head", "best head"),
        Binding("a", "cycle_aggregate", "view"),
        Binding("w", "toggle('words')", "words", show=False),
        Binding("s", "toggle('hide_special')", "specials", show=False),
        Binding("d", "toggle('dense')", "dense", show=False),
        Binding("o", "overview", "overview"),
        Binding("m", "metrics", "metrics", show=False),
        Binding("r", "referents", "referents", show=False),
        Binding("question_mark", "help", "help", key_display="?", show=False),
        Binding("f1", "help", "help", priority=True),
        Binding("ctrl+q", "quit", "quit", priority=True),
        Binding("q", "quit", "quit", show=False),
    ]
    # Keys the sentence line types instead of acting on: hidden from the footer while typing.
    EXPLORE_ONLY_ACTIONS = {
        "edit", "layer", "head", "best_head", "cycle_aggregate", "toggle", "overview", "metrics", "referents",
    }

    view: reactive[ViewState] = reactive(ViewState)

    def __init__(self, engine: Engine, text: str = "", settings: AnalysisSettings | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.settings = settings or AnalysisSettings()
        self._initial_text = clean_text(text)
        self._debounce: Timer | None = None
        self._analysis_running = False
        self._analyze_again = False
        self._focus_follows_cursor = True

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
                yield StaticNeighbours().data_bind(WordLensApp.view)
            yield AttentionPane(id="attention").data_bind(WordLensApp.view)
            with VerticalScroll(id="comparison"):
                yield Comparison().data_bind(WordLensApp.view)
        yield Footer()

    def on_mount(self) -> None:
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
        def report(stage: str, fraction: float) -> None:
            self.post_message(LoadProgress(component, stage, fraction))

        try:
            if component == "vectors":
                info = self.engine.load_vectors(report).info
                summary = f"{info.name}, {info.size:,} words"
            else:
                info = self.engine.load_model(report).info
                summary = f"{info.name}, {info.layers} layers × {info.heads} heads"
        except WordlensError as error:
            self.post_message(LoadFailed(component, str(error)))
        except Exception as error:  # anything a third-party loader raises ends here, readable
            self.post_message(LoadFailed(component, f"{type(error).__name__}: {first_line(error)}"))
        else:
            self.post_message(Loaded(component, summary))

    def _closing_down(self) -> bool:
        """Quitting: the widgets are gone, yet a loader or an analysis may still report."""
        return not (self.query(ModelBar) and self.query("#text"))

    def on_load_progress(self, message: LoadProgress) -> None:
        loading = Loading(message.component, message.stage, message.fraction)
        self.view = self.view.with_(**{message.component: loading})

    def on_loaded(self, message: Loaded) -> None:
        if self._closing_down():
            return
        bar = self.query_one(ModelBar)
        setattr(bar, f"{message.component}_summary", message.summary)
        done = Loading(message.component, "ready", 1.0, done=True)
        self.view = self.view.with_(**{message.component: done})
        self._analyze_now()

    def on_load_failed(self, message: LoadFailed) -> None:
        self.exit(return_code=2, message=f"wordlens: error: {message.error}")

    # ---- analysing the sentence ----------------------------------------------------------
    def get_line_filters(self):
        return [*super().get_line_filters(), CONTROL_CHARACTERS]

    def on_input_changed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._focus_follows_cursor = True
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, self._analyze_now)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_explore()

    def _analyze_now(self) -> None:
        """Analyse the current text now, or, if an analysis is running, as soon as it ends:
        at most one is in flight and only the newest text waits, so fast typing never queues
        work and a pause in typing is answered after one computation."""
        if self._closing_down():
            return
        if self._analysis_running:
            self._analyze_again = True
            return
        self._analysis_running = True
        self._analyze(self.query_one("#text", Input).value)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "analysis" and event.worker.is_finished:
            self._analysis_running = False
            if self._analyze_again:
                self._analyze_again = False
                self._analyze_now()

    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    def _analyze(self, text: str) -> None:
        worker = get_current_worker()
        try:
            analysis = self.engine.analyze(text, self.settings, is_cancelled=lambda: worker.is_cancelled)
        except Cancelled:
            return
        except WordlensError as error:
            self.post_message(AnalysisFailed(str(error)))
        except Exception as error:
            self.post_message(AnalysisFailed(f"{type(error).__name__}: {first_line(error)}"))
        else:
            self.post_message(AnalysisReady(analysis))

    def on_analysis_ready(self, message: AnalysisReady) -> None:
        if self._closing_down():
            return
        analysis, current = message.analysis, self.view.analysis
        if analysis.text != self.query_one("#text", Input).value:
            return  # the sentence changed while this was computed
        if current is not None and current.text == analysis.text and _parts(current) > _parts(analysis):
            return  # an older, less complete result of the same text
        view = self.view.with_(analysis=analysis)
        if current is None or current.text != analysis.text:
            view = view.with_(selected=frozenset())
        if current is None or (current.context is None) != (analysis.context is None):
            self._focus_follows_cursor = True
        self.view = self._settle(view)

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

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def _current_context(self):
        return self.view.analysis.context if self.view.analysis else None


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
