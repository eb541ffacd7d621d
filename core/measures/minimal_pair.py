"""A minimal pair read side by side: the shared word's attention row in each sentence, and what its
hidden state reads as in each (its nearest static words through the fitted map).

"The trophy doesn't fit in the suitcase because it is too big / small": the mean difference of the
shared words' attention says the heads differ; the rows say where `it` looks in each sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wordlens.core.analysis import Analysis, attention_from_word, special_mass_from
from wordlens.core.measures.attention_views import ViewSpec
from wordlens.core.measures.derived_views import token_matrix
from wordlens.core.measures.static_vs_context import StaticMap, contextual_static_neighbours, find_word
from wordlens.core.vectors.static_vectors import StaticVectors

READING_WORDS = 6  # nearest static words listed per reading


@dataclass(frozen=True)
class PairSide:
    text: str
    word: int  # index of the shared word in this sentence
    words: tuple[str, ...]
    attention: tuple[float, ...]  # (words,) what the word pays each word of its sentence, in `spec`
    specials: float  # what it pays the special tokens
    reading: tuple[tuple[str, float], ...] | None  # its hidden state's nearest static words; None without a map

    def strongest(self) -> int:
        """The word (not itself) it attends to most."""
        others = [w for w in range(len(self.words)) if w != self.word] or [self.word]
        return max(others, key=lambda w: self.attention[w])


@dataclass(frozen=True)
class MinimalPair:
    word: str
    spec: ViewSpec  # the attention the rows show
    hidden_state: int  # the hidden state read (after spec's layer)
    map_fit: float | None  # the map's held-out top-10 recovery at that hidden state; None without a map
    sides: tuple[PairSide, PairSide]


def minimal_pair(
    first: Analysis, second: Analysis, word: str, spec: ViewSpec,
    static_map: StaticMap | None = None, vectors: StaticVectors | None = None,
) -> MinimalPair:
    """Both sentences' rows for `word` at `spec`, and (with a map and vectors) both readings of it
    after spec's layer. InputError when a sentence lacks the word or the transformer is missing."""
    hidden_state = spec.layer + 1
    sides = tuple(_side(analysis, word, spec, hidden_state, static_map, vectors) for analysis in (first, second))
    fit = None if static_map is None or vectors is None else float(static_map.heldout_top10[hidden_state])
    return MinimalPair(word=word, spec=spec, hidden_state=hidden_state, map_fit=fit, sides=(sides[0], sides[1]))


def _side(analysis: Analysis, word: str, spec: ViewSpec, hidden_state: int, static_map: StaticMap | None,
          vectors: StaticVectors | None) -> PairSide:
    context = analysis.require_context()
    index = find_word(analysis, word)
    matrix = token_matrix(analysis, spec.aggregate, spec.layer, spec.head)
    row = attention_from_word(matrix, context.token_word, index, len(analysis.words))
    reading = None
    pieces = context.tokens_of(index)
    if static_map is not None and vectors is not None and pieces.size:
        # the word's first piece, as the explorer's static pane reads the focused token
        reading = tuple(contextual_static_neighbours(static_map, vectors, context, int(pieces[0]), hidden_state,
                                                     topn=READING_WORDS))
    return PairSide(
        text=analysis.text, word=index, words=tuple(w.text for w in analysis.words),
        attention=tuple(float(value) for value in np.asarray(row)),
        specials=float(special_mass_from(context, index, matrix)), reading=reading,
    )
