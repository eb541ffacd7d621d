"""The comparison: for the focused word, static cosine to each word beside the attention it pays.

This is the point of wordlens: "it" is statically close to "this" and "is", yet in
"France is a country, it is in Europe" some heads send its attention to "France".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from wordlens.core.analysis import Analysis, attention_from_word, special_mass_from
from wordlens.core.function_words import is_function_word
from wordlens.core.layer_names import head_name, hidden_state_name
from wordlens.core.measures.derived_views import strongest_heads_from, token_matrix
from wordlens.core.measures.static_vs_context import drift
from wordlens.core.text import parts_of
from wordlens.core.transformer.context_model import heads_label
from wordlens.core.word_forms import split_note
from wordlens.tui.panes.line_fitting import wrapped
from wordlens.tui.panes.loading import loading_text, waiting_for_text
from wordlens.tui.panes.view_text import ViewText
from wordlens.tui.state import ViewState, rows_for, window_around
from wordlens.tui.style.colors import bar

if TYPE_CHECKING:
    import numpy as np

# The point of the pane is the focused word against every other: a sentence of up to this many
# words is listed whole, however small the pane; longer ones as a window around the focus.
WHOLE_SENTENCE = 24


class WordComparison(ViewText):
    def build(self) -> Text:
        view = self.view
        analysis = view.analysis
        if analysis is None or analysis.static is None or analysis.context is None:
            models = self.models
            waiting = models.model if models.vectors.done else models.vectors
            if not waiting.done:
                return loading_text(waiting, "both models", width=max(10, self.size.width - 8))
            return waiting_for_text()
        if not analysis.words:
            return waiting_for_text()
        focused = view.focused_word
        if focused is None:
            return Text("Move the focus onto a word: special tokens have no static vector.", style="dim italic")
        subwords = [found.from_subwords for found in analysis.static.neighbours]
        if analysis.static.neighbours[focused].key is None and not subwords[focused]:
            return Text(
                f"'{analysis.words[focused].text}' is not in the vocabulary\n"
                f"of {analysis.static.vectors.name}: no static vector to compare.\n"
                "Attention still relates it: see the grid.",
                style="italic",
            )
        import numpy as np

        context = analysis.context
        matrix = token_matrix(analysis, view.aggregate, view.layer, view.head)
        attention = attention_from_word(matrix, context.token_word, focused, len(analysis.words))
        special_mass = float(special_mass_from(context, focused, matrix))
        strongest = strongest_heads_from(analysis, focused)
        cosines = analysis.static.cosine[focused]
        hidden = [view.hide_function_words and is_function_word(word.text) for word in analysis.words]
        width = max(20, self.visible_width)
        word_column = max(7, min(11, width // 4))
        show_strongest = width >= 52
        # each measure: "0.75 " then its bar then a space; the bars take what is left, less one
        # column for the scrollbar the pane shows when the list is longer than it
        bar_width = max(0, min(12, (width - word_column - 13 - (14 if show_strongest else 0)) // 2))
        others = [w for w in range(len(analysis.words)) if w != focused]
        shown = window_around(others, focused, rows_for(self.room, minimum=WHOLE_SENTENCE))

        # the lines that end in a number wrap at spaces, a column short of the pane (its scrollbar)
        fit = width - 1
        text = Text(no_wrap=True, overflow="ellipsis")
        _append_summary(text, analysis, focused, others, cosines, attention, view, fit,
                        mark="~" if subwords[focused] else "", hidden=hidden)
        _append_split(text, analysis, focused, fit)
        if view.hide_function_words:
            text.append("\n")
            text.append_text(wrapped(Text("function words and punctuation: static cosines hidden (F shows them)",
                                          style="dim italic"), fit))
        _append_heads_off(text, analysis, view, fit)
        text.append(f"\n{'word':<{word_column}}", style="dim")
        text.append(f"{'static' if bar_width < 5 else 'static cos':<{bar_width + 7}}", style="dim green")
        text.append(f"{'attn' if bar_width < 8 else 'attn ' + view.spec.short():<{bar_width + 6}}", style="dim cyan")
        if show_strongest:
            text.append("strongest head", style="dim")
        if shown and shown[0] != others[0]:
            text.append(f"\n… {others.index(shown[0])} words before", style="dim italic")
        for w in shown:
            mark = "~" if subwords[w] else ""  # its vector built from n-grams (fastText)
            text.append(f"\n{(analysis.words[w].text[:word_column - 1 - len(mark)] + mark):<{word_column}}")
            if hidden[w]:
                text.append(f"{'    ·':<{bar_width + 7}}", style="dim")
            elif np.isnan(cosines[w]):
                text.append(f"{' oov':<{bar_width + 7}}", style="red dim")
            else:
                text.append(f"{cosines[w]:5.2f}")
                text.append(" " + bar(max(0.0, float(cosines[w])), bar_width) + " ", style="green")
            text.append(f"{attention[w]:5.2f}")
            text.append(bar(float(attention[w]), bar_width).rjust(bar_width + 1), style="cyan")
            if show_strongest:
                best = strongest[w]
                text.append(f"  {best.weight:.2f} {head_name(best.layer, best.head)}", style="dim")
        if shown and shown[-1] != others[-1]:
            text.append(f"\n… {len(others) - 1 - others.index(shown[-1])} words after", style="dim italic")
        text.append("\n")
        text.append_text(wrapped(Text(f"special tokens take {special_mass:.2f} of its attention in "
                                      f"{view.spec.short()}", style="dim italic"), fit))
        if any(subwords):
            text.append("\n")
            text.append_text(wrapped(Text("~ from subwords: a vector built from character n-grams (out of "
                                          "vocabulary)", style="dim italic"), fit))
        _append_drift(text, analysis, view, fit)
        return text


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: np.ndarray, low: float = 0.0, high: float = 1.0) -> str:
    import numpy as np

    scaled = np.clip((np.asarray(values) - low) / (high - low), 0.0, 1.0)
    return "".join(SPARK[min(len(SPARK) - 1, int(value * len(SPARK)))] for value in scaled)


def _append_drift(text: Text, analysis: Analysis, view: ViewState, width: int) -> None:
    """How far attention moves the focused token from its context-free vector (its embedding)."""
    if not 0 <= view.focus < len(analysis.context.tokens):
        return
    values = drift(analysis.context, view.focus)
    line = Text("context drift ", style="dim")
    line.append(sparkline(values), style="magenta")
    line.append(f" {values[0]:.2f}→{values[-1]:.2f}: cosine to its embedding, to {hidden_state_name(len(values) - 1)}",
                style="dim")
    text.append("\n")
    text.append_text(wrapped(line, width))


def _append_split(text: Text, analysis: Analysis, focused: int, width: int) -> None:
    """When the focused word is part of a word split to be looked up (didn't -> did + n't), say so."""
    written = analysis.words[focused].part_of
    if written is None or analysis.static is None:
        return
    note = split_note(written.text, parts_of(analysis.words, focused), analysis.static.vectors.name)
    text.append("\n")
    text.append_text(wrapped(Text(note, style="dim italic"), width))


def _append_heads_off(text: Text, analysis: Analysis, view: ViewState, width: int) -> None:
    """With heads off, the focused token's drift at the last layer against the intact model's."""
    intact = view.intact_context
    if intact is None or not 0 <= view.focus < len(intact.tokens):
        return
    value, baseline = drift(analysis.context, view.focus)[-1], drift(intact, view.focus)[-1]
    text.append("\n")
    # three decimals: at two, 0.385 against 0.384 read "0.39, intact 0.38 (+0.00)"
    text.append_text(wrapped(Text(f"{heads_label(analysis.context.heads_off)} off: drift {value:.3f}, intact "
                                  f"{baseline:.3f} ({value - baseline:+.3f})", style="yellow"), width))


def _append_summary(
    text: Text, analysis: Analysis, focused: int, others: list[int], cosines: np.ndarray, attention: np.ndarray,
    view: ViewState, width: int, mark: str = "", hidden: list[bool] | None = None,
) -> None:
    """The focused word (`mark`: ~ for a vector from subwords), its statically nearest word in the sentence
    and the word it attends to most, each answer on a line of its own (under the word when the pane is narrow)."""
    import numpy as np

    word = analysis.words[focused].text + mark
    text.append(word, style="bold reverse")
    if not others:
        text.append("  is the only word", style="dim")
        return
    lines = []
    known = [w for w in others if not np.isnan(cosines[w]) and not (hidden and hidden[w])]
    if known:
        nearest = max(known, key=lambda w: cosines[w])
        line = Text("static nearest in sentence: ", style="dim")
        line.append(f"{analysis.words[nearest].text}\u00a0{cosines[nearest]:.2f}", style="green")  # kept together
        lines.append(line)
    attended = max(others, key=lambda w: attention[w])
    line = Text(f"attends most ({view.spec.short()}): ", style="dim")
    line.append(f"{analysis.words[attended].text}\u00a0{attention[attended]:.2f}", style="cyan")
    lines.append(line)
    # beside the word, one under the other, where they fit; else each on a line of its own
    beside = len(word) + 2 + max(line.cell_len for line in lines) <= width
    for index, line in enumerate(lines):
        text.append(("  " if index == 0 else "\n" + " " * (len(word) + 2)) if beside else "\n  ")
        text.append_text(wrapped(line, width - (len(word) + 2 if beside else 2), indent=2))
