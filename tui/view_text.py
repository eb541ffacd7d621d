"""A pane body whose whole content is a Rich Text built from the view state."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from wordlens.tui.view import ViewState


class ViewText(Widget):
    """Subclasses implement `build()`. Its result is reused while the view and width stay the
    same: an auto-height widget is rendered twice per refresh (to measure, then to paint)."""

    DEFAULT_CSS = "ViewText { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }"
    view: reactive[ViewState] = reactive(ViewState, layout=True)

    def __init__(self) -> None:
        super().__init__()
        self._built_for: tuple[ViewState, int, int] | None = None
        self._built = Text()

    def render(self) -> Text:
        key = (self.view, self.size.width, self.room)
        if self._built_for is None or self._built_for[0] is not key[0] or self._built_for[1:] != key[1:]:
            self._built = self.build()
            self._built_for = key
        return self._built

    @property
    def room(self) -> int:
        """Lines visible in the scrolling container this sits in (its own height is its content's)."""
        return self.parent.size.height if self.parent is not None else 0

    def build(self) -> Text:
        raise NotImplementedError
