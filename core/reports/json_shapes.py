"""The JSON shapes of the headless commands (README.md, "Command line"): add fields freely, never rename these."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from wordlens.core.analysis import Analysis
from wordlens.core.measures.attention_views import ViewSpec, build_view
from wordlens.core.measures.map_views import model_space, model_space_points, static_points, token_path
from wordlens.core.measures.static_vs_context import StaticMap
from wordlens.core.text import MAX_WORDS, align_tokens_to_words, split_words_upto
from wordlens.core.transformer.context_model import ContextModel
from wordlens.core.vectors import queries
from wordlens.core.vectors.static_projection import StaticProjection
from wordlens.core.vectors.static_vectors import StaticVectors


def neighbours_report(
    vectors: StaticVectors, words: Sequence[str], topn: int, restrict_vocab: int | None
) -> dict[str, Any]:
    lists = vectors.neighbours(words, topn=topn, restrict_vocab=restrict_vocab)
    return {
        "vectors": {
            "name": vectors.info.name,
            "size": vectors.info.size,
            "dim": vectors.info.dim,
            "restrict_vocab": vectors.effective_restrict_vocab(restrict_vocab),
        },
        "neighbours": [
            {
                "word": found.word,
                "in_vocab": found.in_vocab,
                "key": found.key,
                "items": [{"word": item.word, "cosine": item.cosine} for item in found.items],
            }
            for found in lists
        ],
    }


def attention_report(model: ContextModel, text: str, spec: ViewSpec = ViewSpec(aggregate="mean")) -> dict[str, Any]:
    """Every layer and head's raw weights, [layer][head][from][to], as the model returns them,
    and the view `spec` selects ("view", labelled by "view_labels")."""
    encoding = model.encode(text)
    output = model.run(encoding)
    words, _ = split_words_upto(text, MAX_WORDS)
    token_word = align_tokens_to_words(encoding.offsets, encoding.special, words)
    view = build_view(output.attentions, spec, encoding.tokens, encoding.special, token_word, [w.text for w in words])
    report = {
        "model": {
            "name": model.info.name,
            "layers": model.info.layers,
            "heads": model.info.heads,
        },
        "tokens": list(encoding.tokens),
        "special": encoding.special.tolist(),
        "truncated": encoding.truncated,
        "attention": output.attentions.tolist(),
        "view_spec": view_spec_report(spec),
        "view": view.matrix.tolist(),
        "view_labels": list(view.labels),
    }
    if spec.words:
        report["unit_of_token"] = view.units.unit_of_token.tolist()
    return report


def _vectors_summary(vectors: StaticVectors) -> dict[str, Any]:
    return {"name": vectors.info.name, "size": vectors.info.size, "dim": vectors.info.dim}


def similarity_report(vectors: StaticVectors, a: str, b: str) -> dict[str, Any]:
    return {"vectors": _vectors_summary(vectors), "a": a, "b": b, "cosine": vectors.similarity(a, b)}


def analogy_report(
    vectors: StaticVectors, a: str, b: str, c: str, method: queries.AnalogyMethod, topn: int
) -> dict[str, Any]:
    items = queries.analogy(vectors, a, b, c, method=method, topn=topn)
    return {
        "vectors": _vectors_summary(vectors),
        "query": [a, b, c],
        "method": method,
        "items": [{"word": item.word, "score": item.score} for item in items],
    }


def odd_one_out_report(vectors: StaticVectors, words: Sequence[str]) -> dict[str, Any]:
    return {
        "vectors": _vectors_summary(vectors),
        "words": list(words),
        "odd_one_out": queries.odd_one_out(vectors, words),
    }


def evaluate_report(vectors: StaticVectors, restrict_vocab: int) -> dict[str, Any]:
    """gensim's three shipped benchmarks, scored as gensim scores them, with timings."""
    started = time.perf_counter()
    analogies = queries.evaluate_analogies(vectors, restrict_vocab=restrict_vocab)
    analogy_seconds = time.perf_counter() - started
    result: dict[str, Any] = {
        "vectors": _vectors_summary(vectors),
        "analogies": {
            "accuracy": analogies.accuracy,
            "restrict_vocab": analogies.restrict_vocab,
            "correct": analogies.correct,
            "incorrect": analogies.incorrect,
            "skipped_oov": analogies.oov,
            "file": "questions-words.txt",
            "seconds": round(analogy_seconds, 3),
            "sections": [
                {"section": s.name, "accuracy": s.accuracy, "correct": s.correct, "incorrect": s.incorrect}
                for s in analogies.sections
            ],
        },
    }
    for key, name in (("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")):
        started = time.perf_counter()
        pairs = queries.evaluate_pairs(vectors, queries.gensim_test_file(name), restrict_vocab=restrict_vocab)
        result[key] = {
            "spearman": pairs.spearman,
            "pearson": pairs.pearson,
            "oov_percent": pairs.oov_ratio,
            "restrict_vocab": vectors.effective_restrict_vocab(restrict_vocab),
            "file": name,
            "seconds": round(time.perf_counter() - started, 3),
        }
    return result


def compare_report(first: Analysis, second: Analysis, word: str, vectors: StaticVectors) -> dict[str, Any]:
    """The same word in two sentences: static cosine (1.0: one vector per word) beside the
    contextual cosine at every layer, and how the shared words' attention maps differ per head."""
    from wordlens.core.measures.static_vs_context import compare

    result = compare(first, second, word, vectors)
    model = first.require_context().model
    return {
        "vectors": _vectors_summary(vectors),
        "model": {"name": model.name, "layers": model.layers, "heads": model.heads},
        "texts": [first.text, second.text],
        "word": result.word,
        "static_cosine": result.static_cosine,
        "layers": [float(value) for value in result.layers],
        "attention_difference": None if result.attention_difference is None
        else result.attention_difference.tolist(),
    }


def view_spec_report(spec: ViewSpec) -> dict[str, Any]:
    """A derived view's settings as JSON (shared by `attention --json` and the TUI's export)."""
    return {
        "aggregate": spec.aggregate,
        "layer": spec.layer,
        "head": spec.head if spec.aggregate == "head" else None,
        "words": spec.words,
        "hide_special": spec.hide_special,
        "description": spec.describe(),
    }


def map_report(analysis: Analysis, vectors: StaticVectors, projection: StaticProjection, static_map: StaticMap | None,
               layer: int, paths_of: Sequence[int] | None = None) -> dict[str, Any]:
    """`static`: every point drawn; `paths`: per token (all non-special tokens unless `paths_of`)
    its layers on the static map (empty without a map into the static space); `model_space`:
    every non-special token at every layer (0 = embeddings)."""
    report: dict[str, Any] = {"method": projection.method, "layer": layer, "text": analysis.text}
    report["static"] = [{"word": point.label, "x": point.x, "y": point.y, "in_sentence": point.kind == "sentence"}
                        for point in static_points(analysis, vectors, projection)]
    report["paths"] = []
    report["model_space"] = []
    context = analysis.context
    if context is None:
        return report
    tokens = list(paths_of) if paths_of is not None else [t for t in range(len(context.tokens))
                                                          if not context.special[t]]
    if static_map is not None:
        for token in tokens:
            path = token_path(analysis, vectors, projection, static_map, token)
            report["paths"].append({
                "token_index": token, "token": path.token,
                "start": None if path.start is None else {"word": path.start.label, "x": path.start.x,
                                                          "y": path.start.y},
                "points": [{"layer": point.layer, "x": point.x, "y": point.y} for point in path.points],
            })
    coordinates = model_space(context)
    for index in range(coordinates.shape[0]):
        for point in model_space_points(context, coordinates, index):
            report["model_space"].append({"layer": index, "token_index": point.token, "token": point.label,
                                          "x": point.x, "y": point.y})
    return report
