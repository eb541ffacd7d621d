"""The one immutable view state the App owns and hands down to every pane."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from wordlens.core.analysis import Analysis, strongest_heads, word_attention_from
from wordlens.core.errors import WordlensError
from wordlens.core.measures.attention_views import Aggregate, HeadScore, View, ViewSpec, build_view, select_matrix
from wordlens.core.measures.static_vs_context import StaticMap, contextual_static_neighbours, embedding_neighbours


@lru_cache(maxsize=4)  # holds analyses alive: keep it small
def strongest_heads_from(analysis: Analysis, word: int) -> list[HeadScore]:
    """For each word of the sentence, the layer and head where `word` attends to it most."""
    return strongest_heads(word_attention_from(analysis.context, word, len(analysis.words)))


Scored = tuple[tuple[str, float], ...]


@lru_cache(maxsize=256)
def input_table_neighbours(model, token: str) -> Scored:
    """The token's neighbours in the transformer's own (context-free) input embedding table."""
    return tuple(embedding_neighbours(model, token, topn=10))


@dataclass(frozen=True, eq=False)
class TokenReading:
    """What the transformer makes of the focused token: its neighbours in the model's input
    table and, with a fitted map, its hidden state after `layer` read as static words.
    Computed in a worker (tens of ms on 2 cores), so it may lag the view by a frame."""

    analysis: Analysis
    token: int
    layer: int
    input_table: Scored | str  # the neighbours, or why there are none
    in_context: Scored | None  # None: no map fitted

    def is_for(self, view: ViewState) -> bool:
        return self.analysis is view.analysis and self.token == view.focus and self.layer == view.layer


def read_token(model, vectors, static_map: StaticMap | None, analysis: Analysis, token: int, layer: int) -> TokenReading:
    context = analysis.context
    try:
        input_table: Scored | str = input_table_neighbours(model, context.tokens[token])
    except WordlensError as error:
        input_table = str(error)
    in_context = None
    if static_map is not None:
        found = contextual_static_neighbours(static_map, vectors, context, token, layer + 1, topn=10)
        in_context = tuple(found)  # layer + 1: the hidden state that layer's attention produced
    return TokenReading(analysis, token, layer, input_table, in_context)


@lru_cache(maxsize=8)
def token_matrix(analysis: Analysis, aggregate: Aggregate, layer: int, head: int) -> np.ndarray:
    """(T, T) the selected head or aggregate, at token level, computed once per analysis."""
    return select_matrix(analysis.context.attentions, ViewSpec(aggregate, layer, head))


@lru_cache(maxsize=8)  # rollout of a 512-token input costs ~0.1 s: compute it once per view
def attention_view(analysis: Analysis, spec: ViewSpec) -> View:
    context = analysis.context
    return build_view(
        context.attentions, spec, context.tokens, context.special, context.token_word,
        [word.text for word in analysis.words], selected=token_matrix(analysis, spec.aggregate, spec.layer, spec.head),
    )


@dataclass(frozen=True)
class Loading:
    """What a loader is doing: stage text, fraction done, or the error that stopped it."""

    name: str
    stage: str = "waiting"
    fraction: float = 0.0
    done: bool = False


@dataclass(frozen=True, eq=False)
class MapState:
    """The map from the model's layers into the static space: not there yet, being fitted,
    ready, or failed (with the reason)."""

    status: str = "absent"  # absent | fitting | ready | failed
    stage: str = ""
    fraction: float = 0.0
    static_map: StaticMap | None = None
    error: str = ""


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
    selected: frozenset[int] = frozenset()  # tokens whose rows are summed (besides the focus)
    vectors: Loading = field(default_factory=lambda: Loading("vectors"))
    model: Loading = field(default_factory=lambda: Loading("model"))

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
        grid = self.grid
        if grid is None or not 0 <= token < len(grid.units.unit_of_token):
            return None
        unit = grid.units.unit_of_token[token]
        row = int(np.searchsorted(grid.shown_units, unit))
        return row if row < len(grid.shown_units) and grid.shown_units[row] == unit else None

    def token_of_row(self, row: int) -> int:
        """The first token of the unit shown at grid row `row`."""
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
                for (start, end), special in zip(self.analysis.context.offsets, self.analysis.context.special)
            ]
        else:
            spans = [(word.start, word.end) for word in self.analysis.words]
        best = None
        for unit, span in enumerate(spans):
            if span is not None and span[0] < position:
                best = unit
        return best


MAX_ROWS = 40  # long inputs: list the rows around the focused word; rendering thousands stalls
MIN_ROWS = 10


def rows_for(room: int, minimum: int = MIN_ROWS) -> int:
    """How many rows of a long list a pane builds: a page of its height (every line built is
    rendered, seen or not: 40 rows of a 512-token analysis cost ~5 ms of UI thread per edit),
    and at least `minimum`."""
    return max(minimum, min(MAX_ROWS, room))


def window_around(items: list[int], center: int, size: int) -> list[int]:
    """At most `size` consecutive items (sorted), centred on where `center` falls among them."""
    if len(items) <= size:
        return items
    position = int(np.searchsorted(items, center))
    start = max(0, min(position - size // 2, len(items) - size))
    return items[start : start + size]
