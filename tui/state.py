"""The one immutable view state the App owns and hands down to every pane."""

from __future__ import annotations

from dataclasses import dataclass, replace

from wordlens.core.analysis import Analysis
from wordlens.core.measures.attention_views import AGGREGATES, Aggregate, View, ViewSpec
from wordlens.core.measures.derived_views import attention_view
from wordlens.core.transformer.context_model import NO_HEADS_OFF, HeadsOff


@dataclass(frozen=True)
class ViewState:
    analysis: Analysis | None = None
    focus: int = 0  # the focused unit: a token once the model is loaded, a word before
    target: int = 0  # the attended-to token under the grid's cursor
    layer: int = 0
    head: int = 0
    aggregate: Aggregate = "head"  # one head, or the layer's head mean / max, or rollout to the layer
    words: bool = False  # merge subword pieces into words
    hide_special: bool = False  # drop [CLS]/[SEP]... rows and columns, renormalise rows
    dense: bool = False  # half-block cells: two rows per text line, one column per character
    hide_function_words: bool = False  # leave function words out of the in-sentence static cosines
    selected: frozenset[int] = frozenset()  # tokens whose rows are summed (besides the focus)
    # With heads switched off (analysis.context.heads_off): the same text with none off, the
    # baseline the panes show the change against; None otherwise.
    intact: Analysis | None = None

    def with_(self, **changes) -> ViewState:
        return replace(self, **changes)

    @property
    def spec(self) -> ViewSpec:
        return ViewSpec(self.aggregate, self.layer, self.head, self.words, self.hide_special)

    @property
    def grid(self) -> View | None:
        """The matrix the attention pane shows, or None before the model has answered."""
        if self.analysis is None or self.analysis.context is None or not self.analysis.context.tokens:
            return None
        return attention_view(self.analysis, self.spec)

    def row_of_token(self, token: int) -> int | None:
        """The grid row (= column) showing `token`, None when its unit is hidden."""
        import numpy as np

        grid = self.grid
        if grid is None or not 0 <= token < len(grid.units.unit_of_token):
            return None
        unit = grid.units.unit_of_token[token]
        row = int(np.searchsorted(grid.shown_units, unit))
        return row if row < len(grid.shown_units) and grid.shown_units[row] == unit else None

    def token_of_row(self, row: int) -> int:
        """The first token of the unit shown at grid row `row`."""
        import numpy as np

        grid = self.grid
        unit = grid.shown_units[row]
        return int(np.flatnonzero(grid.units.unit_of_token == unit)[0])

    def nearest_row(self, token: int) -> int:
        """The row of `token`, or of the nearest shown token before it (hidden specials)."""
        grid = self.grid
        for candidate in list(range(token, -1, -1)) + list(range(token + 1, len(grid.units.unit_of_token))):
            row = self.row_of_token(candidate)
            if row is not None:
                return row
        return 0

    @property
    def selected_rows(self) -> list[int]:
        """Grid rows whose attention is summed: the focused one plus any selected."""
        rows = {self.row_of_token(token) for token in self.selected | {self.focus}}
        return sorted(row for row in rows if row is not None)

    @property
    def unit_count(self) -> int:
        """How many units the focus moves over: tokens, or words while the model loads."""
        if self.analysis is None:
            return 0
        if self.analysis.context is not None:
            return len(self.analysis.context.tokens)
        return len(self.analysis.words)

    @property
    def focused_word(self) -> int | None:
        """Index into analysis.words of the focused unit, None for special tokens or no text."""
        return self.word_of_unit(self.focus)

    @property
    def target_word(self) -> int | None:
        return self.word_of_unit(self.target)

    def word_of_unit(self, unit: int) -> int | None:
        if self.analysis is None or not 0 <= unit < self.unit_count:
            return None
        if self.analysis.context is None:
            return unit
        word = self.analysis.context.word_of(unit)
        return word if word >= 0 else None

    def unit_at_char(self, position: int) -> int | None:
        """The unit that ends at or covers the character before `position` (the text cursor)."""
        if self.analysis is None:
            return None
        if self.analysis.context is not None:
            spans = [
                (int(start), int(end)) if not special else None
                for (start, end), special in zip(
                    self.analysis.context.offsets, self.analysis.context.special, strict=True
                )
            ]
        else:
            spans = [(word.start, word.end) for word in self.analysis.words]
        best = None
        for unit, span in enumerate(spans):
            if span is not None and span[0] < position:
                best = unit
        return best

    # ---- moves: each gives the next view; the App only assigns it ------------------------
    @property
    def context(self):
        return self.analysis.context if self.analysis is not None else None

    @property
    def heads_off(self) -> HeadsOff:
        context = self.context
        return context.heads_off if context is not None else NO_HEADS_OFF

    @property
    def intact_context(self):
        """The intact model's ContextPart of the same tokens while heads are off, else None."""
        context = self.context
        intact = self.intact.context if self.intact is not None else None
        if context is None or intact is None or intact.tokens != context.tokens or not context.heads_off:
            return None
        return intact

    def moved(self, token: int, delta: int) -> int:
        """The token `delta` grid rows away (words and hidden specials count as shown)."""
        grid = self.grid
        if grid is None or not grid.labels:  # no rows shown (only special tokens, and they are hidden)
            return clamp(token + delta, self.unit_count)
        return self.token_of_row(clamp(self.nearest_row(token) + delta, len(grid.labels)))

    def with_focus_moved(self, delta: int) -> ViewState:
        return self.with_(focus=self.moved(self.focus, delta))

    def with_target_moved(self, delta: int) -> ViewState:
        return self.with_(target=self.moved(self.target, delta))

    def with_focus_on(self, unit: int) -> ViewState:
        """Focus `unit`, and put the target on what it attends to most."""
        moved = self.with_(focus=unit)
        return moved.with_(target=moved.strongest_target(fallback=self.target))

    def with_layer_moved(self, delta: int) -> ViewState:
        context = self.context
        return self if context is None else self.with_(layer=(self.layer + delta) % context.model.layers)

    def with_head_moved(self, delta: int) -> ViewState:
        context = self.context
        if context is None:
            return self
        return self.with_(head=(self.head + delta) % context.model.heads, aggregate="head")

    def with_next_aggregate(self) -> ViewState:
        return self.with_(aggregate=AGGREGATES[(AGGREGATES.index(self.aggregate) + 1) % len(AGGREGATES)])

    def with_head(self, layer: int, head: int) -> ViewState:
        return self.with_(layer=layer, head=head, aggregate="head")

    def with_selection_toggled(self) -> ViewState:
        """Add the focused token's row to the rows whose attention is summed, or take it out."""
        return self.with_(selected=self.selected ^ {self.focus})

    def strongest_target(self, fallback: int) -> int:
        """The non-special token the focused token attends to most in the current head."""
        context = self.context
        if context is None or not 0 <= self.focus < len(context.tokens):
            return fallback
        row = context.attentions[self.layer, self.head, self.focus].copy()
        row[context.special] = -1.0
        return int(row.argmax())

    def showing(self, analysis: Analysis, cursor_unit: int | None) -> ViewState:
        """This view with a new analysis: the selection kept only for the same text, focus and
        target kept inside it (or the focus on `cursor_unit`, the unit at the text cursor, when
        it follows typing), layer and head inside the model."""
        view = self.with_(analysis=analysis)
        if self.analysis is None or self.analysis.text != analysis.text:
            view = view.with_(selected=frozenset())
        elif (self.context is None) != (analysis.context is None):  # words became tokens, or back
            view = view.with_(focus=self.unit_in(analysis, self.focus), target=self.unit_in(analysis, self.target),
                              selected=frozenset(self.unit_in(analysis, unit) for unit in self.selected))
        focus, target = view.focus, view.target
        if cursor_unit is not None:
            focus = cursor_unit
            target = view.with_(focus=focus).strongest_target(fallback=target)
        layer, head = view.layer, view.head
        context = view.context
        if context is not None:
            layer = min(layer, context.model.layers - 1)
            head = min(head, context.model.heads - 1)
        count = view.unit_count
        return view.with_(focus=clamp(focus, count), target=clamp(target, count), layer=layer, head=head)

    def unit_in(self, analysis: Analysis, unit: int) -> int:
        """This view's `unit` as a unit of `analysis` (same text): a word's first token, a token's word."""
        word = self.word_of_unit(unit)
        if analysis.context is None:
            return 0 if word is None else word
        tokens = [token for token in range(len(analysis.context.tokens)) if analysis.context.word_of(token) == word]
        return tokens[0] if tokens and word is not None else unit

    def parts(self) -> int:
        """How complete the analysis shown is: -1 none, then one per model that answered."""
        if self.analysis is None:
            return -1
        return (self.analysis.static is not None) + (self.analysis.context is not None)


def clamp(value: int, count: int) -> int:
    return max(0, min(value, count - 1)) if count else 0


MAX_ROWS = 40  # long inputs: list the rows around the focused word; rendering thousands stalls
MIN_ROWS = 10


def rows_for(room: int, minimum: int = MIN_ROWS) -> int:
    """How many rows of a long list a pane builds: a page of its height (every line built is
    rendered, seen or not: 40 rows of a 512-token analysis cost ~5 ms of UI thread per edit),
    and at least `minimum`."""
    return max(minimum, min(MAX_ROWS, room))


def window_around(items: list[int], center: int, size: int) -> list[int]:
    """At most `size` consecutive items (sorted), centred on where `center` falls among them."""
    import numpy as np

    if len(items) <= size:
        return items
    position = int(np.searchsorted(items, center))
    start = max(0, min(position - size // 2, len(items) - size))
    return items[start : start + size]
