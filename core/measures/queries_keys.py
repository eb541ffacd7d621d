"""The map screen's queries and keys view, as AttentionViz draws them: at one layer and head, the
query and the key vector of every token of the text in one joint 2D PCA, and lines from the focused
token's query to the keys it attends to most, weighted by the model's attention.

Before the fit the queries are multiplied by a and the keys by 1/a so that both clouds spread as far
(mean distance from their own mean), and the keys are moved so that their mean is the queries' mean. Neither changes any
attention weight: adding one vector c to every key adds q·c to every score of a query's row, which
softmax ignores, and (a q)·(k / a) = q·k. Without it the two clouds often sit apart and the picture
shows their offset rather than which query is near which key. The vectors are those the analysis's
own forward pass multiplied (ContextPart.captured), rotary positions applied for the decoder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from wordlens.core.analysis import ContextPart
from wordlens.core.measures.attention_arithmetic import require_captured
from wordlens.core.vectors.static_projection import fit_pca

STRONGEST_KEYS = 5  # lines from the focused query: to its STRONGEST_KEYS heaviest keys
NORMALISATION = ("queries × a and keys ÷ a to one spread, keys moved to the queries' mean "
                 "(attention unchanged)")


@dataclass(frozen=True, eq=False)
class QueryKeyMap:
    layer: int  # 0-based: the attention layer (it reads the hidden state before it)
    head: int  # 0-based
    queries: np.ndarray  # (T, 2): each token's query in the joint PCA
    keys: np.ndarray  # (T, 2): each token's key in the same PCA
    lines: tuple[tuple[int, int, float], ...]  # (query token, key token, attention weight), heaviest first
    focus: int | None
    scale: float  # a: queries × a, keys ÷ a
    normalised: tuple[np.ndarray, np.ndarray]  # the (T, head_dim) queries and keys the PCA was fitted on


def normalised(queries: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Queries × a and keys ÷ a so that both spread as far from their own mean, then the keys moved
    so that their mean is the queries' mean."""
    queries, keys = queries.astype(np.float64), keys.astype(np.float64)
    query_spread = np.linalg.norm(queries - queries.mean(axis=0), axis=1).mean()
    key_spread = np.linalg.norm(keys - keys.mean(axis=0), axis=1).mean()
    scale = float(np.sqrt(key_spread / query_spread)) if query_spread > 0 and key_spread > 0 else 1.0
    queries, keys = queries * scale, keys / scale
    return queries, keys + (queries.mean(axis=0) - keys.mean(axis=0)), scale


def strongest_keys(context: ContextPart, layer: int, head: int, focus: int,
                   count: int = STRONGEST_KEYS) -> tuple[tuple[int, int, float], ...]:
    """The focused token's `count` heaviest keys in the model's attention row (zero weights, the
    future of a decoder, left out)."""
    row = context.attentions[layer, head, focus].astype(np.float64)
    order = np.argsort(-row, kind="stable")[:count]
    return tuple((focus, int(key), float(row[key])) for key in order if row[key] > 0)


def query_key_map(context: ContextPart, layer: int, head: int, focus: int | None,
                  line_sources: Sequence[int] | None = None) -> QueryKeyMap:
    """Lines from the focused token's query (or from each of `line_sources`). InputError (through
    require_captured) when the model's runtime captured no queries and keys."""
    captured = require_captured(context)
    queries, keys, scale = normalised(captured.queries[layer, head], captured.keys[layer, head])
    both = np.concatenate([queries, keys])
    mean, components = fit_pca(both)
    xy = (both - mean) @ components.T
    length = queries.shape[0]
    sources = list(line_sources) if line_sources is not None else [] if focus is None else [focus]
    lines = tuple(line for source in sources for line in strongest_keys(context, layer, head, source))
    return QueryKeyMap(layer, head, xy[:length], xy[length:], lines, focus, scale, (queries, keys))


def query_key_report(context: ContextPart, found: QueryKeyMap) -> dict:
    """The `queries_keys` field of `wordlens map --json` (layer: 1-based as the map's, head: 0-based)."""
    points = [{"token_index": token, "token": context.tokens[token], "kind": kind, "x": float(xy[token, 0]),
               "y": float(xy[token, 1])}
              for kind, xy in (("query", found.queries), ("key", found.keys)) for token in range(len(xy))]
    return {"layer": found.layer + 1, "head": found.head, "focus": found.focus, "normalisation": NORMALISATION,
            "scale": found.scale, "points": points,
            "lines": [{"from": source, "to": target, "weight": weight} for source, target, weight in found.lines]}
