"""The lesson (`L`, `wordlens lesson`): a caption panel over the live explorer, one step at a time.

The steps and every number of their captions come from core/lesson.py, computed in the background before
the panel opens. Each step puts the explorer where its caption speaks (the sentence, the focused and target
tokens, layer and head) and, for the map (p) and the mechanism (n) steps, opens that screen under the
panel: the panel is popped, the step's screen pushed, the panel pushed back, in one handler, so no key
lands between them.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from wordlens.core.lesson import Lesson, LessonStep, Shown
from wordlens.tui.screens.dialog import Dialog
from wordlens.tui.screens.map import MapScreen
from wordlens.tui.screens.mechanism import MechanismScreen

LESSON_SCREEN = "lesson"  # its installed name: it is popped and pushed back around a step's own screen
KEYS_HINT = "n → next · p ← back · esc leave"
POLL = 0.05  # seconds: how often a step waits for the explorer to show its sentence


def caption_text(lesson: Lesson, index: int) -> Text:
    step = lesson.steps[index]
    text = Text()
    text.append(f"{step.title}\n", style="bold")
    text.append(step.caption)
    return text


class LessonScreen(Dialog[None]):
    BINDINGS = [
        Binding("n,right,pagedown", "step(1)", "next"),
        Binding("p,left,pageup", "step(-1)", "back"),
        Binding("escape,q", "leave", "leave"),
    ]
    DEFAULT_CSS = """
    LessonScreen { background: transparent; align: center bottom; }
    LessonScreen > Vertical {
        dock: bottom; width: 100%; height: auto; max-height: 60%;
        border: heavy $accent; background: $surface; padding: 0 1;
    }
    LessonScreen #lesson-caption { width: 100%; }
    """

    def __init__(self, lesson: Lesson) -> None:
        super().__init__()
        self.lesson = lesson
        self.index = 0
        self.under: Screen | None = None  # the step's own screen (map, mechanism) between explorer and panel
        self._placed = False  # the explorer shows the current step
        self._no_under = False  # the step's own screen cannot open (its numbers failed): the step shows without it
        self._asked = 0  # counts step changes: a late answer for an earlier step is dropped

    @property
    def settled(self) -> bool:
        """The explorer shows the current step, and the step's own screen is open under the panel."""
        return self._placed and (self.step.shown.screen == "explorer" or self.under is not None or self._no_under)

    @property
    def step(self) -> LessonStep:
        return self.lesson.steps[self.index]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="lesson-caption", markup=False)

    def on_mount(self) -> None:
        self.set_interval(POLL, self._place)
        self._show_step()

    # ---- keys ------------------------------------------------------------------------------
    def action_step(self, delta: int) -> None:
        index = min(max(self.index + delta, 0), len(self.lesson.steps) - 1)
        if index != self.index:
            self.index = index
            self._show_step()

    def action_leave(self) -> None:
        app = self.app
        if app.screen is not self:
            return
        app.pop_screen()
        if self.under is not None and app.screen is self.under:
            app.pop_screen()
        self.under = None
        app.uninstall_screen(LESSON_SCREEN)

    # ---- putting the explorer where the step speaks ------------------------------------------
    def _show_step(self) -> None:
        self._asked += 1
        self._placed = self._no_under = False
        panel = self.query_one(Vertical)
        panel.border_title = f"lesson · step {self.index + 1} of {len(self.lesson.steps)}"
        panel.border_subtitle = KEYS_HINT
        self.query_one("#lesson-caption", Static).update(caption_text(self.lesson, self.index))
        line = self.app.explorer.text_input
        if line.value != self.step.shown.text:
            line.value = self.step.shown.text
        self._place()

    def _place(self) -> None:
        """Once the explorer shows the step's sentence: its focus, target, layer and head, then its screen."""
        app = self.app
        if self._placed or app.screen is not self:
            return
        if self.under is not None:
            self._swap(None)
            return
        shown = self.step.shown
        view = app.view
        analysis = view.analysis
        if analysis is None or not analysis.complete or analysis.text != shown.text or view.heads_off:
            return
        app.view = view.with_(focus=shown.focus, target=shown.target, layer=shown.layer, head=shown.head,
                              aggregate="head", words=False, hide_special=False, selected=frozenset())
        self._placed = True
        if shown.screen == "map":
            self._swap(MapScreen(app.view))
        elif shown.screen == "mechanism":
            self._open_mechanism(shown)

    def _open_mechanism(self, shown: Shown) -> None:
        app, asked = self.app, self._asked
        view, model = app.view, app.engine.model
        if model is None or MechanismScreen.unavailable(view) is not None:
            self._no_under = True
            return

        def opened(numbers) -> None:
            if asked == self._asked and app.screen is self and app.view.analysis is view.analysis:
                self._swap(MechanismScreen(view, numbers))

        app.run_in_background("lesson step", lambda: MechanismScreen.numbers_of(view, model), opened)

    def _swap(self, screen: Screen | None) -> None:
        """Put `screen` (None: nothing) between the explorer and this panel."""
        app = self.app
        app.pop_screen()
        if self.under is not None and app.screen is self.under:
            app.pop_screen()
        self.under = screen
        if screen is not None:
            app.push_screen(screen)
        app.push_screen(LESSON_SCREEN)
