"""Derived attention views: pure numpy functions over the raw (layers, heads, T, T) weights.

Every function here takes arrays and returns new arrays; nothing is cached or mutated, so
each can be checked against a straightforward computation on a small hand-made case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from wordlens.core.layer_names import head_name, layer_name

if TYPE_CHECKING:
    import numpy as np

Aggregate = Literal["head", "mean", "max", "rollout"]
AGGREGATES: tuple[Aggregate, ...] = ("head", "mean", "max", "rollout")


def head_mean(attentions: np.ndarray, layer: int) -> np.ndarray:
    """(T, T): the heads of one layer averaged; rows still sum to 1."""
    return attentions[layer].mean(axis=0)


def head_max(attentions: np.ndarray, layer: int) -> np.ndarray:
    """(T, T): per cell the largest weight any head of the layer gives; rows do not sum to 1."""
    return attentions[layer].max(axis=0)


def rollout(attentions: np.ndarray, last_layer: int | None = None) -> np.ndarray:
    """Attention rollout (Abnar & Zuidema 2020) through layers 0..last_layer.

    Per layer: average the heads, add the identity (the residual path), renormalise the rows;
    then multiply through the layers in order: R = A_last @ ... @ A_1 @ A_0.
    """
    import numpy as np

    last = attentions.shape[0] - 1 if last_layer is None else last_layer
    size = attentions.shape[-1]
    result = np.eye(size, dtype=np.float64)
    for layer in range(last + 1):
        mixed = attentions[layer].mean(axis=0).astype(np.float64) + np.eye(size)
        mixed /= mixed.sum(axis=-1, keepdims=True)
        result = mixed @ result
    return result.astype(np.float32)


@dataclass(frozen=True)
class Units:
    """How tokens group into display units: words, or tokens that stand alone (specials)."""

    labels: tuple[str, ...]
    unit_of_token: np.ndarray  # (T,) unit index of each token
    special: np.ndarray  # (U,) bool: the unit is a special token


def token_units(tokens: Sequence[str], special: np.ndarray) -> Units:
    import numpy as np

    return Units(tuple(tokens), np.arange(len(tokens)), np.asarray(special, dtype=bool))


def word_units(tokens: Sequence[str], special: np.ndarray, token_word: np.ndarray, words: Sequence[str]) -> Units:
    """Tokens of the same word form one unit (labelled with the word); every other token,
    special or not part of a word, stays a unit of its own. Units keep the tokens' order."""
    import numpy as np

    labels: list[str] = []
    unit_special: list[bool] = []
    unit_of_token = np.empty(len(tokens), dtype=np.int64)
    unit_of_word: dict[int, int] = {}
    for t, token in enumerate(tokens):
        word = int(token_word[t])
        if word >= 0 and word in unit_of_word:
            unit_of_token[t] = unit_of_word[word]
            continue
        unit_of_token[t] = len(labels)
        if word >= 0:
            unit_of_word[word] = len(labels)
            labels.append(words[word])
        else:
            labels.append(token)
        unit_special.append(bool(special[t]))
    return Units(tuple(labels), unit_of_token, np.array(unit_special, dtype=bool))


def merge_to_units(matrix: np.ndarray, unit_of_token: np.ndarray, n_units: int) -> np.ndarray:
    """(U, U) from (T, T): attention *to* a unit is the sum over its tokens' columns,
    attention *from* a unit the mean over its tokens' rows. Rows that summed to 1 still do."""
    import numpy as np

    membership = np.zeros((matrix.shape[-1], n_units), dtype=np.float64)
    membership[np.arange(matrix.shape[-1]), unit_of_token] = 1.0
    sizes = membership.sum(axis=0)[:, None]
    to_units = matrix.astype(np.float64) @ membership  # (T, U)
    summed = membership.T @ to_units
    from_units = np.divide(summed, sizes, out=np.zeros_like(summed), where=sizes > 0)  # a unit with no tokens: 0
    return from_units.astype(np.float32)


def drop_special(matrix: np.ndarray, special: np.ndarray) -> np.ndarray:
    """Remove the rows and columns of special units and renormalise each row to sum to 1
    (a row that gave all its weight to special tokens stays all zeros)."""
    import numpy as np

    keep = ~np.asarray(special, dtype=bool)
    kept = matrix[np.ix_(keep, keep)].astype(np.float64)
    sums = kept.sum(axis=-1, keepdims=True)
    return np.divide(kept, sums, out=np.zeros_like(kept), where=sums > 0).astype(np.float32)


@dataclass(frozen=True)
class ViewSpec:
    """Which matrix to show: a head, a layer's head mean or max, or rollout up to a layer."""

    aggregate: Aggregate = "head"
    layer: int = 0
    head: int = 0
    words: bool = False
    hide_special: bool = False

    def short(self) -> str:
        return {
            "head": head_name(self.layer, self.head),
            "mean": f"L{self.layer + 1} mean",
            "max": f"L{self.layer + 1} max",
            "rollout": f"rollout L{self.layer + 1}",
        }[self.aggregate]

    def describe(self) -> str:
        what = {
            "head": f"{layer_name(self.layer)} · head {self.head + 1}",
            "mean": f"{layer_name(self.layer)} · mean of heads",
            "max": f"{layer_name(self.layer)} · max of heads",
            "rollout": f"rollout to {layer_name(self.layer)}",
        }[self.aggregate]
        extras = [name for name, on in (("words", self.words), ("no specials", self.hide_special)) if on]
        return " · ".join([what, *extras])


@dataclass(frozen=True)
class View:
    matrix: np.ndarray  # (U, U) rows attend to columns
    labels: tuple[str, ...]
    special: np.ndarray  # (U,) bool, for the units still shown
    units: Units  # token -> unit mapping before specials were dropped
    shown_units: np.ndarray  # (U,) indices into units.labels of the rows/columns shown


def select_matrix(attentions: np.ndarray, spec: ViewSpec) -> np.ndarray:
    if spec.aggregate == "head":
        return attentions[spec.layer, spec.head]
    if spec.aggregate == "mean":
        return head_mean(attentions, spec.layer)
    if spec.aggregate == "max":
        return head_max(attentions, spec.layer)
    return rollout(attentions, spec.layer)


def build_view(
    attentions: np.ndarray,
    spec: ViewSpec,
    tokens: Sequence[str],
    special: np.ndarray,
    token_word: np.ndarray | None = None,
    words: Sequence[str] = (),
    selected: np.ndarray | None = None,
) -> View:
    """Aggregate, then merge pieces into words, then hide special units: in that order.
    `selected`: select_matrix(attentions, spec), when the caller already has it."""
    import numpy as np

    matrix = select_matrix(attentions, spec) if selected is None else selected
    if spec.words and token_word is not None:
        units = word_units(tokens, special, token_word, words)
        matrix = merge_to_units(matrix, units.unit_of_token, len(units.labels))
    else:
        units = token_units(tokens, special)
    shown = np.arange(len(units.labels))
    if spec.hide_special and units.special.any():
        matrix = drop_special(matrix, units.special)
        shown = shown[~units.special]
    return View(
        matrix=matrix,
        labels=tuple(units.labels[u] for u in shown),
        special=units.special[shown],
        units=units,
        shown_units=shown,
    )


# ---- per-head metrics ---------------------------------------------------------------------

METRICS = ("entropy", "max", "distance", "special", "punctuation")


def row_entropy(matrix: np.ndarray) -> np.ndarray:
    """Shannon entropy (nats) of each row; 0 log 0 counts as 0."""
    import numpy as np

    safe = np.where(matrix > 0, matrix, 1.0)
    return -(matrix * np.log(safe)).sum(axis=-1)


def head_metrics(attentions: np.ndarray, special: np.ndarray, punctuation: np.ndarray) -> dict[str, np.ndarray]:
    """(layers, heads) arrays, each averaged over the rows (from-tokens):

    entropy: how spread a row is; max: its largest weight; distance: mean |from - to| weighted
    by attention (0 = attends to itself), over the non-special tokens only (see
    `distance_between_words`); special / punctuation: mass on those tokens.
    """
    import numpy as np

    return {
        "entropy": row_entropy(attentions).mean(axis=-1),
        "max": attentions.max(axis=-1).mean(axis=-1),
        "distance": distance_between_words(attentions, special),
        "special": attentions[..., np.asarray(special, dtype=bool)].sum(axis=-1).mean(axis=-1),
        "punctuation": attentions[..., np.asarray(punctuation, dtype=bool)].sum(axis=-1).mean(axis=-1),
    }


def distance_between_words(attentions: np.ndarray, special: np.ndarray) -> np.ndarray:
    """(layers, heads) mean |from - to| among the non-special tokens: each such row's attention to
    the other non-special tokens, renormalised to 1, weighting the distance; rows that give them
    nothing are left out. Mass on [CLS]/[SEP] (often most of it) would otherwise count as a jump
    to the sentence's ends and make a head that attends to itself score far from 0."""
    import numpy as np

    keep = np.flatnonzero(~np.asarray(special, dtype=bool))
    layers, heads = attentions.shape[:2]
    if len(keep) == 0:
        return np.zeros((layers, heads))
    among = attentions[..., keep[:, None], keep[None, :]].astype(np.float64)  # (L, H, k, k)
    mass = among.sum(axis=-1)
    offsets = np.abs(keep[:, None] - keep[None, :])
    weighted = (among * offsets).sum(axis=-1)
    per_row = np.divide(weighted, mass, out=np.zeros_like(weighted), where=mass > 0)
    rows = np.maximum((mass > 0).sum(axis=-1), 1)
    return per_row.sum(axis=-1) / rows


POSITIONAL_SHARE = 0.5  # a head giving at least this share of a row's weight to one position kind


def head_patterns(attentions: np.ndarray, special: np.ndarray, punctuation: np.ndarray) -> np.ndarray:
    """(layers, heads) of str: the positional pattern of each head, "" when it has none. A head is
    positional when, averaged over the non-special rows, at least POSITIONAL_SHARE of the weight
    goes to the previous token, the next token, the token itself, the special tokens, or punctuation:
    its weights then say where a token is, not what it means."""
    import numpy as np

    special = np.asarray(special, dtype=bool)
    punctuation = np.asarray(punctuation, dtype=bool)
    size = attentions.shape[-1]
    rows = np.flatnonzero(~special)
    if len(rows) == 0:
        rows = np.arange(size)
    shares = {
        "previous token": _offset_share(attentions, rows, -1),
        "next token": _offset_share(attentions, rows, 1),
        "itself": _offset_share(attentions, rows, 0),
        "special tokens": attentions[..., rows, :][..., special].sum(axis=-1).mean(axis=-1),
        "punctuation": attentions[..., rows, :][..., punctuation].sum(axis=-1).mean(axis=-1),
    }
    names = list(shares)
    stacked = np.stack([shares[name] for name in names])  # (kinds, L, H)
    best = stacked.argmax(axis=0)
    labels = np.array(names, dtype=object)[best]
    return np.where(stacked.max(axis=0) >= POSITIONAL_SHARE, labels, "")


def _offset_share(attentions: np.ndarray, rows: np.ndarray, offset: int) -> np.ndarray:
    """(layers, heads) mean weight each row gives the token `offset` away (0 where there is none)."""
    import numpy as np

    size = attentions.shape[-1]
    columns = rows + offset
    inside = (columns >= 0) & (columns < size)
    weights = np.zeros(attentions.shape[:2] + (len(rows),))
    weights[..., inside] = attentions[..., rows[inside], columns[inside]]
    return weights.mean(axis=-1)


def positional_note(pattern: str) -> str:
    """How a head's pattern is named beside it: "" when it has none."""
    return f"positional: {pattern}" if pattern else ""


def is_punctuation(token: str) -> bool:
    stripped = token.lstrip("#").lstrip("Ġ▁")
    return bool(stripped) and all(not character.isalnum() for character in stripped)


# ---- questions ------------------------------------------------------------------------------


def focus_row(matrix: np.ndarray, rows: Sequence[int]) -> np.ndarray:
    """The attention the selected rows pay, summed (one row: that row)."""
    return matrix[list(rows)].sum(axis=0)


def top_targets(row: np.ndarray, k: int) -> list[tuple[int, float]]:
    import numpy as np

    order = np.argsort(-row, kind="stable")[:k]
    return [(int(i), float(row[i])) for i in order]


@dataclass(frozen=True)
class HeadScore:
    layer: int
    head: int
    weight: float


def rank_heads(attentions: np.ndarray, source: int, target: int) -> list[HeadScore]:
    """Every layer x head, strongest first, by the weight token `source` gives token `target`."""
    import numpy as np

    weights = attentions[:, :, source, target]
    layers, heads = weights.shape
    order = np.argsort(-weights.ravel(), kind="stable")
    return [HeadScore(int(i // heads), int(i % heads), float(weights.ravel()[i])) for i in order]


def causal_mask(attentions: np.ndarray) -> bool:
    """True when every head of every layer gives exactly zero weight above the diagonal."""
    import numpy as np

    size = attentions.shape[-1]
    if size < 2:
        return False
    upper = np.triu(np.ones((size, size), dtype=bool), k=1)
    return bool(np.all(attentions[..., upper] == 0))


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties given their average rank (as Spearman's rho needs)."""
    import numpy as np

    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values), dtype=np.float64)
    sorted_values = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    return ranks


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho: the Pearson correlation of the ranks; NaN if either side is constant."""
    import numpy as np

    ranks_a, ranks_b = average_ranks(np.asarray(a)), average_ranks(np.asarray(b))
    ranks_a -= ranks_a.mean()
    ranks_b -= ranks_b.mean()
    denominator = np.sqrt((ranks_a**2).sum() * (ranks_b**2).sum())
    return float((ranks_a * ranks_b).sum() / denominator) if denominator > 0 else float("nan")
