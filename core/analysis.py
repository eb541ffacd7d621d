"""The immutable result of analysing one sentence, and pure views derived from it.

An `Analysis` has a static part (one vector per word) and a contextual part (one row of
attention per token); either is None while its model is still loading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wordlens.core.measures.attention_views import HeadScore
from wordlens.core.memo import Memo
from wordlens.core.text import Word
from wordlens.core.transformer.context_model import NO_HEADS_OFF, CapturedArithmetic, HeadsOff, ModelInfo
from wordlens.core.vectors.static_vectors import DEFAULT_RESTRICT_VOCAB, NeighbourList, VectorsInfo

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class AnalysisSettings:
    topn: int = 10
    restrict_vocab: int | None = DEFAULT_RESTRICT_VOCAB


@dataclass(frozen=True, eq=False)
class StaticPart:
    vectors: VectorsInfo
    restrict_vocab: int  # candidates scanned for neighbours (effective value)
    neighbours: tuple[NeighbourList, ...]  # one per word
    cosine: np.ndarray  # (W, W) static cosine between the sentence's words, NaN when OOV


@dataclass(frozen=True, eq=False)
class ContextPart:
    model: ModelInfo
    tokens: tuple[str, ...]
    offsets: np.ndarray  # (T, 2)
    special: np.ndarray  # (T,) bool
    token_word: np.ndarray  # (T,) index into Analysis.words, -1 for special tokens
    attentions: np.ndarray  # (layers, heads, T, T), raw weights as the model returns them
    hidden_states: np.ndarray  # (layers + 1, T, hidden)
    truncated: bool
    ids: tuple[int, ...] = ()  # each token's row in the model's input table
    # the queries and keys of every layer, from the same forward pass; None when the runtime cannot capture them
    captured: CapturedArithmetic | None = None
    heads_off: HeadsOff = NO_HEADS_OFF  # the heads switched off in the forward pass that made it
    # The tokens as one-line text for display (byte-level ones decoded: `ĠParis` -> `␣Paris`);
    # empty: the tokens themselves.
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.labels:
            object.__setattr__(self, "labels", self.tokens)

    def word_of(self, token: int) -> int:
        return int(self.token_word[token])

    def tokens_of(self, word: int) -> np.ndarray:
        import numpy as np

        return np.flatnonzero(self.token_word == word)


DERIVED_VIEWS = 16  # per analysis: each at most a (T, T) float32 matrix, 1 MB at 512 tokens


@dataclass(frozen=True, eq=False)
class Analysis:
    text: str
    settings: AnalysisSettings
    words: tuple[Word, ...]
    static: StaticPart | None
    context: ContextPart | None
    words_cut: bool = False  # the text has more words than `words` (see text.MAX_WORDS)
    # Views derived from this analysis (core/measures/derived_views.py), memoised: they live as
    # long as it does, and count in the engine's cache budget while the engine holds it.
    derived: Memo = field(default_factory=lambda: Memo(max_entries=DERIVED_VIEWS), init=False, repr=False)

    @property
    def complete(self) -> bool:
        return self.static is not None and self.context is not None

    def require_static(self) -> StaticPart:
        """The static part, for a measure that needs it; ValueError while the vectors are missing."""
        if self.static is None:
            raise ValueError("this analysis has no static part (no word vectors loaded yet)")
        return self.static

    def require_context(self) -> ContextPart:
        """The contextual part, for a measure that needs it; ValueError while the model is missing."""
        if self.context is None:
            raise ValueError("this analysis has no contextual part (no transformer loaded yet)")
        return self.context


def freeze(array: np.ndarray) -> np.ndarray:
    import numpy as np

    array = np.ascontiguousarray(array)
    array.flags.writeable = False
    return array


def word_attention_from(context: ContextPart, word: int, n_words: int) -> np.ndarray:
    """(layers, heads, n_words): attention the pieces of `word` pay to each word, every head."""
    return attention_from_word(context.attentions, context.token_word, word, n_words)


def attention_from_word(matrices: np.ndarray, token_word: np.ndarray, word: int, n_words: int) -> np.ndarray:
    """(..., n_words) from (..., T, T): the attention the pieces of `word` pay to each word.

    From a word: the mean over its pieces' rows. To a word: the sum over its pieces' columns.
    Special tokens belong to no word, so a row sums to 1 minus the mass on special tokens.
    """
    import numpy as np

    rows = np.flatnonzero(token_word == word)
    if rows.size == 0:
        return np.zeros(matrices.shape[:-2] + (n_words,), dtype=np.float32)
    from_word = matrices[..., rows, :].mean(axis=-2)  # (..., T)
    return sum_columns_by_word(from_word, token_word, n_words)


def sum_columns_by_word(values: np.ndarray, token_word: np.ndarray, n_words: int) -> np.ndarray:
    """(..., n_words) from (..., T): each word's columns summed (special tokens dropped).
    A sum over runs of columns, not a (T x n_words) product: at 512 tokens, ~30x faster."""
    import numpy as np

    columns = np.flatnonzero(token_word >= 0)
    result = np.zeros(values.shape[:-1] + (n_words,), dtype=np.float32)
    if columns.size == 0:
        return result
    words = token_word[columns]
    run_starts = np.flatnonzero(np.r_[True, words[1:] != words[:-1]])
    runs = np.add.reduceat(values[..., columns], run_starts, axis=-1)  # (..., runs)
    flat = result.reshape(-1, n_words)
    np.add.at(flat.T, words[run_starts], runs.reshape(-1, len(run_starts)).T)  # a word may recur
    return result


def special_mass_from(context: ContextPart, word: int, matrices: np.ndarray | None = None) -> np.ndarray:
    """(...): attention the pieces of `word` pay, on average, to special tokens, in `matrices`
    (..., T, T); by default every raw head, giving (layers, heads)."""
    import numpy as np

    matrices = context.attentions if matrices is None else matrices
    rows = context.tokens_of(word)
    if rows.size == 0:
        return np.zeros(matrices.shape[:-2], dtype=np.float32)
    return matrices[..., rows, :][..., context.special].sum(axis=-1).mean(axis=-1)


def strongest_heads(attention_to_words: np.ndarray) -> list[HeadScore]:
    """For each target word, the layer/head that gives it the most weight."""
    layers, heads, n_words = attention_to_words.shape
    flat = attention_to_words.reshape(layers * heads, n_words)
    best = flat.argmax(axis=0)
    return [
        HeadScore(layer=int(b // heads), head=int(b % heads), weight=float(flat[b, w]))
        for w, b in enumerate(best)
    ]
