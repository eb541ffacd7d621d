"""Uses: the focused token's nearest uses in a corpus at the current layer, as concordance lines.

Each line is one sentence of the corpus where the model's hidden state for some token is closest
(by cosine) to the focused token's here: the cosine, the sentence cut to fit around that token
(highlighted), and where the sentence comes from. Everything from the corpus is Text, never markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive

from wordlens.core.layer_names import hidden_state_name
from wordlens.core.uses.concordance import concordance_line
from wordlens.core.uses.corpus import LEE_FILE
from wordlens.tui.panes.loading import waiting_for_text
from wordlens.tui.panes.view_text import ViewText
from wordlens.tui.style.colors import bar
from wordlens.tui.uses_state import UsesState, UsesStatus, hidden_layer, uses_question

COSINE_COLUMN = 5  # "0.83 "
# Narrower than this (the pane at 80 columns is ~36 wide), the source column goes: the sentence
# around its keyword is what reads, and a source cut to a few letters says nothing.
SOURCE_MIN_WIDTH = 44
MAX_SOURCE_WIDTH = 24


class UsesPane(ViewText):
    uses: reactive[UsesState] = reactive(UsesState, repaint=False)  # repainted by inputs_changed, as the view

    def inputs(self) -> tuple:
        return (self.uses,)

    def watch_uses(self) -> None:
        self.inputs_changed()

    def build(self) -> Text:
        state, view = self.uses, self.view
        width = max(20, self.size.width)
        if state.status is UsesStatus.FAILED:
            return Text(f"No uses: {state.error}", style="red")
        if state.status is not UsesStatus.READY or state.index is None:
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append(f"Reading or building the uses index of {state.corpus}…\n", style="bold")
            text.append(bar(state.fraction, max(10, min(30, width - 8))), style="cyan")
            text.append(f" {state.fraction:4.0%}\n", style="dim")
            text.append(state.stage or "starting", style="italic dim")
            text.append("\nOnce per model, cached; the explorer works meanwhile.", style="dim")
            return text
        index = state.index
        question = uses_question(view)
        context = view.context
        if context is None or view.analysis is None or not view.analysis.words:
            return waiting_for_text()
        if question is None:
            return Text("The focused token is a special token: no uses are indexed for it.", style="dim italic")
        layer = hidden_layer(view)
        label = context.labels[view.focus]
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(label, style="bold reverse")
        text.append(f" {hidden_state_name(layer)}", style="bold")
        if layer not in index.layers:
            shown = ", ".join(str(known) for known in index.layers if known > 0)
            text.append(f"\nnot indexed at this layer: uses are indexed after layers {shown} ([ ] to move)",
                        style="yellow")
            return text
        text.append(f" · nearest uses of {index.sentence_count:,} sentences, cosine\n", style="dim")
        answer = state.answer
        if answer is None or answer.question != question:
            text.append(" …", style="dim")
            return text
        line_width, source_width = use_columns(width)
        for use in answer.uses:
            line = concordance_line(use.sentence, use.start, use.end, line_width)
            text.append(f"{use.cosine:4.2f} ", style="bold")
            text.append(line.left, style="")
            text.append(line.keyword, style="bold magenta")
            if source_width:
                text.append(line.right.ljust(line_width - len(line.left) - len(line.keyword)))
                text.append(" " + _cut(short_source(use.source), source_width), style="dim")
            else:
                text.append(line.right)
            text.append("\n")
        text.rstrip()
        return text


def use_columns(width: int) -> tuple[int, int]:
    """(the concordance line's width, the source's; 0: no source column) in a pane `width` wide."""
    source_width = min(MAX_SOURCE_WIDTH, width // 4) if width >= SOURCE_MIN_WIDTH else 0
    return max(10, width - COSINE_COLUMN - (source_width + 1 if source_width else 0)), source_width


def short_source(source: str) -> str:
    """The bundled corpus's sources in few characters: 'Lee 233', 'wiki Alabama'; others as they are."""
    if source.startswith(LEE_FILE + ":"):
        return "Lee " + source.removeprefix(LEE_FILE + ":")
    if source.startswith("enwiki: "):
        return "wiki " + source.removeprefix("enwiki: ")
    return source


def _cut(source: str, width: int) -> str:
    return source if len(source) <= width else source[:width - 1] + "…"
