"""Static neighbours: the focused word's nearest vocabulary words, and a line for every word."""

from __future__ import annotations

from rich.text import Text

from wordlens.core.static import NeighbourList
from wordlens.tui.colors import bar
from wordlens.tui.loading import loading_text, waiting_for_text
from wordlens.tui.view import MAX_ROWS, window_around
from wordlens.tui.view_text import ViewText

WORD_COLUMN = 12


class StaticNeighbours(ViewText):
    """Renders from the view state; sits in a scrolling, titled container."""

    def build(self) -> Text:
        view = self.view
        static = view.analysis.static if view.analysis else None
        if static is None:
            if not view.vectors.done:
                return loading_text(view.vectors, "static vectors", width=max(10, self.size.width - 8))
            return waiting_for_text()
        if not view.analysis.words:
            return waiting_for_text()
        width = max(20, self.size.width)
        text = Text(no_wrap=True, overflow="ellipsis")
        focused = view.focused_word
        if focused is None:
            text.append("The focused token is a special token: it has no static vector.\n", style="dim italic")
        else:
            _append_focused(text, static.neighbours[focused], static.vectors.name, width)
        text.append("\nevery word", style="bold")
        text.append(f"  (nearest of the {static.restrict_vocab:,} most frequent)\n", style="dim")
        indices = window_around(list(range(len(static.neighbours))), focused or 0, MAX_ROWS)
        if indices and indices[0] > 0:
            text.append(f" … {indices[0]} words before\n", style="dim italic")
        for index in indices:
            _append_compact(text, static.neighbours[index], width, is_focused=index == focused)
        if indices and indices[-1] < len(static.neighbours) - 1:
            text.append(f" … {len(static.neighbours) - 1 - indices[-1]} words after\n", style="dim italic")
        text.rstrip()
        return text


def _append_focused(text: Text, found: NeighbourList, vectors_name: str, width: int) -> None:
    text.append(found.word, style="bold reverse")
    if not found.in_vocab:
        text.append(f"  not in the vocabulary of {vectors_name}\n", style="red")
        return
    if found.key != found.word:
        text.append(f"  as '{found.key}'", style="dim")
    text.append("  nearest words, cosine\n", style="dim")
    bar_width = max(4, min(20, width - WORD_COLUMN - 8))
    for item in found.items:
        text.append(f" {item.word[:WORD_COLUMN - 1]:<{WORD_COLUMN}}")
        text.append(f"{item.cosine:5.2f} ", style="bold")
        text.append(bar(item.cosine, bar_width), style="green")
        text.append("\n")


def _append_compact(text: Text, found: NeighbourList, width: int, is_focused: bool) -> None:
    marker = "▶" if is_focused else " "
    text.append(f"{marker}{found.word[:WORD_COLUMN - 1]:<{WORD_COLUMN}}", style="bold" if is_focused else "")
    if not found.in_vocab:
        text.append("not in vocabulary\n", style="red italic")
        return
    room = width - WORD_COLUMN - 1
    line = ""
    for item in found.items:
        candidate = f"{line}, {item.word}" if line else item.word
        if len(candidate) > room:
            break
        line = candidate
    text.append(line + "\n", style="" if is_focused else "dim")
