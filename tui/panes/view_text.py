"""A pane body whose whole content is a Rich Text built from the view state."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from wordlens.tui.models_state import ModelsState
from wordlens.tui.state import ViewState


class ViewText(Widget):
    """Subclasses implement `build()`. Its result is reused while the view and width stay the
    same: an auto-height widget is rendered twice per refresh (to measure, then to paint)."""

    DEFAULT_CSS = "ViewText { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }"
    # Not layout=True: a new view only re-lays out the screen when the line count changes
    # (the whole screen's layout costs more than painting this pane).
    view: reactive[ViewState] = reactive(ViewState)
    models: reactive[ModelsState] = reactive(ModelsState)  # what is still loading

    def __init__(self) -> None:
        super().__init__()
        self._built_for: tuple | None = None
        self._built = Text()
        self._lines_laid_out = -1

    def watch_models(self) -> None:
        self.call_later(self.content_changed)

    def watch_view(self) -> None:
        # In this pane's own message queue, not in the App's handler that set the view: the
        # event loop runs between the panes' builds (a 512-token analysis costs each ~3-5 ms),
        # so keys are read and echoed in between.
        self.call_later(self.content_changed)

    def content_changed(self) -> None:
        """Call when an input of build() changed: re-lay out only if the line count did."""
        plain = self.render().plain  # lines never wrap (text-wrap: nowrap)
        lines = plain.count("\n") + 1 - plain.endswith("\n")
        if lines != self._lines_laid_out:
            self._lines_laid_out = lines
            self.refresh(layout=True)

    def inputs(self) -> tuple:
        """What build() reads besides the view and the size (compared by identity)."""
        return ()

    def render(self) -> Text:
        key = (self.view, self.models, *self.inputs(), self.visible_width, self.room)
        if self._built_for is None or any(a is not b for a, b in zip(key[:-2], self._built_for[:-2], strict=True)) \
                or self._built_for[-2:] != key[-2:]:
            self._built = self.build()
            self._built_for = key
        return self._built

    @property
    def visible_width(self) -> int:
        """Columns visible in the scrolling container this sits in (less its scrollbar)."""
        if self.parent is None:
            return self.size.width
        return min(self.size.width, self.parent.scrollable_content_region.width) or self.size.width

    @property
    def room(self) -> int:
        """Lines visible in the scrolling container this sits in (its own height is its content's)."""
        return self.parent.size.height if self.parent is not None else 0

    def build(self) -> Text:
        raise NotImplementedError
