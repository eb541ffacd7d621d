"""Static neighbours: the focused word's nearest vocabulary words, and a line for every word."""

from __future__ import annotations

from rich.cells import set_cell_size
from rich.text import Text
from textual.reactive import reactive

from wordlens.core.layer_names import hidden_state_name
from wordlens.core.text import parts_of
from wordlens.core.transformer.next_token import Prediction
from wordlens.core.transformer.tokens import readable_label
from wordlens.core.vectors.static_vectors import NeighbourList
from wordlens.core.word_forms import split_note
from wordlens.tui.models_state import MapState, MapStatus
from wordlens.tui.panes.line_fitting import packed, wrapped
from wordlens.tui.panes.loading import loading_text, waiting_for_text
from wordlens.tui.panes.view_text import ViewText
from wordlens.tui.reading import TokenReading
from wordlens.tui.state import ViewState, rows_for, window_around
from wordlens.tui.style.colors import bar

WORD_COLUMN = 12


class StaticNeighbours(ViewText):
    """Renders from the view state; sits in a scrolling, titled container. Below the static
    vectors' neighbours come the transformer's own: in its input table (before attention) and,
    through a fitted map, its hidden state in context read as static words."""

    glove_map: reactive[MapState] = reactive(MapState, repaint=False)  # repainted by inputs_changed, as the view
    reading: reactive[TokenReading | None] = reactive(None, repaint=False)

    def __init__(self) -> None:
        super().__init__()
        self._focused_shown: tuple | None = None

    def inputs(self) -> tuple:
        return (self.glove_map, self.reading)

    def watch_view(self) -> None:
        super().watch_view()
        # the focused word's own list is at the top: a new focus brings it back into sight
        focused = (self.view.analysis.text, self.view.focused_word) if self.view.analysis else None
        if focused != self._focused_shown:
            self._focused_shown = focused
            if self.parent is not None and focused is not None:
                self.parent.call_after_refresh(self.parent.scroll_home, animate=False)

    def watch_glove_map(self) -> None:
        self.inputs_changed()

    def watch_reading(self) -> None:
        self.inputs_changed()

    def build(self) -> Text:
        view = self.view
        static = view.analysis.static if view.analysis else None
        if static is None:
            if not self.models.vectors.done:
                return loading_text(self.models.vectors, "static vectors", width=max(10, self.size.width - 8))
            return waiting_for_text()
        if not view.analysis.words:
            return waiting_for_text()
        width = max(20, self.visible_width)
        text = Text(no_wrap=True, overflow="ellipsis")
        focused = view.focused_word
        if focused is None:
            text.append("The focused token is a special token: it has no static vector.\n", style="dim italic")
        else:
            # leave room below for the transformer's own neighbours (two blocks of three lines)
            shown = (
                max(5, min(view.analysis.settings.topn, self.room - 9))
                if view.analysis.context else view.analysis.settings.topn
            )
            written = view.analysis.words[focused].part_of
            if written is not None:
                note = split_note(written.text, parts_of(view.analysis.words, focused), static.vectors.name)
                text.append_text(wrapped(Text(note, style="dim italic"), width - 1))
                text.append("\n")
            _append_focused(text, static.neighbours[focused], static.vectors.name, width, shown)
        self._append_transformer_views(text, view, width)
        text.append("\n")
        # the note is cut to what fits beside the title: the list below keeps its first line
        notes = (f"its nearest in the vocabulary (top {static.restrict_vocab:,})", "its nearest in the vocabulary",
                 "nearest in the vocabulary")
        note = next((note for note in notes if len("every word  " + note) <= width - 1), notes[-1])
        text.append("every word", style="bold")
        text.append(f"  {note}", style="dim")
        text.append("\n")
        indices = window_around(list(range(len(static.neighbours))), focused or 0, rows_for(self.room))
        if indices and indices[0] > 0:
            text.append(f" … {indices[0]} words before\n", style="dim italic")
        for index in indices:
            _append_compact(text, static.neighbours[index], width, is_focused=index == focused)
        if indices and indices[-1] < len(static.neighbours) - 1:
            text.append(f" … {len(static.neighbours) - 1 - indices[-1]} words after\n", style="dim italic")
        text.rstrip()
        return text


    def _append_transformer_views(self, text: Text, view: ViewState, width: int) -> None:
        context = view.analysis.context
        if context is None or not 0 <= view.focus < len(context.tokens) or context.special[view.focus]:
            return
        reading = self.reading if self.reading is not None and self.reading.is_for(view) else None
        if reading is not None and reading.next_tokens is not None:  # a decoder's answer, first: it must show
            _append_next_tokens(text, context.labels[view.focus], reading.next_tokens, width)
        text.append("\n")
        text.append_text(heading(f"{context.model.name} input table",
                                 f"'{context.labels[view.focus]}', before attention", width - 1))
        text.append("\n")
        if reading is None:
            text.append(" …\n\n", style="dim")
        elif isinstance(reading.input_table, str):
            text.append(f" {reading.input_table}\n", style="dim italic")
        else:
            _append_word_list(text, reading.input_table, width, "yellow")
        self._append_in_context(text, view, reading, width)

    def _append_in_context(self, text: Text, view: ViewState, reading: TokenReading | None, width: int) -> None:
        state = self.glove_map
        name = view.analysis.static.vectors.name
        title = f"in context, {hidden_state_name(view.layer + 1)}"
        text.append("\n")
        if state.status is MapStatus.READY:
            quality = float(state.static_map.heldout_top10[view.layer + 1])
            text.append_text(heading(title, f"read as {name} words (map fit {quality:.2f})", width - 1))
            text.append("\n")
            if reading is None or reading.in_context is None:
                text.append(" …\n\n", style="dim")
            else:
                _append_word_list(text, reading.in_context, width, "magenta")
            return
        text.append(title, style="bold")
        if state.status is MapStatus.FITTING:
            text.append(f"  fitting the map into {name}…\n", style="dim")
            text.append(" " + bar(state.fraction, max(10, min(30, width - 10))), style="magenta")
            text.append(f" {state.fraction:4.0%} {state.stage}\n", style="dim")
        elif state.status is MapStatus.FAILED:
            text.append(f"\n {state.error}\n", style="dim italic")
        else:
            text.append(f"\n press g to read it as {name} words (fits a map once, ~1 min)\n", style="dim italic")


def heading(title: str, note: str, width: int) -> Text:
    """A bold title and its dim note: on one line where they fit, else the note on the next (wrapped)."""
    return packed([Text(title, style="bold"), wrapped(Text(note, style="dim"), width - 1)], width, separator="  ",
                  indent=1)


def _append_next_tokens(text: Text, token: str, predictions: tuple[Prediction, ...], width: int) -> None:
    """The decoder's own next tokens after the focused one, with their probabilities."""
    text.append("\nnext token", style="bold")
    text.append(f"  after '{token}' · f: by layer\n", style="dim")
    _append_word_list(text, [(readable_label(p.text), p.prob) for p in predictions], width, "green")


def _append_word_list(text: Text, items: list[tuple[str, float]], width: int, color: str, lines: int = 2) -> None:
    """Words with their cosine, filled into at most `lines` lines of the pane."""
    line_length, line_count = 0, 1
    text.append(" ")
    for word, score in items:
        entry = f"{word} {score:.2f}  "
        if line_length + len(entry) > width - 2:
            if line_count == lines:
                break
            text.append("\n ")
            line_length, line_count = 0, line_count + 1
        text.append(word, style=color)
        text.append(f" {score:.2f}  ", style="dim")
        line_length += len(entry)
    text.append("\n")


def _append_focused(text: Text, found: NeighbourList, vectors_name: str, width: int, shown: int) -> None:
    text.append(found.word, style="bold reverse")
    if found.from_subwords:
        text.append(f"  from subwords: not in the vocabulary of {vectors_name}, its vector built from its "
                    "character n-grams\n", style="yellow")
    elif not found.in_vocab:
        text.append(f"  not in the vocabulary of {vectors_name}\n", style="red")
        return
    elif found.key != found.word:
        text.append(f"  as '{found.key}'", style="dim")
    notes = ("  nearest in the vocabulary, cosine", "  nearest in the vocabulary", "\n nearest in the vocabulary")
    text.append(next((note for note in notes if len(found.word) + len(note) <= width - 1), notes[-1]) + "\n",
                style="dim")
    bar_width = max(4, min(20, width - WORD_COLUMN - 9))  # a column for the pane's scrollbar
    for item in found.items[:shown]:
        text.append(f" {set_cell_size(item.word[:WORD_COLUMN - 1], WORD_COLUMN)}")  # 東京 takes 4 cells
        text.append(f"{item.cosine:5.2f} ", style="bold")
        text.append(bar(item.cosine, bar_width), style="green")
        text.append("\n")


def _append_compact(text: Text, found: NeighbourList, width: int, is_focused: bool) -> None:
    marker = "▶" if is_focused else " "
    text.append(marker + set_cell_size(found.word[:WORD_COLUMN - 1], WORD_COLUMN), style="bold" if is_focused else "")
    if not found.in_vocab and not found.from_subwords:
        text.append("not in vocabulary\n", style="red italic")
        return
    room = width - WORD_COLUMN - 1
    if found.from_subwords:
        text.append("(from subwords) ", style="yellow italic")
        room -= len("(from subwords) ")
    line = ""
    for item in found.items:
        candidate = f"{line}, {item.word}" if line else item.word
        if len(candidate) > room:
            break
        line = candidate
    text.append(line + "\n", style="" if is_focused else "dim")
