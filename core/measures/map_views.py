"""What the map screen draws, as plain data: the sentence's words and their static neighbours on
the fixed static map, the path of a token's hidden states through the per-layer maps into the
static space (the `g` fit), the model's own space (one PCA over every layer of this text), and an
analogy's two offset arrows. Each point carries the unit vector its cosine to the focus is read
from, so the screen's cursor can show that cosine without recomputing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from wordlens.core.analysis import Analysis, ContextPart
from wordlens.core.errors import InputError
from wordlens.core.vectors.static_projection import StaticProjection, fit_pca, unit_rows

if TYPE_CHECKING:
    from wordlens.core.measures.static_vs_context import StaticMap
    from wordlens.core.vectors.static_vectors import Neighbour, StaticVectors

NEIGHBOURS_PER_WORD = 5
END_NEIGHBOURS = 3  # the nearest GloVe words named for where a path ends
END_VOCABULARY = 20_000  # ...among the most frequent words (a fifth of the neighbours' 100,000: 5x quicker)
COMMON_WORDS = 100  # the vocabulary's most frequent words (the, of, in...) are no landmark for a path's end


@dataclass(frozen=True, eq=False)
class MapPoint:
    label: str
    x: float
    y: float
    kind: str  # "sentence" (a word of the text), "neighbour" (a static neighbour), "path" (a layer), "token"
    unit: np.ndarray  # the unit vector the cosine to the focus is read from
    word: int | None = None  # index into analysis.words (sentence words)
    token: int | None = None  # token index (paths, model space)
    layer: int | None = None  # paths: the layer, 0 = embeddings; model space: the layer shown


@dataclass(frozen=True, eq=False)
class TokenPath:
    token_index: int
    token: str
    start: MapPoint | None  # the word's static point, where the path starts (None: not in the vocabulary)
    points: tuple[MapPoint, ...]  # one per layer, 0 = embeddings


@dataclass(frozen=True, eq=False)
class Arrow:
    start: MapPoint
    end: MapPoint


def static_points(analysis: Analysis, vectors: StaticVectors, projection: StaticProjection,
                  neighbours: int = NEIGHBOURS_PER_WORD) -> list[MapPoint]:
    """Every in-vocabulary word of the sentence (once per distinct word) and its `neighbours`
    nearest static words (from the analysis's neighbour lists), each once."""
    static = analysis.require_static()
    chosen: dict[str, tuple[str, int | None]] = {}
    for index, found in enumerate(static.neighbours):
        if found.key is not None and found.key not in chosen:
            chosen[found.key] = ("sentence", index)
    for found in static.neighbours:
        for item in found.items[:neighbours]:
            key = vectors.key_for(item.word)
            if key is not None and key not in chosen:
                chosen[key] = ("neighbour", None)
    keys = list(chosen)
    if not keys:
        return []
    xy = projection.transform(vectors, keys)
    units = unit_rows(np.stack([vectors.vector(key) for key in keys]))
    return [MapPoint(key, float(x), float(y), kind, unit, word=word)
            for key, (kind, word), (x, y), unit in zip(keys, chosen.values(), xy, units, strict=True)]


def token_path(analysis: Analysis, vectors: StaticVectors, projection: StaticProjection, static_map: StaticMap,
               token: int) -> TokenPath:
    """The token's hidden state after each layer, mapped into the static space by that layer's
    map and placed on the static map; it starts at its word's static point."""
    context = analysis.require_context()
    states = context.hidden_states[:, token, :].astype(np.float64)
    mapped = np.stack([static_map.project(states[layer], layer) for layer in range(states.shape[0])])
    xy = projection.transform_vectors(mapped)
    units = unit_rows(mapped)
    text = context.tokens[token]
    points = tuple(MapPoint(f"{layer}", float(x), float(y), "path", unit, token=token, layer=layer)
                   for layer, ((x, y), unit) in enumerate(zip(xy, units, strict=True)))
    word = context.word_of(token)
    start = None
    if word >= 0 and vectors.key_for(analysis.words[word].text) is not None:
        key = vectors.key_for(analysis.words[word].text) or ""
        (x, y), = projection.transform(vectors, [key])
        start = MapPoint(key, float(x), float(y), "sentence", unit_rows(vectors.vector(key)[None, :])[0], word=word)
    return TokenPath(token, text, start, points)


@dataclass(frozen=True, eq=False)
class PathEnds:
    """Where a token's path ends at each layer, in static terms: the nearest static words to its
    mapped hidden state, and its cosine to landmark words (the sentence's other content words)."""

    token_index: int
    nearest: tuple[tuple[Neighbour, ...], ...]  # per layer, 0 = embeddings
    landmarks: tuple[str, ...]
    cosines: np.ndarray  # (layers + 1, landmarks)


def landmark_words(analysis: Analysis, vectors: StaticVectors, leave_out: str | None) -> tuple[str, ...]:
    """The sentence's in-vocabulary words, once each, but `leave_out` and the COMMON_WORDS most
    frequent words of the vocabulary."""
    found: list[str] = []
    for word in analysis.words:
        key = vectors.key_for(word.text)
        if key is not None and key != leave_out and key not in found and vectors.row_of[key] >= COMMON_WORDS:
            found.append(key)
    return tuple(found)


def path_ends(path: TokenPath, vectors: StaticVectors, landmarks: tuple[str, ...]) -> PathEnds:
    units = np.stack([point.unit for point in path.points])
    nearest = tuple(vectors.nearest_to_vectors(units, END_NEIGHBOURS, restrict_vocab=END_VOCABULARY))
    marks = (unit_rows(np.stack([vectors.vector(word) for word in landmarks])) if landmarks
             else np.zeros((0, units.shape[1])))
    return PathEnds(path.token_index, nearest, landmarks, units @ marks.T)


def ends_apart(ends: tuple[PathEnds, ...], layer: int) -> bool | None:
    """Whether the paths end at `layer` near different static words (no word among the
    END_NEIGHBOURS nearest of two of them); None with fewer than two paths."""
    if len(ends) < 2:
        return None
    named = [{item.word for item in end.nearest[layer]} for end in ends]
    return all(not (named[i] & named[j]) for i in range(len(named)) for j in range(i + 1, len(named)))


def same_word_tokens(context: ContextPart, token: int) -> list[int]:
    """The token and every other token of the text with the same text (both `bank`s)."""
    text = context.tokens[token]
    return [index for index, other in enumerate(context.tokens) if other == text and not context.special[index]]


def model_space(context: ContextPart) -> np.ndarray:
    """(layers + 1, T, 2): every token at every layer in one PCA fitted over all the layers'
    hidden states of this text (unit length, special tokens left out of the fit), so the layers
    share axes. Special tokens are placed by the same map."""
    states = unit_rows(context.hidden_states)  # (L + 1, T, H)
    fitted = states[:, ~context.special, :].reshape(-1, states.shape[-1])
    if fitted.shape[0] < 2:
        fitted = states.reshape(-1, states.shape[-1])
    mean, components = fit_pca(fitted)
    return (states - mean) @ components.T


def model_space_points(context: ContextPart, coordinates: np.ndarray, layer: int) -> list[MapPoint]:
    """The text's non-special tokens at `layer` (0 = embeddings) of the model space."""
    units = unit_rows(context.hidden_states[layer])
    return [MapPoint(context.labels[token], float(coordinates[layer, token, 0]), float(coordinates[layer, token, 1]),
                     "token", units[token], token=token, layer=layer)
            for token in range(len(context.tokens)) if not context.special[token]]


def analogy_arrows(vectors: StaticVectors, projection: StaticProjection, a: str, b: str, c: str) -> list[Arrow]:
    """a→b and c→d, d the 3CosAdd answer (b − a + c): the two offsets 3CosAdd compares."""
    from wordlens.core.vectors.queries import analogy

    answer = analogy(vectors, a, b, c, method="add", topn=1)
    if not answer:
        raise InputError("no answer to that analogy")
    words = [vectors.key_for(word) or word for word in (a, b, c)] + [answer[0].word]
    xy = projection.transform(vectors, words)
    units = unit_rows(np.stack([vectors.vector(word) for word in words]))
    points = [MapPoint(word, float(x), float(y), "sentence", unit) for word, (x, y), unit in zip(words, xy, units,
                                                                                               strict=True)]
    return [Arrow(points[0], points[1]), Arrow(points[2], points[3])]


def cosine_to(unit: np.ndarray, other: np.ndarray) -> float:
    return float(np.dot(unit, other))


# ---- everything the map screen draws for one view, computed off the UI thread -----------------


@dataclass(frozen=True, eq=False)
class SentenceMap:
    method: str
    sample_size: int
    static: tuple[MapPoint, ...]
    paths: tuple[TokenPath, ...]  # the focused token's and those of the other tokens with its text
    paths_note: str | None  # why there are no paths (no map into the static space yet)
    ends: tuple[PathEnds, ...]  # per path: where it ends at each layer
    model_coordinates: np.ndarray | None  # (layers + 1, T, 2), None without the transformer
    arrows: tuple[Arrow, ...]  # the analogy of the sentence's first three words, when it has them
    arrows_note: str | None
    focus_token: int | None
    focus_word: int | None
    parts: frozenset[str] = frozenset({"model", "arrows"})  # which of the optional parts were computed


ALL_PARTS = frozenset({"model", "arrows"})


def sentence_map(analysis: Analysis, vectors: StaticVectors, projection: StaticProjection,
                 static_map: StaticMap | None, focus_token: int | None, focus_word: int | None,
                 parts: frozenset[str] = ALL_PARTS) -> SentenceMap:
    """The static points and the focus's paths, and of `parts` the model space ("model") and the
    analogy's arrows ("arrows"): a screen following edits asks only for what it shows."""
    static = tuple(static_points(analysis, vectors, projection))
    context = analysis.context
    paths: tuple[TokenPath, ...] = ()
    ends: tuple[PathEnds, ...] = ()
    paths_note = None
    if context is None or focus_token is None:
        paths_note = "the transformer has not read the sentence yet"
    elif static_map is None:
        paths_note = "no paths: no map into the static space (g) was found or fitted"
    elif context.special[focus_token]:
        paths_note = f"{context.tokens[focus_token]} is a special token: it has no word on the static map"
    else:
        paths = tuple(token_path(analysis, vectors, projection, static_map, token)
                      for token in same_word_tokens(context, focus_token))
        own = paths[0].start.label if paths and paths[0].start is not None else None
        landmarks = landmark_words(analysis, vectors, own)
        ends = tuple(path_ends(path, vectors, landmarks) for path in paths)
    known = [word.text for word in analysis.words if vectors.key_for(word.text) is not None]
    arrows: tuple[Arrow, ...] = ()
    arrows_note = None
    if "arrows" not in parts:
        pass
    elif len(known) >= 3:
        try:
            arrows = tuple(analogy_arrows(vectors, projection, *known[:3]))
        except InputError as error:
            arrows_note = str(error)
    else:
        arrows_note = "type three words, e.g. man king woman: a is to b as c is to ?"
    return SentenceMap(
        method=projection.method, sample_size=len(projection.sample_words), static=static, paths=paths,
        paths_note=paths_note, ends=ends,
        model_coordinates=None if context is None or "model" not in parts else model_space(context),
        arrows=arrows, arrows_note=arrows_note, focus_token=focus_token, focus_word=focus_word, parts=parts,
    )


def sentence_map_report(found: SentenceMap, analysis: Analysis, layer: int) -> dict[str, Any]:
    """The map screen's numbers in the JSON shape of `wordlens map` (paths: the focused token's
    and its namesakes')."""
    report: dict[str, Any] = {"method": found.method, "layer": layer, "text": analysis.text}
    report["static"] = [{"word": p.label, "x": p.x, "y": p.y, "in_sentence": p.kind == "sentence"}
                        for p in found.static]
    labels = analysis.context.labels if analysis.context is not None else ()
    report["paths"] = [{"token_index": path.token_index, "token": path.token,
                        "text": labels[path.token_index] if labels else path.token,
                        "points": [{"layer": p.layer, "x": p.x, "y": p.y} for p in path.points]}
                       for path in found.paths]
    report["model_space"] = []
    if found.model_coordinates is not None and analysis.context is not None:
        context, coordinates = analysis.context, found.model_coordinates
        for index in range(coordinates.shape[0]):
            report["model_space"].extend(
                {"layer": index, "token_index": token, "token": context.tokens[token], "text": context.labels[token],
                 "x": float(coordinates[index, token, 0]), "y": float(coordinates[index, token, 1])}
                for token in range(len(context.tokens)) if not context.special[token])
    return report
