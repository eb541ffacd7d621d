"""Export what the explorer shows: the tokens, the attention matrix of the current view, the
static neighbour lists and cosines, to JSON, CSV and NPZ. Pure: no Textual, no Rich.

Files written for a stem S in a folder:
  S.json            everything below, as JSON
  S.csv             the matrix shown: a header row and a first column of its labels
  S-neighbours.csv  word, rank, neighbour, cosine: the static neighbours of every word
  S.npz             arrays: view, view_labels, tokens, special, attentions (layers, heads, T, T),
                    words, static_cosine (W, W), neighbour_words / neighbour_cosines (W, topn)
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from wordlens.core.analysis import Analysis
from wordlens.core.errors import WordlensError
from wordlens.core.measures.attention_views import ViewSpec, build_view
from wordlens.core.reports.json_shapes import view_spec_report


class ExportArrays(TypedDict, total=False):
    """The NPZ contents, by name: a closed set, so none can collide with savez's own keywords."""

    words: np.ndarray
    view: np.ndarray
    view_labels: np.ndarray
    tokens: np.ndarray
    special: np.ndarray
    attentions: np.ndarray
    static_cosine: np.ndarray
    neighbour_words: np.ndarray
    neighbour_cosines: np.ndarray


@dataclass(frozen=True)
class ExportedView:
    """What is on screen, in plain data; `matrix` is None while the model is still loading."""

    report: dict[str, Any]  # the JSON document
    matrix: np.ndarray | None
    labels: tuple[str, ...]
    arrays: ExportArrays  # the NPZ contents


def export_view(analysis: Analysis, spec: ViewSpec, focus: int = 0, target: int = 0) -> ExportedView:
    """The view of `analysis` that `spec` selects, with the focused and target tokens."""
    words = [word.text for word in analysis.words]
    report: dict[str, Any] = {"text": analysis.text, "words": words}
    arrays: ExportArrays = {"words": np.array(words, dtype=str)}
    matrix: np.ndarray | None = None
    labels: tuple[str, ...] = ()

    context = analysis.context
    if context is not None:
        view = build_view(context.attentions, spec, context.labels, context.special, context.token_word, words)
        matrix, labels = view.matrix, view.labels
        report.update(
            model={"name": context.model.name, "layers": context.model.layers, "heads": context.model.heads},
            tokens=list(context.tokens),
            token_labels=list(context.labels),
            special=context.special.tolist(),
            focus={"token": focus, "text": _token(context.tokens, focus), "label": _token(context.labels, focus)},
            target={"token": target, "text": _token(context.tokens, target), "label": _token(context.labels, target)},
            view_spec=view_spec_report(spec),
            view_labels=list(view.labels),
            view=view.matrix.tolist(),
        )
        arrays.update({
            "view": np.asarray(view.matrix),
            "view_labels": np.array(view.labels, dtype=str),
            "tokens": np.array(context.tokens, dtype=str),
            "special": np.asarray(context.special, dtype=bool),
            "attentions": np.asarray(context.attentions),
        })

    static = analysis.static
    if static is not None:
        report.update(
            vectors={"name": static.vectors.name, "size": static.vectors.size, "dim": static.vectors.dim,
                     "restrict_vocab": static.restrict_vocab},
            neighbours=[
                {"word": found.word, "in_vocab": found.in_vocab, "key": found.key,
                 "items": [{"word": item.word, "cosine": item.cosine} for item in found.items],
                 "split_from": None if word.part_of is None else word.part_of.text}
                for found, word in zip(static.neighbours, analysis.words, strict=True)
            ],
            static_cosine=[[_number(value) for value in row] for row in static.cosine],
        )
        topn = max((len(found.items) for found in static.neighbours), default=0)
        neighbour_words = np.full((len(words), topn), "", dtype=object)
        neighbour_cosines = np.full((len(words), topn), np.nan, dtype=np.float32)
        for row, found in enumerate(static.neighbours):
            for column, item in enumerate(found.items):
                neighbour_words[row, column] = item.word
                neighbour_cosines[row, column] = item.cosine
        arrays.update({
            "static_cosine": np.asarray(static.cosine),
            "neighbour_words": neighbour_words.astype(str),
            "neighbour_cosines": neighbour_cosines,
        })
    return ExportedView(report=report, matrix=matrix, labels=labels, arrays=arrays)


def _token(tokens, index: int) -> str | None:
    return tokens[index] if 0 <= index < len(tokens) else None


def _number(value: float) -> float | None:
    """JSON has no NaN: an out-of-vocabulary cosine becomes null."""
    return None if np.isnan(value) else float(value)


def free_stem(folder: Path, prefix: str = "wordlens") -> str:
    """A file name stem in `folder` that no export or screenshot uses yet, from the time."""
    base = f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"
    stem, number = base, 1
    while any(folder.glob(f"{stem}.*")) or any(folder.glob(f"{stem}-*.*")):
        number += 1
        stem = f"{base}-{number}"
    return stem


def write_export(exported: ExportedView, folder: Path, stem: str) -> list[Path]:
    """Write the JSON, CSV and NPZ files; return their paths. Raises WordlensError on a write
    that fails (no such folder, no permission, disk full)."""
    json_path = folder / f"{stem}.json"
    matrix_path = folder / f"{stem}.csv"
    neighbours_path = folder / f"{stem}-neighbours.csv"
    npz_path = folder / f"{stem}.npz"
    try:
        with json_path.open("w", encoding="utf-8") as file:
            json.dump(exported.report, file, ensure_ascii=False)
        written = [json_path]
        if exported.matrix is not None:
            with matrix_path.open("w", encoding="utf-8", newline="") as file:
                writer = csv.writer(file)
                writer.writerow(["from \\ to", *exported.labels])
                for label, row in zip(exported.labels, exported.matrix, strict=True):
                    writer.writerow([label, *(f"{value:.6g}" for value in row)])
            written.append(matrix_path)
        if "neighbours" in exported.report:
            with neighbours_path.open("w", encoding="utf-8", newline="") as file:
                writer = csv.writer(file)
                writer.writerow(["word", "rank", "neighbour", "cosine"])
                for found in exported.report["neighbours"]:
                    for rank, item in enumerate(found["items"], start=1):
                        writer.writerow([found["word"], rank, item["word"], f"{item['cosine']:.6g}"])
            written.append(neighbours_path)
        np.savez_compressed(npz_path, **exported.arrays)
        written.append(npz_path)
    except OSError as error:
        raise WordlensError(f"cannot write the export to {folder}: {error.strerror or error}") from None
    return written
