"""A tape's `caption TEXT`: one line (or a few) across the top of whatever screen is on top, until the next
caption. It moves to each new screen as the tape opens and closes them."""

from __future__ import annotations

from rich.text import Text
from textual.app import App
from textual.screen import Screen
from textual.widgets import Static


class TapeCaption(Static):
    DEFAULT_CSS = """
    TapeCaption {
        overlay: screen; position: absolute; offset: 0 0; width: 100%; height: auto;
        background: $warning; color: $background; text-style: bold; padding: 0 1;
    }
    """


class Captions:
    """The tape's current caption, kept on the top screen."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.text = ""
        self._widget: TapeCaption | None = None
        app.screen_change_signal.subscribe(app, self._follow)

    def show(self, text: str) -> None:
        self.text = text
        self._follow(self.app.screen)

    def _follow(self, screen: Screen) -> None:
        if self._widget is not None and self._widget.is_attached:
            self._widget.remove()
        self._widget = None
        if self.text:
            self._widget = TapeCaption(Text(self.text), markup=False)
            screen.mount(self._widget)
