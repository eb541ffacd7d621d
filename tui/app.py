"""The wordlens explorer: composes the panes, binds keys and routes messages (docs/ARCHITECTURE.md).

The App owns the state (the view, the models' state, the map, the focused token's reading) and
hands it down by data binding; services on threads compute and post messages back up.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.command import CommandPalette
from textual.notifications import Notification, SeverityLevel
from textual.reactive import reactive
from textual.widgets import Input

from wordlens.core.analysis import AnalysisSettings
from wordlens.core.engine import Engine
from wordlens.core.errors import WordlensError
from wordlens.core.layer_names import hidden_state_name
from wordlens.core.text import clean_text
from wordlens.core.transformer.context_model import NO_HEADS_OFF, HeadsOff
from wordlens.core.uses.corpus import CorpusSource
from wordlens.tui import messages
from wordlens.tui.command_palette import WordLensPalette
from wordlens.tui.keys import APP_BINDINGS, EXPLORE_ONLY_ACTIONS, ActionCommands, with_binding_ids
from wordlens.tui.models_state import Component, MapState, MapStatus, ModelsState
from wordlens.tui.reading import TokenReading, reading_question
from wordlens.tui.screens.explorer import ExplorerScreen
from wordlens.tui.services.analyser import Analyser
from wordlens.tui.services.background import Background
from wordlens.tui.services.idle_collector import IdleCollector
from wordlens.tui.services.map_fitter import MapFitter
from wordlens.tui.services.model_loader import ModelLoader
from wordlens.tui.services.token_reader import TokenReader
from wordlens.tui.services.uses_finder import UsesFinder
from wordlens.tui.serving.loaded_signal import announce_loaded
from wordlens.tui.state import ViewState
from wordlens.tui.terminal import CONTROL_CHARACTERS
from wordlens.tui.uses_state import UsesState, UsesStatus, hidden_layer, uses_question

if TYPE_CHECKING:
    from wordlens.tui.screens.open_models import OpenRequest

# The dialogs (help, open models) and saving are imported when first opened, not before the first
# frame (issue 20: first paint is measured against a one-line Textual app).


@with_binding_ids
class WordLensApp(App[None]):
    CSS_PATH = "wordlens.tcss"
    TITLE = "wordlens"
    COMMANDS = App.COMMANDS | {ActionCommands}
    BINDINGS = APP_BINDINGS
    EXPLORE_ONLY_ACTIONS = EXPLORE_ONLY_ACTIONS

    # The state, handed to the explorer screen as it changes (watch_*).
    # repaint=False: the App draws nothing from them (the explorer's panes repaint themselves).
    view: reactive[ViewState] = reactive(ViewState, repaint=False)
    models: reactive[ModelsState] = reactive(ModelsState, repaint=False)
    glove_map: reactive[MapState] = reactive(MapState, repaint=False)
    reading: reactive[TokenReading | None] = reactive(None, repaint=False)
    uses: reactive[UsesState] = reactive(UsesState, repaint=False)
    output_folder: Path | None = None  # where screenshots and exports go; None: the working directory
    lesson_text: str | None = None  # `wordlens lesson [TEXT]`: the lesson starts on it once both models are loaded

    def __init__(self, engine: Engine, text: str = "", settings: AnalysisSettings | None = None,
                 gc_pause: float = 1.0, uses_corpus: CorpusSource | None = None) -> None:
        super().__init__()
        self.uses_corpus = uses_corpus  # what `u` searches (launch: the bundled corpus); None: no uses
        self.engine = engine
        self.settings = settings or AnalysisSettings()
        self.explorer = ExplorerScreen(clean_text(text))
        self.query_history: list[str] = []  # the query line's, kept while the app runs
        self.heads_off: HeadsOff = NO_HEADS_OFF  # switched off in every analysis the explorer shows (z, Z)
        self._vocabulary_has_controls = False
        self._exiting = False
        self._loading_started = False  # _start_loading ran (once the whole explorer was painted)
        self._analyser = Analyser(engine, self.settings, self.post_message, lambda: self.view,
                                  lambda: self.glove_map.fitted)
        self._reader = TokenReader(engine, self.post_message)
        self._loader = ModelLoader(engine, self.post_message)
        self._fitter = MapFitter(engine, self.post_message)
        self._background = Background(self.post_message)
        self._uses = UsesFinder(engine, self.post_message)
        # a full collection after gc_pause s idle, none while a model is still loading
        self._collector = IdleCollector(self, pause=gc_pause, holding=lambda: not self.models.ready)

    def get_default_screen(self) -> ExplorerScreen:
        return self.explorer

    def on_mount(self) -> None:
        self._collector.start()

    def on_explorer_screen_shown(self) -> None:
        """Loading imports torch and gensim, which hold the GIL for seconds: paint the explorer first."""
        if not self._loading_started:
            self._start_loading()

    def _start_loading(self) -> None:
        self._loading_started = True
        self._analyze_now()  # the words of a --text sentence, before any model
        self._loader.load(Component.MODEL)
        self._loader.load(Component.VECTORS)

    def on_unmount(self) -> None:
        self._collector.stop()

    def exit(self, result: None = None, return_code: int = 0, message: str | None = None) -> None:
        self._exiting = True
        super().exit(result, return_code=return_code, message=message)

    def _closing_down(self) -> bool:
        """Quitting: the widgets are going, yet a service may still report."""
        return self._exiting or not self.explorer.is_attached

    @property
    def _text_input(self) -> Input:
        return self.explorer.text_input

    def watch_view(self, view: ViewState) -> None:
        self.explorer.view = view
        self._ask_reading()
        self._ask_uses()

    def watch_models(self, models: ModelsState) -> None:
        self.explorer.models = models

    def watch_glove_map(self, glove_map: MapState) -> None:
        self.explorer.glove_map = glove_map

    def watch_reading(self, reading: TokenReading | None) -> None:
        self.explorer.reading = reading

    def watch_uses(self, uses: UsesState) -> None:
        self.explorer.uses = uses

    @property
    def analysing(self) -> bool:
        return self._analyser.busy

    @property
    def computing(self) -> bool:
        """An analysis, the focused token's reading, a screen's numbers or the uses shown are being computed."""
        return self._analyser.busy or self._reader.busy or self._background.busy or self._uses.busy \
            or (self.uses.shown and self.uses.status is UsesStatus.LOADING)

    # ---- models and the map between them --------------------------------------------------
    def on_model_progress(self, message: messages.ModelProgress) -> None:
        self.models = self.models.progressed(message.component, message.stage, message.fraction, message.replacing)

    def on_model_ready(self, message: messages.ModelReady) -> None:
        if self._closing_down():
            return
        # The loaded models live as long as the app: frozen out of the collector, full
        # collections look only at what is made afterwards (walking them took 100-150 ms).
        gc.freeze()
        self._vocabulary_has_controls |= message.has_control_characters
        self.models = self.models.loaded(message.component, message.summary, message.replacing)
        if message.replacing:  # the map and the focused token's reading belong to the old pair
            self.notify(message.summary, title="opened")
            self.heads_off = NO_HEADS_OFF  # the heads of the model it replaced
            self.glove_map, self.reading = MapState(), None
            self._reader.forget()
            if message.component is Component.MODEL and self.uses.status is not UsesStatus.OFF:
                self._uses.forget()  # the index holds the old model's hidden states
                self.uses = UsesState(shown=self.uses.shown)
                if self.uses.shown:
                    self._open_uses()
        self._analyze_now()
        if self.models.ready:
            self._fitter.start(cached_only=True)
            announce_loaded()  # under serve, the next page's turn to load
            if self.lesson_text is not None:
                text, self.lesson_text = self.lesson_text, None
                self.explorer.start_lesson(text)

    def on_model_failed(self, message: messages.ModelFailed) -> None:
        if not message.replacing:
            self.exit(return_code=2, message=f"wordlens: error: {message.error}")
        elif not self._closing_down():
            state = self.models.of(message.component)
            self.models = self.models.with_(state.open_ended())
            self.notify(message.error, title=f"could not open; still using {state.summary}", severity="error",
                        timeout=10)

    def on_map_changed(self, message: messages.MapChanged) -> None:
        if self.glove_map.status is not MapStatus.READY:  # else a late progress report
            self.glove_map = message.state
            self._ask_reading()  # a fitted map: read the focused token with it

    def action_fit_map(self) -> None:
        if self.glove_map.status is MapStatus.READY:
            self.notify("The map into the static space is fitted: the static pane reads the focused token with it.")
        elif not self.models.ready:
            self.notify("Both models must be loaded first.", severity="warning")
        elif self.glove_map.status is not MapStatus.FITTING:
            self.glove_map = MapState(MapStatus.FITTING, "starting", 0.0)
            self._fitter.start(cached_only=False)

    def action_open_models(self) -> None:
        from wordlens.tui.screens.open_models import OpenScreen

        self.push_screen(OpenScreen(self.engine.sources, self.models), self._open)

    def _open(self, request: OpenRequest | None) -> None:
        if request is None:
            return
        component, source = request
        problem = self.models.why_not_open(component)
        if problem is not None:
            self.notify(problem, severity="warning")
            return
        self.models = self.models.with_(self.models.of(component).opening_from(source))
        self._loader.open(component, source)

    # ---- the sentence and its analysis ----------------------------------------------------
    def get_line_filters(self):
        filters = super().get_line_filters()
        return [*filters, CONTROL_CHARACTERS] if self._vocabulary_has_controls else filters

    def on_sentence_pane_edited(self) -> None:
        self.explorer.focus_follows_cursor = True
        self._collector.activity()
        if self._loading_started:  # else the line's first value, which _start_loading analyses after the first frame
            self._analyze_now()

    def on_sentence_pane_submitted(self) -> None:
        self.explorer.action_explore()

    def _analyze_now(self) -> None:
        """At most one analysis runs and only the newest text waits (see services/analyser.py)."""
        if not self._closing_down():
            self._analyser.submit(self._text_input.value, self._text_input.cursor_position, self.heads_off)

    def switch_heads_off(self, heads_off: HeadsOff) -> None:
        """Re-analyse the sentence with these heads switched off (none: the intact model)."""
        self.heads_off = heads_off
        self._analyze_now()

    def on_analysis_ready(self, message: messages.AnalysisReady) -> None:
        analysis = message.analysis
        if self._closing_down() or analysis.text != self._text_input.value:
            return  # the sentence changed while this was computed
        if analysis.context is not None and analysis.context.heads_off != self.heads_off:
            return  # heads were switched on or off while this was computed
        current = self.view
        if current.analysis is not None and current.analysis.text == analysis.text \
                and current.parts() > ViewState(analysis=analysis).parts():
            return  # an older, less complete result of the same text
        self._collector.activity()
        if current.analysis is None or (current.context is None) != (analysis.context is None):
            self.explorer.focus_follows_cursor = True
        follows = self.explorer.focus_follows_cursor and (self._text_input.has_focus or analysis.context is None)
        cursor_unit = current.with_(analysis=analysis).unit_at_char(self._text_input.cursor_position)
        view = current.showing(analysis, cursor_unit if follows else None).with_(intact=message.intact)
        if message.reading is not None:
            asked, reading = message.reading
            if asked == reading_question(view, self.glove_map.fitted, self.engine.model is not None):
                self._reader.answered(asked)
                self.reading = reading
        self.view = view

    def on_analysis_failed(self, message: messages.AnalysisFailed) -> None:
        self.notify(message.error, title="could not analyse the sentence", severity="error")

    def _ask_reading(self) -> None:
        self._reader.ask(reading_question(self.view, self.glove_map.fitted, self.engine.model is not None))

    def on_token_read(self, message: messages.TokenRead) -> None:
        if message.reading.is_for(self.view):
            self.reading = message.reading

    def on_sentence_pane_cursor_moved(self) -> None:
        view, text_input = self.view, self._text_input
        if text_input.has_focus and view.analysis is not None and view.analysis.text == text_input.value:
            at_cursor = view.unit_at_char(text_input.cursor_position)
            if at_cursor is not None and at_cursor != view.focus:
                self.view = view.with_focus_on(at_cursor)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in EXPLORE_ONLY_ACTIONS and isinstance(self.focused, Input))

    def action_help(self) -> None:
        from wordlens.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_command_palette(self) -> None:
        """Textual's, but not a second palette when one is open under another screen (f1 over the
        palette, then ctrl+p): Textual looks only at the top screen and pushed a duplicate id; and
        guarded against page keys that arrive before its list is laid out (command_palette.py)."""
        if self.use_command_palette and not any(isinstance(screen, CommandPalette) for screen in self.screen_stack):
            self.push_screen(WordLensPalette(id="--command-palette"))

    # ---- the uses section: the focused token's nearest uses in a corpus ----------------------
    def toggle_uses(self) -> None:
        if self.uses_corpus is None:
            self.notify("No corpus to search for uses (gensim's test data is missing).", severity="warning")
            return
        self.uses = self.uses.with_(shown=not self.uses.shown)
        if self.uses.shown and self.uses.status is UsesStatus.OFF:
            self._open_uses()
        self._reach_indexed_layer()
        self._ask_uses()

    def _open_uses(self) -> None:
        assert self.uses_corpus is not None
        self.uses = self.uses.with_(status=UsesStatus.LOADING, corpus=self.uses_corpus.name, stage="", fraction=0.0)
        self._uses.open(self.uses_corpus)

    def _reach_indexed_layer(self) -> None:
        """Shown at a layer the index lacks: go to the last indexed one, and say so."""
        index, view = self.uses.index, self.view
        if not self.uses.shown or index is None or view.context is None or hidden_layer(view) in index.layers:
            return
        indexed = [layer for layer in index.layers if layer > 0]  # hidden states: k is "after layer k"
        if indexed:
            self.view = view.with_(layer=indexed[-1] - 1)
            self.notify(f"uses are indexed after layers {', '.join(map(str, indexed))}: showing "
                        f"{hidden_state_name(indexed[-1])}")

    def _ask_uses(self) -> None:
        if self.uses.shown and self.uses.index is not None:
            self._uses.ask(self.uses.index, uses_question(self.view))

    def on_uses_progress(self, message: messages.UsesProgress) -> None:
        if message.generation == self._uses.generation and self.uses.status is UsesStatus.LOADING:
            self.uses = self.uses.with_(stage=message.stage, fraction=message.fraction)

    def on_uses_index_ready(self, message: messages.UsesIndexReady) -> None:
        if message.generation == self._uses.generation and not self._closing_down():
            self.uses = self.uses.with_(status=UsesStatus.READY, index=message.index, fraction=1.0)
            self._reach_indexed_layer()
            self._ask_uses()

    def on_uses_failed(self, message: messages.UsesFailed) -> None:
        if message.generation == self._uses.generation:
            self.uses = self.uses.with_(status=UsesStatus.FAILED, error=message.error)

    def on_uses_found(self, message: messages.UsesFound) -> None:
        if message.generation == self._uses.generation and message.answer.question == uses_question(self.view):
            self.uses = self.uses.with_(answer=message.answer)

    # ---- background jobs (the explorer's screens and files) ------------------------------
    def run_in_background(self, what: str, compute, then) -> None:
        """Compute in a thread, then `then(result)` on the UI thread (services/background.py)."""
        self._background.run(what, compute, then)

    def on_computed(self, message: messages.Computed) -> None:
        if not self._closing_down():
            message.then(message.result)

    def on_compute_failed(self, message: messages.ComputeFailed) -> None:
        self.notify(message.error, title=f"could not compute the {message.what}", severity="error")

    # ---- where the keys go ------------------------------------------------------------------
    def action_cycle_focus(self, step: int) -> None:
        if self.screen is not self.explorer:  # a dialog on top: tab moves between its fields
            self.screen.focus_next() if step > 0 else self.screen.focus_previous()
        else:
            self.explorer.cycle_focus(step)

    # ---- saving what is on screen ----------------------------------------------------------
    def action_save_screen(self) -> None:
        from wordlens.tui.services.saving import save_screen

        try:
            path = save_screen(self, self.output_folder or Path.cwd())
        except WordlensError as error:
            self.notify(str(error), severity="error")
            return
        self.notify(str(path), title="screenshot saved")
        self.deliver_to_browser([path])

    def deliver_to_browser(self, paths: list[Path]) -> None:
        """Under `wordlens serve` the files are on the server: offer them as downloads too."""
        if self.is_web:
            for path in paths:
                self.deliver_binary(path)

    notices: tuple[Notification, ...] = ()  # the last 20 notices shown, oldest first

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Show a notice (toast) and keep it in `notices`: a bounded public record of what the user
        was told, which outlives the toast. Not markup unless asked: notices quote words, tokens
        and paths, which may hold brackets."""
        notice = Notification(message, title, severity, self.NOTIFICATION_TIMEOUT if timeout is None else timeout,
                              markup)
        self.notices = (*self.notices, notice)[-20:]
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)
