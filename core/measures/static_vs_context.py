"""Static vs contextual: what attention makes of a word, measured on the model's hidden states.

- drift: how far a token's representation moves from its layer-0 (embedding) vector, per layer;
- compare: the same word in two sentences, static cosine (1.0 by construction) vs per layer;
- static vs attention: per head, the rank correlation between the sentence's static word x word
  cosines and the attention between those words;
- contextual neighbours: a per-layer linear map from hidden states into the static space,
  fitted on the words both vocabularies share, so a token in context can be read in static terms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wordlens.core.analysis import Analysis, ContextPart
from wordlens.core.errors import InputError
from wordlens.core.measures.attention_views import average_ranks, merge_to_units, rank_correlation
from wordlens.core.progress import Progress, no_progress
from wordlens.core.sources import cache_folder
from wordlens.core.vectors.topk import top_k_rows

if TYPE_CHECKING:
    import numpy as np

    from wordlens.core.transformer.context_model import ContextModel
    from wordlens.core.vectors.static_vectors import StaticVectors


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine along the last axis (0 where a vector is zero)."""
    import numpy as np

    dot = (a * b).sum(axis=-1)
    norms = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    return np.divide(dot, norms, out=np.zeros_like(dot), where=norms > 0)


def drift(context: ContextPart, token: int) -> np.ndarray:
    """(layers + 1,) cosine between the token's hidden state at each layer and at layer 0."""
    import numpy as np

    states = context.hidden_states[:, token, :].astype(np.float64)
    return cosine(states, states[0][None, :]).astype(np.float32)


def word_states(context: ContextPart, word: int) -> np.ndarray:
    """(layers + 1, hidden): a word's hidden states, the mean over its pieces."""
    pieces = context.tokens_of(word)
    if pieces.size == 0:
        raise InputError("that word has no tokens in the model's input (it was cut at the maximum length?)")
    return context.hidden_states[:, pieces, :].mean(axis=1)


def find_word(analysis: Analysis, word: str) -> int:
    """Index of the first word of the sentence equal to `word` (case-insensitive)."""
    for index, candidate in enumerate(analysis.words):
        if candidate.text.lower() == word.lower():
            return index
    raise InputError(f"'{word}' is not a word of: {analysis.text!r}")


@dataclass(frozen=True, eq=False)
class SentenceComparison:
    word: str
    static_cosine: float
    layers: np.ndarray  # (layers + 1,) contextual cosine per layer, 0 = embedding output
    attention_difference: np.ndarray | None  # (layers, heads): mean |A - B| over the shared words
    # The same-sense baseline: the other words both sentences share (mostly used in one sense in
    # both) and the largest drop of their contextual cosine, embeddings -> last layer; the word's
    # own drop says something only beyond it. None when the sentences share no other word.
    baseline_words: tuple[str, ...] = ()
    baseline_change: float | None = None

    @property
    def change(self) -> float:
        """Contextual cosine after the last layer minus at the embeddings (negative: apart)."""
        return float(self.layers[-1] - self.layers[0])

    @property
    def pulled_apart(self) -> bool:
        """The word's uses move apart more than any other shared word's do."""
        return self.baseline_change is not None and self.change < self.baseline_change


def compare(first: Analysis, second: Analysis, word: str, vectors: StaticVectors) -> SentenceComparison:
    """The same word in two sentences: its static vectors are identical by construction (one
    vector per word type), its contextual ones differ by layer."""
    import numpy as np

    if first.context is None or second.context is None:
        raise InputError("compare needs the transformer loaded")
    index_a, index_b = find_word(first, word), find_word(second, word)
    static_a = vectors.vector(first.words[index_a].text).astype(np.float64)
    static_b = vectors.vector(second.words[index_b].text).astype(np.float64)
    static = 1.0 if np.array_equal(static_a, static_b) else float(cosine(static_a, static_b))
    layers = cosine(word_states(first.context, index_a), word_states(second.context, index_b))
    others = tuple(other for other in shared_words(first, second) if other != word.lower())
    changes = []
    for other in others:
        other_layers = cosine(word_states(first.context, find_word(first, other)),
                              word_states(second.context, find_word(second, other)))
        changes.append(float(other_layers[-1] - other_layers[0]))
    return SentenceComparison(
        word=word,
        static_cosine=static,
        layers=layers.astype(np.float32),
        attention_difference=shared_word_attention_difference(first, second),
        baseline_words=others,
        baseline_change=min(changes) if changes else None,
    )


def attention_among_words(analysis: Analysis, picks: Sequence[int] | np.ndarray) -> np.ndarray:
    """(layers, heads, P, P): word-level attention (to a word: the sum over its pieces; from a
    word: their mean) between the picked words only, each row renormalised over them."""
    import numpy as np

    context = analysis.require_context()
    n_words = len(analysis.words)
    unit_of_token = np.where(context.token_word >= 0, context.token_word, n_words)  # specials: one extra unit
    merged = merge_to_units(context.attentions, unit_of_token, n_words + 1)
    sub = merged[..., list(picks), :][..., :, list(picks)]
    sums = sub.sum(axis=-1, keepdims=True)
    return np.divide(sub, sums, out=np.zeros_like(sub), where=sums > 0)


def _word_matrices(analysis: Analysis, shared: list[str]) -> np.ndarray:
    picks = [next(i for i, w in enumerate(analysis.words) if w.text.lower() == word) for word in shared]
    return attention_among_words(analysis, picks)


def _words_with_tokens(analysis: Analysis) -> list[str]:
    """The sentence's distinct words (lowercased, first occurrence) that reached the model."""
    first_index: dict[str, int] = {}
    for index, word in enumerate(analysis.words):
        first_index.setdefault(word.text.lower(), index)
    token_word = analysis.require_context().token_word
    reached = set(token_word[token_word >= 0].tolist())
    return [word for word, index in first_index.items() if index in reached]


def shared_words(first: Analysis, second: Analysis) -> list[str]:
    """The words (lowercased) both sentences contain and the model saw, in the first's order."""
    in_first = _words_with_tokens(first)
    in_second = set(_words_with_tokens(second))
    return [word for word in in_first if word in in_second]


def shared_word_attention_difference(first: Analysis, second: Analysis) -> np.ndarray | None:
    """(layers, heads) mean absolute difference of the two attention maps restricted to the
    words both sentences contain (each map renormalised over those words); None if < 2 shared."""
    import numpy as np

    shared = shared_words(first, second)
    if len(shared) < 2:
        return None
    return np.abs(_word_matrices(first, shared) - _word_matrices(second, shared)).mean(axis=(-1, -2))


def words_with_both(analysis: Analysis) -> np.ndarray:
    """Indices of the words that have a static vector and reached the model (not cut off)."""
    import numpy as np

    context, n_words = analysis.require_context(), len(analysis.words)
    reached_model = np.bincount(context.token_word[context.token_word >= 0], minlength=n_words) > 0
    return np.flatnonzero(~np.isnan(np.diag(analysis.require_static().cosine)) & reached_model)


def static_attention_correlation(analysis: Analysis) -> np.ndarray:
    """(layers, heads) Spearman correlation, over ordered pairs of distinct in-vocabulary words,
    between static cosine and word-level attention (symmetrised: a_ij + a_ji). NaN when fewer
    than three pairs. High: the head follows meaning; near 0: position, syntax or specials."""
    import numpy as np

    context = analysis.require_context()
    layers, heads = context.attentions.shape[:2]
    result = np.full((layers, heads), np.nan, dtype=np.float32)
    scores = _pair_scores(analysis)
    if scores is None:
        return result
    static_scores, attention_scores = scores
    for layer in range(layers):
        for head in range(heads):
            result[layer, head] = rank_correlation(static_scores, attention_scores[layer, head])
    return result


def _pair_scores(analysis: Analysis) -> tuple[np.ndarray, np.ndarray] | None:
    """(static cosine per word pair, (layers, heads, pairs) attention between them), None under 3 pairs."""
    import numpy as np

    context, static = analysis.require_context(), analysis.require_static()
    n_words = len(analysis.words)
    known = words_with_both(analysis)
    pairs = [(i, j) for a, i in enumerate(known) for j in known[a + 1 :]]
    if len(pairs) < 3:
        return None
    unit_of_token = np.where(context.token_word >= 0, context.token_word, n_words)
    merged = merge_to_units(context.attentions, unit_of_token, n_words + 1)
    rows, columns = np.array(pairs).T
    # A repeated word pair must tie exactly in rank, but float32 products of the same two
    # vectors can differ in the last bit: read every pair at its first occurrence, in order.
    first_of_key: dict[str, int] = {}
    canonical = np.array([first_of_key.setdefault(found.key, index) if found.key else index
                          for index, found in enumerate(static.neighbours)])
    low = np.minimum(canonical[rows], canonical[columns])
    high = np.maximum(canonical[rows], canonical[columns])
    return static.cosine[low, high], merged[..., rows, columns] + merged[..., columns, rows]


PERMUTATIONS = 2000  # shuffles of the static side per permutation test


@dataclass(frozen=True)
class CorrelationSignificance:
    pairs: int  # n: the word pairs each ρ is computed over
    p: np.ndarray  # (layers, heads) two-sided permutation p-value of ρ; NaN where ρ is


def correlation_significance(analysis: Analysis, rho: np.ndarray, permutations: int = PERMUTATIONS,
                             seed: int = 0) -> CorrelationSignificance:
    """How often ρ at least as far from 0 comes out when the static cosines are shuffled among
    the pairs: p = (1 + count) / (1 + permutations), per head (a fixed seed: the same p each time)."""
    import numpy as np

    p = np.full(rho.shape, np.nan)
    scores = _pair_scores(analysis)
    if scores is None:
        return CorrelationSignificance(0, p)
    static_scores, attention_scores = scores
    static_ranks = _centred_ranks(static_scores)
    if not np.linalg.norm(static_ranks):  # every pair's static cosine ties: ρ is undefined, no p either
        return CorrelationSignificance(len(static_scores), p)
    rng = np.random.default_rng(seed)
    shuffled = np.stack([rng.permutation(static_ranks) for _ in range(permutations)])  # (P, pairs)
    shuffled /= np.linalg.norm(static_ranks)
    layers, heads = rho.shape
    for layer in range(layers):
        for head in range(heads):
            if np.isnan(rho[layer, head]):
                continue
            ranks = _centred_ranks(attention_scores[layer, head])
            norm = np.linalg.norm(ranks)
            if not norm:
                continue
            null = shuffled @ (ranks / norm)
            count = int((np.abs(null) >= abs(float(rho[layer, head])) - 1e-9).sum())
            p[layer, head] = (1 + count) / (1 + permutations)
    return CorrelationSignificance(len(static_scores), p)


def _centred_ranks(values: np.ndarray) -> np.ndarray:
    import numpy as np

    ranks = average_ranks(np.asarray(values))
    return ranks - ranks.mean()


# ---- contextual neighbours in the static space ----------------------------------------------


@dataclass(frozen=True, eq=False)
class StaticMap:
    """Per layer, a ridge map from hidden states (hidden) into the static space (dim)."""

    weights: np.ndarray  # (layers + 1, hidden + 1, dim), last input row = bias
    train_words: int
    heldout_top10: np.ndarray  # (layers + 1,) share of held-out words whose own static vector
    # is among the 10 nearest static words of their mapped hidden state (the fit quality)

    def project(self, states: np.ndarray, layer: int) -> np.ndarray:
        """(..., hidden) -> (..., dim)."""
        import numpy as np

        with_bias = np.concatenate([states, np.ones(states.shape[:-1] + (1,), dtype=states.dtype)], axis=-1)
        return with_bias @ self.weights[layer]


def _map_cache_path(model: ContextModel, vectors: StaticVectors, words: int) -> Path:
    identity = f"{model.info.source}|{model.info.name}|{vectors.info.source}|{vectors.info.size}|{words}|v1"
    if model.info.causal:
        identity += "|after-the-sink"  # fitted off the sink position since: an older fit is not reused
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return cache_folder() / f"static-map-{digest}.npz"


def shared_single_token_words(model: ContextModel, vectors: StaticVectors, limit: int) -> list[str]:
    """Frequent static-vocabulary words that the tokenizer keeps as one token (alphabetic only)."""
    vocab = model.vocabulary()
    found = []
    for word in vectors.words[: limit * 4]:
        if word.isalpha() and word in vocab:
            found.append(word)
            if len(found) == limit:
                break
    return found


def fit_static_map(
    model: ContextModel, vectors: StaticVectors, words: int = 4000, ridge: float = 1.0,
    progress: Progress = no_progress, use_cache: bool = True, cached_only: bool = False,
) -> StaticMap | None:
    """Fit (or load from the disk cache) one ridge map per layer on words shared by both
    vocabularies, each word's hidden states taken from the word alone ("[CLS] word [SEP]"; a
    decoder: after a line break, off its attention-sink position).
    With `cached_only`, None unless a fitted map is already on disk."""
    import numpy as np

    path = _map_cache_path(model, vectors, words)
    if use_cache and path.is_file():
        with np.load(path) as saved:
            return StaticMap(saved["weights"], int(saved["train_words"]), saved["heldout_top10"])
    if cached_only:
        return None
    shared = shared_single_token_words(model, vectors, words)
    if len(shared) < 100:
        raise InputError(f"only {len(shared)} words are shared by the two vocabularies: too few to fit a map")
    states = _isolated_word_states(model, shared, progress)  # (words, layers + 1, hidden)
    targets = np.stack([np.asarray(vectors.matrix[vectors.row_of[w]]) for w in shared]).astype(np.float64)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(shared))
    held_out, train = order[: len(shared) // 10], order[len(shared) // 10 :]
    layers = states.shape[1]
    weights = np.zeros((layers, states.shape[2] + 1, targets.shape[1]), dtype=np.float32)
    quality = np.zeros(layers, dtype=np.float32)
    for layer in range(layers):
        progress(f"fitting layer {layer}", 0.6 + 0.4 * layer / layers)
        inputs = np.concatenate([states[:, layer, :], np.ones((len(shared), 1))], axis=1).astype(np.float64)
        x, y = inputs[train], targets[train]
        regulariser = ridge * np.eye(x.shape[1])
        regulariser[-1, -1] = 0.0  # the bias is not shrunk
        weights[layer] = np.linalg.solve(x.T @ x + regulariser, x.T @ y)
        quality[layer] = _top10_recovery(inputs[held_out] @ weights[layer], [shared[i] for i in held_out], vectors)
    fitted = StaticMap(weights, len(train), quality)
    if use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, weights=fitted.weights, train_words=fitted.train_words, heldout_top10=fitted.heldout_top10)
    return fitted


# What a decoder reads before each word the map is fitted on: the sink position takes the line break.
SINK_LEAD = "\n"


def _isolated_word_states(
    model: ContextModel, words: Sequence[str], progress: Progress, batch: int = 128
) -> np.ndarray:
    """(words, layers + 1, hidden): each word's hidden states, read alone. An encoder's word sits
    between its special tokens; a decoder's first position is its attention sink (its hidden
    state an outlier no later token has), so there the word follows a line break (SINK_LEAD)."""
    import numpy as np

    lead = SINK_LEAD if model.info.causal else ""
    chunks = []
    for start in range(0, len(words), batch):
        progress("running the model on the shared words", 0.6 * start / len(words))
        encodings = [model.encode(lead + word) for word in words[start : start + batch]]
        hidden = model.hidden_states_batch(encodings)  # (batch, layers + 1, T, hidden)
        # the word's own token: the last non-special position (single-token words by construction)
        positions = [int(np.flatnonzero(~encoding.special)[-1]) for encoding in encodings]
        chunks.append(hidden[np.arange(len(positions)), :, positions, :])
    return np.concatenate(chunks).astype(np.float64)


def _top10_recovery(mapped: np.ndarray, words: list[str], vectors: StaticVectors, candidates: int = 100_000) -> float:
    import numpy as np

    restrict = vectors.effective_restrict_vocab(candidates)
    table = np.asarray(vectors.matrix[:restrict], dtype=np.float32)
    scores = (mapped.astype(np.float32) @ table.T) / np.asarray(vectors.norms[:restrict])
    best = top_k_rows(scores, 10)
    wanted = np.array([vectors.row_of[word] for word in words])
    return float((best == wanted[:, None]).any(axis=1).mean())


def contextual_static_neighbours(
    static_map: StaticMap, vectors: StaticVectors, context: ContextPart, token: int, layer: int, topn: int = 8
) -> list[tuple[str, float]]:
    """The static words nearest to the token's hidden state at `layer`, mapped into static space."""
    import numpy as np

    mapped = static_map.project(context.hidden_states[layer, token].astype(np.float64), layer).astype(np.float32)
    return [(n.word, n.cosine) for n in vectors.nearest_to_vector(mapped, topn=topn)]


def embedding_neighbours(model: ContextModel, token: str, topn: int = 10) -> list[tuple[str, float]]:
    """Neighbours of a token in the model's own input embedding matrix: the context-free table
    the transformer starts from, before any attention."""
    if model.token_id(token) is None:
        raise InputError(f"'{token}' is not a token of {model.info.name}'s vocabulary")
    return embedding_neighbours_batch(model, [token], topn)[token]


def embedding_neighbours_batch(
    model: ContextModel, tokens: Sequence[str], topn: int = 10
) -> dict[str, list[tuple[str, float]]]:
    """embedding_neighbours of each token the vocabulary knows (others left out), in one product."""
    import numpy as np

    indices = {token: index for token in tokens if (index := model.token_id(token)) is not None}
    if not indices:
        return {}
    table = model.input_embedding_units()
    rows = np.fromiter(indices.values(), dtype=np.int64, count=len(indices))
    scores = table[rows] @ table.T  # (tokens, vocabulary)
    scores[np.arange(len(rows)), rows] = -np.inf
    best = top_k_rows(scores, min(topn, scores.shape[1] - 1))
    found = {}
    for row, token in enumerate(indices):
        names = model.tokens(best[row].tolist())
        found[token] = [(name, float(scores[row, i])) for name, i in zip(names, best[row], strict=True)]
    return found


@dataclass(frozen=True)
class CorrelationTable:
    """What the static-cosine-vs-attention screen shows: ρ per head, and the word x word
    attention of every head among the first `words` (those with a static vector)."""

    rho: np.ndarray  # (layers, heads)
    words: np.ndarray  # indices into analysis.words
    attention: np.ndarray  # (layers, heads, len(words), len(words))
    significance: CorrelationSignificance  # n pairs and a permutation p-value per head


def correlation_table(analysis: Analysis, max_words: int) -> CorrelationTable:
    words = words_with_both(analysis)[:max_words]
    rho = static_attention_correlation(analysis)
    return CorrelationTable(rho, words, attention_among_words(analysis, words), correlation_significance(analysis, rho))
