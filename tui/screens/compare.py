"""Compare mode (`c`): the same word in a second sentence.

Its static vector is the same by construction (one vector per word type); its contextual vector
moves apart layer by layer, and the heads that read the shared words differently are shown.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from wordlens.core.analysis import Analysis, AnalysisSettings
from wordlens.core.engine import Engine
from wordlens.core.errors import Cancelled, WordlensError, first_line
from wordlens.core.layer_names import head_name, hidden_state_name
from wordlens.core.measures.attention_views import ViewSpec
from wordlens.core.measures.minimal_pair import MinimalPair, PairSide, minimal_pair
from wordlens.core.measures.static_vs_context import SentenceComparison, StaticMap, compare, shared_words
from wordlens.core.transformer.context_model import NO_HEADS_OFF, heads_label
from wordlens.tui.panes.sentence_input import OrderedInput
from wordlens.tui.screens.dialog import Dialog
from wordlens.tui.style.colors import bar, heat_cells

SUGGESTIONS = {  # a second sentence that makes the classic point, offered as a placeholder
    "bank": "She sat on the bank of the river.",
}
DIFFERENCE_SCALE = 0.25  # mean |A − B| shown at full heat
WHOLE_ROWS = 16  # sentences up to this many words are listed whole side by side; longer: their strongest words


class SecondAnalysed(Message):
    def __init__(self, analysis: Analysis | None, error: str = "", intact: Analysis | None = None) -> None:
        super().__init__()
        self.analysis, self.error = analysis, error
        self.intact = intact  # with heads switched off: the second sentence with none off


def comparison_text(comparison: SentenceComparison, layers_label_width: int, width: int, no_color: bool,
                    intact: SentenceComparison | None = None) -> Text:
    """`intact`: with heads switched off, the same comparison with none off, shown beside each layer."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(comparison.word, style="bold reverse")
    text.append("  static cosine ", style="dim")
    text.append(f"{comparison.static_cosine:.3f}", style="bold green")
    text.append("  (one vector per word type)\n", style="dim")
    text.append("contextual cosine of its hidden states, layer by layer:\n", style="dim")
    bar_width = max(4, min(40, width - layers_label_width - 10 - (22 if intact is not None else 0)))
    last = len(comparison.layers) - 1
    for layer, value in enumerate(comparison.layers):
        label = hidden_state_name(layer)
        text.append(f"  {label:<{layers_label_width}}")
        text.append(f"{value:6.3f} ", style="bold" if layer in (0, last) else "")
        text.append(bar(max(0.0, float(value)), bar_width), style="magenta")
        if intact is not None:
            baseline = float(intact.layers[layer])
            text.append(f"  intact {baseline:6.3f} {value - baseline:+.3f}", style="yellow")
        text.append("\n")
    text.append(f"  embeddings → last layer: {comparison.change:+.3f}\n", style="italic")
    if comparison.baseline_change is None:
        text.append("  no baseline (the sentences share no other word): no verdict\n", style="dim italic")
    else:
        others = ", ".join(comparison.baseline_words[:6]) + ("…" if len(comparison.baseline_words) > 6 else "")
        text.append(f"  baseline, the other shared words ({others}): at most {comparison.baseline_change:+.3f}\n",
                    style="dim")
        text.append("  attention pulls the two uses apart (beyond the baseline)\n" if comparison.pulled_apart
                    else "  within the baseline: no sign the two uses differ\n", style="dim italic")
    if intact is not None:
        text.append(f"  with heads off; the intact model: {intact.layers[last] - intact.layers[0]:+.3f}\n",
                    style="yellow")
    _append_difference(text, comparison.attention_difference, no_color)
    return text


def side_by_side_text(pair: MinimalPair, width: int, vectors_name: str) -> Text:
    """The shared word's attention row in A beside B (word by word), then what each use reads as."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"'{pair.word}' attends to, {pair.spec.short()}", style="bold")
    text.append("  (the explorer's view: [ ] , . a there)\n", style="dim")
    column = max(20, (width - 2) // 2)
    word_width = max(6, min(14, column - 12))
    bar_width = max(0, min(12, column - word_width - 7))
    a, b = pair.sides
    text.append(f"{'A':<{column}}B\n", style="bold")
    for row in _rows_shown(a, b):
        if row is None:
            text.append("…\n", style="dim")
            continue
        for side, pad in ((a, column), (b, 0)):
            text.append_text(_cell(side, row, word_width, bar_width, pad))
        text.append("\n")
    for side, pad in ((a, column), (b, 0)):
        cell = Text(f"{'specials':<{word_width}} {side.specials:4.2f}", style="dim")
        cell.pad_right(max(0, pad - cell.cell_len))
        text.append_text(cell)
    text.append("\n")
    for name, side in (("A", a), ("B", b)):
        most = side.strongest()
        text.append(f"{name} attends most to ", style="dim")
        text.append(f"{side.words[most]}\u00a0{side.attention[most]:.2f}", style="cyan")
        text.append("   " if name == "A" else "\n")
    if pair.map_fit is None:
        text.append(f"press g in the explorer to read each use as {vectors_name} words\n", style="dim italic")
        return text
    text.append(f"read as {vectors_name} words, {hidden_state_name(pair.hidden_state)} (map fit {pair.map_fit:.2f}):\n",
                style="dim")
    for name, side in (("A", a), ("B", b)):
        line = Text(f"{name} ", style="bold")
        for found, score in side.reading or ():
            line.append(found, style="magenta")
            line.append(f" {score:.2f}  ", style="dim")
        text.append_text(line)
        text.append("\n")
    return text


def _rows_shown(a: PairSide, b: PairSide) -> list[int | None]:
    """Row indices (None: a gap): every row of short sentences, else the rows either side weighs most."""
    rows = max(len(a.words), len(b.words))
    if rows <= WHOLE_ROWS:
        return list(range(rows))
    keep = {a.word, b.word}
    for side in (a, b):
        keep |= set(np.argsort(side.attention)[::-1][:WHOLE_ROWS // 2 - 1].tolist())
    shown: list[int | None] = []
    for row in sorted(keep):
        if shown and shown[-1] is not None and row != shown[-1] + 1:
            shown.append(None)
        shown.append(row)
    return shown


def _cell(side: PairSide, row: int, word_width: int, bar_width: int, pad: int) -> Text:
    cell = Text()
    if row < len(side.words):
        word = side.words[row]
        cell.append(f"{word[:word_width]:<{word_width}}", style="bold reverse" if row == side.word else "")
        cell.append(f" {side.attention[row]:4.2f} ")
        cell.append(bar(side.attention[row], bar_width), style="cyan")
    cell.pad_right(max(0, pad - cell.cell_len))
    return cell


def _append_difference(text: Text, difference: np.ndarray | None, no_color: bool) -> None:
    text.append("\nattention between the shared words, mean |A − B| per head", style="bold")
    if difference is None:
        text.append("\n  the sentences share fewer than two words: nothing to compare", style="dim italic")
        return
    top = DIFFERENCE_SCALE  # fixed, so two comparisons' colours mean the same
    text.append("\n  fixed scale: 0 ", style="dim")
    for cell, style in heat_cells(np.linspace(0, 1, 6), 1, no_color):
        text.append(cell, style=style)
    text.append(f" {top:.2f} and above\n", style="dim")
    layers, heads = difference.shape
    text.append("  layer \\ head " + "".join(f"{head + 1:<3}" for head in range(heads)) + "\n", style="dim")
    for layer in range(layers):
        text.append(f"  {layer + 1:>7}      ", style="dim")
        for cell, style in heat_cells(np.minimum(difference[layer] / top, 1.0), 2, no_color):
            text.append(cell, style=style)
            text.append(" ", style=Style())
        text.append("\n")
    order = np.argsort(-difference, axis=None)[:3]
    most = ", ".join(f"{head_name(index // heads, index % heads)} {difference.flat[index]:.3f}" for index in order)
    text.append(f"  most different: {most}", style="dim")


def rarest(words: list[str], vectors) -> str:
    """The least frequent word with a static vector (vocabularies are ordered by frequency):
    "bank" rather than "the" or "i", the word the comparison is about."""
    ranks = {word: vectors.row_of[vectors.key_for(word)] for word in words if vectors.key_for(word)}
    return max(ranks, key=ranks.get) if ranks else words[0]


class CompareScreen(Dialog[None]):
    """Type a second sentence; ↑ ↓ pick the shared word; esc goes back."""

    BINDINGS = [
        Binding("escape", "dismiss", "close"),
        Binding("up", "pick_word(-1)", "previous word"),
        Binding("down", "pick_word(1)", "next word"),
    ]
    DEFAULT_CSS = """
    CompareScreen { align: center middle; }
    CompareScreen > Vertical {
        width: 95%; max-width: 110; height: 95%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    CompareScreen #first { height: auto; color: $text-muted; }
    CompareScreen #second { margin-bottom: 1; }
    CompareScreen VerticalScroll { height: 1fr; }
    CompareScreen #result { height: auto; text-wrap: nowrap; }
    """

    def __init__(self, engine: Engine, first: Analysis, word: str | None, settings: AnalysisSettings,
                 first_intact: Analysis | None = None, spec: ViewSpec | None = None,
                 static_map: StaticMap | None = None) -> None:
        """`first_intact`: with heads switched off in `first`, the same sentence with none off; `spec`: the
        attention the rows side by side show (the explorer's); `static_map`: to read each use as static words."""
        super().__init__()
        self.spec = spec or ViewSpec(aggregate="mean")
        self.static_map = static_map
        self.engine, self.first, self.settings = engine, first, settings
        self.heads_off = first.context.heads_off if first.context is not None else NO_HEADS_OFF
        self.first_intact = first_intact if self.heads_off else None
        self.second_intact: Analysis | None = None
        self.wanted = word.lower() if word else None  # the focused word, or the one picked with ↑ ↓
        self.word = self.wanted  # the word compared: the wanted one when both sentences have it
        self.second: Analysis | None = None

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            off = f" · heads off: {heads_label(self.heads_off)}" if self.heads_off else ""
            box.border_title = f"compare: the same word in two sentences{off}"
            box.border_subtitle = "↑ ↓ shared word · esc back"
            yield Static(Text.assemble(("A  ", "bold"), self.first.text), id="first")
            example = SUGGESTIONS.get(self.word or "")
            yield OrderedInput(placeholder="B  type a second sentence" + (f", e.g. {example}" if example else ""),
                               id="second")
            with VerticalScroll():
                yield Static(id="result")

    def on_mount(self) -> None:
        second = self.query_one("#second", Input)
        second.focus()
        self._show_hint()
        if second.value:
            self._analyze(second.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._analyze(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()

    @work(thread=True, exclusive=True, group="compare", exit_on_error=False)
    def _analyze(self, text: str) -> None:
        worker = get_current_worker()
        try:
            analysis = self.engine.analyze(text, self.settings, is_cancelled=lambda: worker.is_cancelled,
                                           heads_off=self.heads_off)
            intact = None
            if self.first_intact is not None:
                intact = self.engine.analyze(text, self.settings, is_cancelled=lambda: worker.is_cancelled)
        except Cancelled:
            return
        except WordlensError as error:
            self.post_message(SecondAnalysed(None, str(error)))
        except Exception as error:
            self.post_message(SecondAnalysed(None, f"{type(error).__name__}: {first_line(error)}"))
        else:
            self.post_message(SecondAnalysed(analysis, intact=intact))

    def on_second_analysed(self, message: SecondAnalysed) -> None:
        if message.error:
            self._show(Text(message.error, style="red"))
            return
        if message.analysis.text != self.query_one("#second", Input).value:
            return  # typed on while it was computed
        self.second, self.second_intact = message.analysis, message.intact
        self._refresh_result()

    def action_pick_word(self, step: int) -> None:
        shared = self._shared()
        if not shared:
            return
        position = shared.index(self.word) if self.word in shared else -1
        self.wanted = shared[(position + step) % len(shared)]
        self._refresh_result()

    def _shared(self) -> list[str]:
        if self.second is None or self.first.context is None or self.second.context is None:
            return []
        return shared_words(self.first, self.second)

    def _refresh_result(self) -> None:
        if self.second is None or not self.second.words:
            self._show_hint()
            return
        if self.engine.vectors is None or self.first.context is None or self.second.context is None:
            self._show(Text("Both models must be loaded to compare: wait a moment.", style="yellow"))
            return
        shared = self._shared()
        if not shared:
            self._show(Text("The two sentences share no word yet.", style="dim italic"))
            return
        self.word = self.wanted if self.wanted in shared else rarest(shared, self.engine.vectors)
        try:
            comparison = compare(self.first, self.second, self.word, self.engine.vectors)
            intact = None
            if self.first_intact is not None and self.second_intact is not None:
                intact = compare(self.first_intact, self.second_intact, self.word, self.engine.vectors)
        except WordlensError as error:
            self._show(Text(str(error), style="red"))
            return
        text = Text("shared words: ", style="dim")
        for word in shared:
            text.append(word, style="bold reverse" if word == self.word else "")
            text.append(" ")
        text.append("\n\n")
        width = self.query_one("#result").size.width or 80
        pair = minimal_pair(self.first, self.second, self.word, self.spec, self.static_map, self.engine.vectors)
        text.append_text(side_by_side_text(pair, width, self.engine.vectors.info.name))
        text.append("\n")
        text.append_text(comparison_text(comparison, 14, width, self.app.no_color, intact))
        self._show(text)

    def _show_hint(self) -> None:
        word = f"'{self.word}'" if self.word else "a word of sentence A"
        self._show(Text(f"Type a second sentence that uses {word} in another sense.", style="dim italic"))

    def _show(self, text: Text) -> None:
        self.query_one("#result", Static).update(text)
