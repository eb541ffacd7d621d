"""The JSON shapes of the headless commands (README.md, "Command line"): add fields freely, never rename these."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from wordlens.core.analysis import Analysis
from wordlens.core.errors import InputError
from wordlens.core.measures.attention_views import ViewSpec, build_view
from wordlens.core.measures.map_views import model_space, model_space_points, static_points, token_path
from wordlens.core.measures.queries_keys import query_key_map, query_key_report
from wordlens.core.measures.static_vs_context import StaticMap
from wordlens.core.text import MAX_WORDS, align_tokens_to_words, split_words_upto
from wordlens.core.transformer.context_model import NO_HEADS_OFF, ContextModel, HeadsOff
from wordlens.core.transformer.verify import Verification
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
            "note": vectors.info.note,
        },
        "neighbours": [
            {
                "word": found.word,
                "in_vocab": found.in_vocab,
                "from_subwords": found.from_subwords,
                "key": found.key,
                "items": [{"word": item.word, "cosine": item.cosine} for item in found.items],
            }
            for found in lists
        ],
    }


def attention_report(
    model: ContextModel, text: str, spec: ViewSpec = ViewSpec(aggregate="mean"), heads_off: HeadsOff = NO_HEADS_OFF,
) -> dict[str, Any]:
    """Every layer and head's raw weights, [layer][head][from][to], as the model returns them
    (with `heads_off` switched off), and the view `spec` selects ("view", labelled by "view_labels")."""
    encoding = model.encode(text)
    output = model.run(encoding, heads_off=heads_off)
    words, _ = split_words_upto(text, MAX_WORDS)
    token_word = align_tokens_to_words(encoding.offsets, encoding.special, words)
    labels = model.labels(encoding.tokens)
    view = build_view(output.attentions, spec, labels, encoding.special, token_word, [w.text for w in words])
    report = {
        "model": {
            "name": model.info.name,
            "layers": model.info.layers,
            "heads": model.info.heads,
        },
        "tokens": list(encoding.tokens),
        "token_labels": list(labels),  # the tokens as readable text (byte-level ones decoded)
        "special": encoding.special.tolist(),
        "truncated": encoding.truncated,
        "attention": output.attentions.tolist(),
        "view_spec": view_spec_report(spec),
        "view": view.matrix.tolist(),
        "view_labels": list(view.labels),
        "heads_off": heads_off_report(heads_off),
    }
    if spec.words:
        report["unit_of_token"] = view.units.unit_of_token.tolist()
    return report


def _vectors_summary(vectors: StaticVectors) -> dict[str, Any]:
    return {"name": vectors.info.name, "size": vectors.info.size, "dim": vectors.info.dim}


def similarity_report(vectors: StaticVectors, a: str, b: str) -> dict[str, Any]:
    return {"vectors": _vectors_summary(vectors), "a": a, "b": b, "cosine": vectors.similarity(a, b),
            "from_subwords": vectors.from_subwords([a, b])}


def analogy_report(
    vectors: StaticVectors, a: str, b: str, c: str, method: queries.AnalogyMethod, topn: int
) -> dict[str, Any]:
    items = queries.analogy(vectors, a, b, c, method=method, topn=topn)
    return {
        "vectors": _vectors_summary(vectors),
        "query": [a, b, c],
        "method": method,
        "items": [{"word": item.word, "score": item.score} for item in items],
        "from_subwords": vectors.from_subwords([a, b, c]),
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


def compare_report(
    first: Analysis, second: Analysis, word: str, vectors: StaticVectors,
    intact: tuple[Analysis, Analysis] | None = None, spec: ViewSpec | None = None,
    static_map: StaticMap | None = None, no_map: str = "",
) -> dict[str, Any]:
    """The same word in two sentences: static cosine (1.0: one vector per word) beside the
    contextual cosine at every layer, and how the shared words' attention maps differ per head.
    With heads switched off, `intact` (the two analyses without) adds "intact_layers", the
    baseline the ablated "layers" are read against."""
    from wordlens.core.measures.static_vs_context import compare

    result = compare(first, second, word, vectors)
    model = first.require_context().model
    extra: dict[str, Any] = {"heads_off": heads_off_report(first.require_context().heads_off)}
    if intact is not None:
        extra["intact_layers"] = [float(value) for value in compare(*intact, word, vectors).layers]
    if spec is not None:
        extra["side_by_side"] = side_by_side_report(first, second, word, spec, static_map, vectors, no_map)
    return {
        "vectors": _vectors_summary(vectors),
        "model": {"name": model.name, "layers": model.layers, "heads": model.heads},
        "texts": [first.text, second.text],
        "word": result.word,
        "static_cosine": result.static_cosine,
        "layers": [float(value) for value in result.layers],
        "attention_difference": None if result.attention_difference is None
        else result.attention_difference.tolist(),
        **extra,
    }


def side_by_side_report(
    first: Analysis, second: Analysis, word: str, spec: ViewSpec, static_map: StaticMap | None,
    vectors: StaticVectors, no_map: str = "",
) -> dict[str, Any]:
    """The shared word's attention row in each sentence at `spec` (in sentence order, specials apart) and
    each reading of it after spec's layer: its nearest static words through the map (null without one,
    `reading_unavailable` says why)."""
    from wordlens.core.measures.minimal_pair import minimal_pair

    pair = minimal_pair(first, second, word, spec, static_map, vectors)
    return {
        "view": spec.short(), "aggregate": spec.aggregate, "layer": spec.layer, "head": spec.head,
        "reading_hidden_state": pair.hidden_state, "map_fit": pair.map_fit,
        "reading_unavailable": None if static_map is not None else (no_map or "no map into the static space"),
        "sentences": [
            {
                "text": side.text, "word_index": side.word, "words": list(side.words),
                "attention": list(side.attention), "specials": side.specials,
                "attends_most": {"word": side.words[side.strongest()], "weight": side.attention[side.strongest()]},
                "reading": None if side.reading is None
                else [{"word": found, "cosine": float(score)} for found, score in side.reading],
            }
            for side in pair.sides
        ],
    }


def sentence_cosines_report(analysis: Analysis, hide_function_words: bool = False) -> dict[str, Any]:
    """The static cosines between the words of a sentence (null: out of vocabulary, or a function word
    hidden), each word's statically nearest word in it, and the words split to be looked up
    (`split_from`: the written word, `looked_up_as`: its parts)."""
    from wordlens.core.function_words import FUNCTION_WORDS_SOURCE, is_function_word
    from wordlens.core.text import parts_of

    static = analysis.require_static()
    texts = [word.text for word in analysis.words]
    hidden = [hide_function_words and is_function_word(text) for text in texts]
    cosine = np.where(np.array(hidden, dtype=bool)[None, :], np.nan, static.cosine) if texts else static.cosine

    def nearest(row: int) -> dict[str, Any] | None:
        values = [(float(cosine[row, column]), column) for column in range(len(texts))
                  if column != row and np.isfinite(cosine[row, column])]
        if not values:
            return None
        value, column = max(values)
        return {"word": texts[column], "index": column, "cosine": value}

    return {
        "vectors": {"name": static.vectors.name, "size": static.vectors.size, "dim": static.vectors.dim},
        "text": analysis.text,
        "function_words": {"hidden": hide_function_words, "source": FUNCTION_WORDS_SOURCE,
                           "hidden_words": [text for text, off in zip(texts, hidden, strict=True) if off]},
        "words": [
            {"word": word.text, "start": word.start, "end": word.end, "key": found.key, "in_vocab": found.in_vocab,
             "function_word": is_function_word(word.text),
             "split_from": None if word.part_of is None else word.part_of.text,
             "looked_up_as": None if word.part_of is None else parts_of(analysis.words, index),
             "nearest_in_sentence": nearest(index)}
            for index, (word, found) in enumerate(zip(analysis.words, static.neighbours, strict=True))
        ],
        "cosine": [[None if not np.isfinite(value) else float(value) for value in row] for row in cosine],
    }


def heads_off_report(heads_off: HeadsOff) -> list[list[int]]:
    """[[layer, head], ...] in order, 0-based."""
    return [[layer, head] for layer, head in sorted(heads_off)]


def mechanism_report(
    analysis: Analysis, layer: int, head: int, source: int, target: int, input_units: Any | None,
) -> dict[str, Any]:
    """Why this weight: the arithmetic of `source` -> `target` at one layer and head, from the vectors the
    analysis's forward pass captured; `logit` = sum(products) x scale, `row_weights` = softmax(row_logits),
    the model's attention row (`attention`: the model's own weight, for comparison). Masked targets
    (a decoder's later tokens) have a null logit."""
    from wordlens.core.measures.attention_arithmetic import (
        layer_input_name,
        pair_arithmetic,
        static_side,
        token_table_cosines,
    )

    context = analysis.require_context()
    pair = pair_arithmetic(context, layer, head, source, target)
    table = None if input_units is None else token_table_cosines(input_units, context.ids)
    side = static_side(analysis, source, target, table)
    model = context.model
    return {
        "model": {"name": model.name, "layers": model.layers, "heads": model.heads},
        "text": analysis.text,
        "layer": layer,
        "head": head,
        "from": source,
        "to": target,
        "tokens": list(context.tokens),
        "token_labels": list(context.labels),  # the tokens as readable text (byte-level ones decoded)
        "query": pair.query.tolist(),
        "key": pair.key.tolist(),
        "products": pair.products.tolist(),
        "scale": pair.scale,
        "logit": pair.logit,
        "row_logits": [float(value) if np.isfinite(value) else None for value in pair.row_logits],
        "row_weights": pair.row_weights.tolist(),
        "weight": pair.weight,
        "attention": pair.model_weight,
        "top_dimensions": [
            {"dimension": d.dimension, "query": d.query, "key": d.key, "product": d.product}
            for d in pair.top_dimensions
        ],
        "content_logit": pair.content_logit,
        "position_logit": pair.position_part,
        "layer_input": layer_input_name(layer),
        "static": {
            "from_word": side.source_word,
            "to_word": side.target_word,
            "glove_cosine": side.glove_cosine,
            "input_table_cosine": side.input_table_cosine,
        },
        "heads_off": heads_off_report(context.heads_off),
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


def verify_report(model: str, verification: Verification) -> dict[str, Any]:
    """`wordlens verify --json`: per layer the largest |wordlens - transformers| in attentions and hidden states."""
    return {
        "model": model,
        "own_runtime": verification.own_runtime,
        "reference_runtime": verification.reference_runtime,
        "sentences": list(verification.sentences),
        "same_tokens": verification.same_tokens,
        "tolerance": verification.tolerance,
        "largest": verification.largest,
        "passed": verification.passed,
        "layers": [
            {"layer": "embeddings" if d.layer is None else d.layer, "attention": d.attention,
             "hidden_state": d.hidden_state}
            for d in verification.layers
        ],
    }


def predict_report(model: ContextModel, text: str, top: int, lens: bool) -> dict[str, Any]:
    """The decoder's next tokens after `text` and, with `lens`, the logit lens at its last token:
    {"model", "tokens", "predictions": [{"token", "text", "prob"}], "lens": [{"layer", "predictions"}]}.
    An InputError when the model has no language-model head or the text gives no token."""
    from wordlens.core.transformer.next_token import logit_lens, next_token_predictions

    if not model.predicts_tokens:
        raise InputError(f"{model.info.name} has no language-model head: it does not predict next tokens "
                         "(try --model smollm2)")
    encoding = model.encode(text)
    if not encoding.ids:
        raise InputError("the text gives no token to predict after")
    hidden = model.run(encoding).hidden_states
    position = len(encoding.ids) - 1
    report: dict[str, Any] = {
        "model": {"name": model.info.name, "layers": model.info.layers, "heads": model.info.heads},
        "tokens": list(encoding.tokens),
        "truncated": encoding.truncated,
        "predictions": [_prediction(p) for p in next_token_predictions(model, hidden, position, top)],
    }
    if lens:
        report["lens"] = [
            {"layer": row.layer, "predictions": [_prediction(p) for p in row.predictions]}
            for row in logit_lens(model, hidden, position, top)
        ]
    return report


def _prediction(prediction: Any) -> dict[str, Any]:
    return {"token": prediction.token, "text": prediction.text, "prob": prediction.prob}


def map_report(analysis: Analysis, vectors: StaticVectors, projection: StaticProjection, static_map: StaticMap | None,
               layer: int, paths_of: Sequence[int] | None = None, head: int = 0) -> dict[str, Any]:
    """`static`: every point drawn; `paths`: per token (all non-special tokens unless `paths_of`)
    its layers on the static map (empty without a map into the static space); `model_space`:
    every non-special token at every layer (0 = embeddings); `queries_keys`: at `layer` (at least
    1) and `head`, every token's query and key, lines from every non-special token's query to its
    heaviest keys (None, with `queries_keys_unavailable`, when the runtime captures none)."""
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
                "token_index": token, "token": path.token, "text": context.labels[token],
                "start": None if path.start is None else {"word": path.start.label, "x": path.start.x,
                                                          "y": path.start.y},
                "points": [{"layer": point.layer, "x": point.x, "y": point.y} for point in path.points],
            })
    coordinates = model_space(context)
    for index in range(coordinates.shape[0]):
        for point in model_space_points(context, coordinates, index):
            token = point.token if point.token is not None else -1  # model-space points are tokens
            report["model_space"].append({"layer": index, "token_index": point.token,
                                          "token": context.tokens[token], "text": point.label,
                                          "x": point.x, "y": point.y})
    report["queries_keys"] = None
    try:
        found = query_key_map(context, max(1, layer) - 1, head, None, tokens)
        report["queries_keys"] = query_key_report(context, found)
    except InputError as error:
        report["queries_keys_unavailable"] = str(error)
    return report


def uses_report(word: str, token: str, layer: int, model: str, corpus: str, uses: Sequence[Any]) -> dict[str, Any]:
    """`uses --json`: the nearest uses (core/uses/uses_index.Use) of `word`'s token at hidden state `layer`."""
    return {
        "word": word,
        "token": token,
        "layer": layer,
        "model": model,
        "corpus": corpus,
        "uses": [{"sentence": use.sentence, "token": use.token, "start": use.start, "end": use.end,
                  "cosine": round(float(use.cosine), 6), "source": use.source} for use in uses],
    }


def lesson_report(lesson: Any) -> dict[str, Any]:
    """`lesson --json`: each step (core/lesson.LessonStep) with what it shows (token indices, 0-based layer and
    head, as every JSON here) and the numbers its caption shows, by name."""
    return {
        "text": lesson.text,
        "steps": [{"title": step.title, "caption": step.caption, "screen": step.shown.screen, "text": step.shown.text,
                   "focus": step.shown.focus, "target": step.shown.target, "layer": step.shown.layer,
                   "head": step.shown.head, "numbers": {name: round(float(value), 6) for name, value in step.numbers}}
                  for step in lesson.steps],
    }
