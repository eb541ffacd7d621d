"""The main screen: the model bar, the sentence and the three panes. The App hands it the state
as attributes; it decides where the keyboard focus goes and whether the focused token follows
the text cursor (it does while the user types)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Container, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input

from wordlens.tui.models_state import MapState, ModelsState
from wordlens.tui.panes.attention import AttentionGrid, AttentionPane
from wordlens.tui.panes.model_bar import ModelBar
from wordlens.tui.panes.sentence import SentencePane
from wordlens.tui.panes.static_neighbours import StaticNeighbours
from wordlens.tui.panes.word_comparison import WordComparison
from wordlens.tui.reading import TokenReading
from wordlens.tui.state import ViewState


class ExplorerScreen(Screen[None]):
    view: reactive[ViewState] = reactive(ViewState)
    models: reactive[ModelsState] = reactive(ModelsState)
    # Only the static pane reads these: kept out of the view so they repaint that pane alone.
    glove_map: reactive[MapState] = reactive(MapState)
    reading: reactive[TokenReading | None] = reactive(None)

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
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#static").border_title = "static neighbours"
        self.query_one("#comparison").border_title = "static cosine vs attention"
        self.text_input.focus()

    @property
    def text_input(self) -> Input:
        return self.query_one("#text", Input)

    def explore(self) -> None:
        self._focus_now(self.query_one(AttentionGrid))

    def edit(self) -> None:
        self._focus_now(self.text_input)

    def cycle_focus(self, step: int) -> None:
        order = [self.text_input, self.query_one(AttentionGrid), self.query_one("#static"),
                 self.query_one("#comparison")]
        order = [widget for widget in order if widget.display]
        current = order.index(self.focused) if self.focused in order else -1
        self._focus_now(order[(current + step) % len(order)])

    def _focus_now(self, widget: Widget) -> None:
        """Move focus before the next queued key is handled (widget.focus() is deferred, so a
        key typed right after tab would still land in the sentence line)."""
        self.set_focus(widget)
        self.focus_follows_cursor = isinstance(widget, Input)
