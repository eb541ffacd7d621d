"""A pane body whose whole content is a Rich Text built from the view state."""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget

from wordlens.tui.models_state import ModelsState
from wordlens.tui.panes.last_built import LastBuilt
from wordlens.tui.state import ViewState


class TextLines:
    """A Text's lines as strips, rendered as Textual itself renders a widget's Text (its Content,
    the widget's style, wrap and overflow rules), kept while the Text (by identity), width, style
    and text selection stay the same: Textual converts the Text again after every refresh, and
    for a layout once more to measure it (issue 20's profile: ~3 conversions a build).

    A Text that cannot wrap (`text-wrap: nowrap`) has one line per line of text, so its height is
    known without converting it, and only the lines down to the last one painted are converted
    (`prepare`): a pane in a scrolling container shows about half the lines it builds, and the
    rest are converted only when scrolled to."""

    def __init__(self, first_y: int = 0) -> None:
        self._first_y = first_y  # the widget's line the Text's first line is painted on
        self._for: tuple | None = None
        self._strips: list[Strip] = []  # the first lines converted (all of them once `_whole`)
        self._whole = False
        self._count = 0  # lines of the Text

    def _of(self, widget: Widget, text: Text, width: int) -> None:
        style, selection = widget.visual_style, widget.text_selection
        if self._for is not None and self._for[0] is text and self._for[1:] == (width, style, selection):
            return
        self._for = (text, width, style, selection)
        self._strips, self._whole = [], False
        if not width:
            self._whole, self._count = True, 0
        elif selection is not None or widget.styles.text_wrap != "nowrap":  # wraps, or lines counted in the whole
            self._convert(widget, text, width)
        else:
            self._count = lines_of(text.plain)

    def _convert(self, widget: Widget, text: Text, width: int, lines: int | None = None) -> None:
        """Convert the first `lines` lines of `text` (None: all of them)."""
        if lines is not None and lines < self._count:
            text = text[:_offset_of_line(text.plain, lines) - 1]  # less the newline that ends the last
        else:
            self._whole = True
        strips = Visual.to_strips(widget, visualize(widget, text), width, None, widget.visual_style)
        if self._first_y:  # where text selection finds each line (as Textual's Log does)
            strips = [strip.apply_offsets(0, y + self._first_y) for y, strip in enumerate(strips)]
        self._strips = strips
        if self._whole:
            self._count = len(strips)

    def prepare(self, widget: Widget, text: Text, width: int, lines: int) -> None:
        """Convert at least the first `lines` lines (before painting them)."""
        self._of(widget, text, width)
        if not self._whole and len(self._strips) < lines:
            self._convert(widget, text, width, lines)

    def height(self, widget: Widget, text: Text, width: int) -> int:
        """The lines `text` takes `width` wide."""
        self._of(widget, text, width)
        return self._count

    def line(self, widget: Widget, text: Text, y: int) -> Strip:
        """Line `y` of `text` at the widget's width; blank below the text (as Widget.render_line pads)."""
        width = widget.size.width
        self._of(widget, text, width)
        if not 0 <= y < self._count:
            return Strip.blank(width, widget.visual_style.rich_style)
        if y >= len(self._strips):
            self._convert(widget, text, width)
        return self._strips[y]


def lines_of(plain: str) -> int:
    """The lines a Text that does not wrap takes: a final newline starts one more (blank) line."""
    return plain.count("\n") + 1


def _offset_of_line(plain: str, line: int) -> int:
    """Where line `line` (from 0) of `plain` starts."""
    offset = -1
    for _ in range(line):
        offset = plain.index("\n", offset + 1)
    return offset + 1


class LinesWidget(Widget):
    """A widget painted from the Text its `render()` returns, through TextLines (Textual's Line API)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._lines = TextLines()
        self._painting: Text | None = None  # render()'s Text, asked once for all the lines of a paint

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._lines.height(self, self.render(), width)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._painting = self.render()  # its cache key reads sizes: once a paint, not once a line
        self._lines.prepare(self, self._painting, self.size.width, crop.bottom)
        try:
            return super().render_lines(crop)
        finally:
            self._painting = None

    def render_line(self, y: int) -> Strip:
        return self._lines.line(self, self._painting if self._painting is not None else self.render(), y)


class ViewText(LinesWidget):
    """Subclasses implement `build()`. Its result is reused while the view and width stay the
    same, and so are its lines as strips (Textual's Line API): Textual would convert the Text to
    its own Content and wrap it once to measure the height and again to paint, after every
    refresh (issue 20's profile: ~3 conversions a build)."""

    DEFAULT_CSS = "ViewText { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }"
    # repaint=False: the pane repaints itself (inputs_changed), and not while it is hidden (the
    # uses pane, or the comparison in its place): refreshing a hidden widget made Textual arrange
    # the whole screen again to find it (Compositor.full_map), in every frame (issue 20's profile).
    view: reactive[ViewState] = reactive(ViewState, repaint=False)
    models: reactive[ModelsState] = reactive(ModelsState, repaint=False)  # what is still loading

    def __init__(self) -> None:
        super().__init__()
        self._built: LastBuilt[Text] = LastBuilt()
        self._lines_laid_out = -1
        self._rendered: Text | None = None  # the last Text render() returned
        self._measure_queued = False  # a content_changed waits in this pane's queue
        self._changed_while_hidden = False

    def watch_models(self) -> None:
        self.inputs_changed()

    def watch_view(self) -> None:
        self.inputs_changed()

    def inputs_changed(self) -> None:
        """Call when an input of build() changed: repaint, and re-lay out if the line count changed.
        The build runs in this pane's own message queue, not in the App's handler that set the view:
        the event loop runs between the panes' builds (a 512-token analysis costs each ~3-5 ms), so
        keys are read and echoed in between; inputs set together (the view and the reading) are
        built once."""
        if not self._displayed():
            self._changed_while_hidden = True
            return
        self.refresh()
        self._queue_measure()

    def _queue_measure(self) -> None:
        if not self._measure_queued:
            self._measure_queued = True
            self.call_later(self.content_changed)

    def on_show(self) -> None:
        if self._changed_while_hidden:
            self._changed_while_hidden = False
            self.inputs_changed()

    def _displayed(self) -> bool:
        return self.display and all(node.display for node in self.ancestors)

    def content_changed(self) -> None:
        """Re-lay out only if the line count changed."""
        self._measure_queued = False
        lines = lines_of(self.render().plain)  # lines never wrap (text-wrap: nowrap)
        if lines != self._lines_laid_out:
            self._lines_laid_out = lines
            self.refresh(layout=True)

    def inputs(self) -> tuple:
        """What build() reads besides the view and the size (compared by identity)."""
        return ()

    def render(self) -> Text:
        text = self._built.get((self.view, self.models, *self.inputs()), (self.visible_width, self.room), self.build)
        if text is not self._rendered:  # built again: for new inputs, or because the room around it changed
            self._rendered = text
            self._queue_measure()
        return text

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
