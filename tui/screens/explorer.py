"""The main screen: the model bar, the sentence and the three panes. The App hands it the state
as attributes. Its actions are the explorer's keys (bound in keys.APP_BINDINGS with the `screen.`
namespace, so they do nothing while a dialog is on top): each gives the App's view its next value
or opens a screen; it also decides where the keyboard focus goes and whether the focused token
follows the text cursor (it does while the user types)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Container, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input

from wordlens.core.layer_names import head_long_name
from wordlens.core.transformer.context_model import NO_HEADS_OFF
from wordlens.tui.keys import EXPLORE_ONLY_ACTIONS
from wordlens.tui.models_state import MapState, MapStatus, ModelsState
from wordlens.tui.panes.attention import AttentionPane
from wordlens.tui.panes.model_bar import ModelBar
from wordlens.tui.panes.sentence import SentencePane
from wordlens.tui.panes.static_neighbours import StaticNeighbours
from wordlens.tui.panes.uses import UsesPane
from wordlens.tui.panes.word_comparison import WordComparison
from wordlens.tui.reading import TokenReading
from wordlens.tui.state import ViewState
from wordlens.tui.uses_state import UsesState

if TYPE_CHECKING:
    from wordlens.tui.screens.of_view import ScreenOfView

# The modal screens and what only an action computes are imported by the action that opens them,
# not before the first frame (issue 20: first paint is measured against a one-line Textual app).


def lesson_on(engine, text: str, settings):
    """The lesson on the sentence line's text, or on the classic sentences (with a note saying why) when that
    text cannot carry it (fewer than two words): (lesson, note)."""
    from wordlens.core.errors import InputError
    from wordlens.core.lesson import build_lesson

    if text.strip():
        try:
            return build_lesson(engine, text, settings), ""
        except InputError as error:
            return build_lesson(engine, None, settings), f"{error}: the lesson uses its classic sentences"
    return build_lesson(engine, None, settings), ""


class ExplorerScreen(Screen[None]):
    AUTO_FOCUS = "#text"  # focused as the screen is first shown, before any key is read
    # repaint=False: the panes bound to these repaint themselves; a repaint of the screen re-rendered
    # every widget at each analysis (a full update instead of a partial one; issue 20's profile).
    view: reactive[ViewState] = reactive(ViewState, repaint=False)
    models: reactive[ModelsState] = reactive(ModelsState, repaint=False)
    # Only the static pane reads these: kept out of the view so they repaint that pane alone.
    glove_map: reactive[MapState] = reactive(MapState, repaint=False)
    reading: reactive[TokenReading | None] = reactive(None, repaint=False)
    uses: reactive[UsesState] = reactive(UsesState, repaint=False)  # the uses section (u), in the comparison's place

    def __init__(self, text: str) -> None:
        super().__init__()
        self._initial_text = text
        self.focus_follows_cursor = True  # the focused token is the one at the text cursor

    def compose(self) -> ComposeResult:
        yield ModelBar().data_bind(ExplorerScreen.models)
        yield SentencePane(self._initial_text, id="sentence").data_bind(ExplorerScreen.view)
        with Container(id="panes"):
            with VerticalScroll(id="static"):
                yield StaticNeighbours().data_bind(
                    ExplorerScreen.view, ExplorerScreen.models, ExplorerScreen.glove_map, ExplorerScreen.reading)
            yield AttentionPane(id="attention").data_bind(ExplorerScreen.view, ExplorerScreen.models)
            with VerticalScroll(id="comparison"):
                yield WordComparison().data_bind(ExplorerScreen.view, ExplorerScreen.models)
            with VerticalScroll(id="uses"):
                yield UsesPane().data_bind(ExplorerScreen.view, ExplorerScreen.models, ExplorerScreen.uses)
        yield Footer()

    class Shown(Message):
        """The whole explorer is on screen (the App starts loading the models then)."""

    def on_mount(self) -> None:
        self.query_one("#static").border_title = "static neighbours"
        self.query_one("#comparison").border_title = "static cosine vs attention"
        self.query_one("#uses").border_title = "uses in a corpus (u)"
        self.query_one("#uses").display = False
        self.text_input.focus()
        # The first frame is the model bar and the sentence line (issue 20: first paint, against a
        # one-line app); the panes and the footer, composed and mounted with them, join in the next.
        self._show_panes(False)
        self.call_after_refresh(self._show_the_rest)

    def _show_panes(self, shown: bool) -> None:
        self.query_one("#panes").display = shown
        self.query_one(Footer).display = shown

    def _show_the_rest(self) -> None:
        self._show_panes(True)
        self.call_after_refresh(self.post_message, self.Shown())

    def watch_uses(self, uses: UsesState) -> None:
        if self.is_mounted:
            self.query_one("#uses").display = uses.shown
            self.query_one("#comparison").display = not uses.shown

    @property
    def text_input(self) -> Input:
        return self.query_one("#text", Input)

    def action_explore(self) -> None:
        self._focus_now(self.query_one(AttentionPane).keyboard_target)

    def action_edit(self) -> None:
        self._focus_now(self.text_input)

    def cycle_focus(self, step: int) -> None:
        order = [self.text_input, self.query_one(AttentionPane).keyboard_target, self.query_one("#static"),
                 self.query_one("#comparison"), self.query_one("#uses")]
        order = [widget for widget in order if widget.display]
        current = order.index(self.focused) if self.focused in order else -1
        self._focus_now(order[(current + step) % len(order)])

    def _focus_now(self, widget: Widget) -> None:
        """Move focus before the next queued key is handled (widget.focus() is deferred, so a
        key typed right after tab would still land in the sentence line)."""
        self.set_focus(widget)
        self.focus_follows_cursor = isinstance(widget, Input)

    # ---- exploring: each action gives the view its next value ---------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in EXPLORE_ONLY_ACTIONS and isinstance(self.focused, Input))

    def action_move_focus(self, delta: int) -> None:
        self.focus_follows_cursor = False
        self.app.view = self.app.view.with_focus_moved(delta)

    def action_move_target(self, delta: int) -> None:
        self.app.view = self.app.view.with_target_moved(delta)

    def action_toggle_selected(self) -> None:
        self.app.view = self.app.view.with_selection_toggled()

    def action_layer(self, delta: int) -> None:
        self.app.view = self.app.view.with_layer_moved(delta)

    def action_head(self, delta: int) -> None:
        self.app.view = self.app.view.with_head_moved(delta)

    def action_cycle_aggregate(self) -> None:
        self.app.view = self.app.view.with_next_aggregate()

    def action_toggle(self, flag: str) -> None:
        self.app.view = self.app.view.with_(**{flag: not getattr(self.app.view, flag)})

    def _open_head(self, chosen: tuple[int, int] | None) -> None:
        if chosen is not None:
            self.app.view = self.app.view.with_head(*chosen)

    def action_best_head(self) -> None:
        """Jump to the layer and head where the focused word gives the target word most weight."""
        view = self.app.view
        source, target = view.focused_word, view.target_word
        if view.context is None or source is None or target is None:
            self.app.notify("Focus a word and put the target on another word first.", severity="warning")
            return

        from wordlens.core.measures.derived_views import strongest_heads_from
        from wordlens.tui.screens.head_tables import best_head_note

        def best():
            found = strongest_heads_from(view.analysis, source)[target]
            return found, best_head_note(view, found.layer, found.head)

        def jump(found_and_note) -> None:
            found, note = found_and_note
            words = view.analysis.words
            self.app.view = self.app.view.with_head(found.layer, found.head)
            self.app.notify(f"{words[source].text} → {words[target].text}: {found.weight:.2f} at "
                            f"{head_long_name(found.layer, found.head)}{note}")

        self.app.run_in_background("best head", best, jump)

    # ---- screens over the whole model: numbers computed in the background ----------------
    def _open_screen_of_view(self, screen: type[ScreenOfView], what: str) -> None:
        view = self.app.view
        problem = screen.unavailable(view)
        if problem is not None:
            self.app.notify(problem, severity="warning")
            return
        self.app.run_in_background(what, lambda: screen.numbers(view),
                             lambda numbers: self.app.push_screen(screen.of_view(view, numbers), self._open_head))

    def action_overview(self) -> None:
        from wordlens.tui.screens.overview import OverviewScreen

        self._open_screen_of_view(OverviewScreen, "overview")

    def action_metrics(self) -> None:
        from wordlens.tui.screens.head_tables import MetricsScreen

        self._open_screen_of_view(MetricsScreen, "metrics")

    def action_referents(self) -> None:
        from wordlens.tui.screens.head_tables import ReferentScreen

        self._open_screen_of_view(ReferentScreen, "referents")

    def action_correlation(self) -> None:
        from wordlens.tui.screens.head_tables import CorrelationScreen

        self._open_screen_of_view(CorrelationScreen, "correlation")

    def action_logit_lens(self) -> None:
        """The focused token's next tokens read out of every layer (a decoder only)."""
        from wordlens.core.transformer.next_token import logit_lens
        from wordlens.tui.screens.logit_lens import LENS_TOP, LogitLensScreen, lens_unavailable

        view, model = self.app.view, self.app.engine.model
        problem = lens_unavailable(view, model is not None and model.predicts_tokens)
        if problem is None and model is not None and model.info is not view.context.model:
            problem = "The model changed: wait for the sentence's new analysis."
        if problem is not None or model is None:
            self.app.notify(problem or "", severity="warning")
            return
        context, focus = view.context, view.focus

        def show(rows) -> None:
            screen = LogitLensScreen(rows, context.labels[focus], context.model.name, view.head)
            self.app.push_screen(screen, self._open_head)

        compute = lambda: logit_lens(model, context.hidden_states, focus, LENS_TOP)  # noqa: E731
        self.app.run_in_background("logit lens", compute, show)

    def action_map(self) -> None:
        from wordlens.tui.screens.map import MapScreen

        problem = MapScreen.unavailable(self.app.view)
        if problem is not None:
            self.app.notify(problem, severity="warning")
            return
        self.app.push_screen(MapScreen(self.app.view))

    def action_query(self) -> None:
        from wordlens.tui.screens.query import QueryScreen

        self.app.push_screen(QueryScreen(self.app.engine, self.app.query_history))

    def action_compare(self) -> None:
        from wordlens.tui.screens.compare import CompareScreen

        analysis = self.app.view.analysis
        if analysis is None or analysis.context is None or analysis.static is None:
            self.app.notify("Compare needs both models loaded and a sentence typed.", severity="warning")
            return
        focused = self.app.view.focused_word
        word = analysis.words[focused].text if focused is not None else None
        glove_map = self.app.glove_map
        static_map = glove_map.static_map if glove_map.status is MapStatus.READY else None
        self.app.push_screen(CompareScreen(self.app.engine, analysis, word, self.app.settings, self.app.view.intact,
                                           spec=self.app.view.spec, static_map=static_map))

    # ---- attention's arithmetic, and switching heads off --------------------------------------
    def action_mechanism(self) -> None:
        from wordlens.tui.screens.mechanism import MechanismScreen
        from wordlens.tui.screens.of_view import NEEDS_MODEL

        view, model = self.app.view, self.app.engine.model
        problem = MechanismScreen.unavailable(view)
        if problem is not None or model is None:
            self.app.notify(problem or NEEDS_MODEL, severity="warning")
            return
        self.app.run_in_background("mechanism", lambda: MechanismScreen.numbers_of(view, model),
                                   lambda numbers: self.app.push_screen(MechanismScreen(view, numbers),
                                                                        self._open_head))

    def action_head_off(self) -> None:
        from wordlens.tui.screens.mechanism import heads_off_notice, heads_off_unavailable, toggled_head

        view = self.app.view
        problem = heads_off_unavailable(view)
        if problem is not None:
            self.app.notify(problem, severity="warning")
            return
        self.app.switch_heads_off(toggled_head(self.app.heads_off, view.layer, view.head))
        self.app.notify(heads_off_notice(self.app.heads_off, view.layer, view.head))

    def action_heads_on(self) -> None:
        if self.app.heads_off:
            self.app.switch_heads_off(NO_HEADS_OFF)
            self.app.notify("every head is on again: the intact model")

    def action_toggle_uses(self) -> None:
        self.app.toggle_uses()

    # ---- the lesson: a caption panel over this screen, step by step (screens/lesson.py) ------------
    def action_lesson(self) -> None:
        """The lesson on the sentence line's text (the classic sentences when it is empty)."""
        self.start_lesson(self.text_input.value)

    def start_lesson(self, text: str) -> None:
        from wordlens.tui.screens.lesson import LESSON_SCREEN

        app = self.app
        if app.engine.vectors is None or app.engine.model is None:
            app.notify("The lesson needs both models: wait until the model bar shows them loaded.", severity="warning")
            return
        if app.is_screen_installed(LESSON_SCREEN):
            return
        engine, settings = app.engine, app.settings
        app.run_in_background("lesson", lambda: lesson_on(engine, text, settings), self._open_lesson)

    def _open_lesson(self, lesson_and_note) -> None:
        from wordlens.tui.screens.lesson import LESSON_SCREEN, LessonScreen

        app = self.app
        lesson, note = lesson_and_note
        if app.is_screen_installed(LESSON_SCREEN):
            return
        if note:
            app.notify(note)
        if app.heads_off:  # the lesson's numbers are the intact model's
            app.switch_heads_off(NO_HEADS_OFF)
        self.action_explore()  # the focus stays where each step puts it, not at the text cursor
        app.install_screen(LessonScreen(lesson), LESSON_SCREEN)
        app.push_screen(LESSON_SCREEN)

    def action_export(self) -> None:
        from wordlens.tui.services.saving import export_files

        view, folder = self.app.view, self.app.output_folder or Path.cwd()

        def exported(paths: list[Path]) -> None:
            self.app.notify("\n".join(path.name for path in paths), title=f"exported to {folder}")
            self.app.deliver_to_browser(paths)

        self.app.run_in_background("export", lambda: export_files(view, folder), exported)
