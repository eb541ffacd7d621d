"""Export the map screen (x): the map as a matplotlib figure (SVG and PNG, Agg backend, real axes
and labels), and the coordinates of every point drawn as CSV and JSON. Pure: no Textual, no Rich.

Files for a stem S in a folder: S.svg, S.png, S.csv (label, kind, x, y, layer, token_index),
S.json (title, axes, points, lines).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wordlens.core.errors import WordlensError

# matplotlib colours of the screen's 256-colour kinds
FIGURE_COLOURS = {"neighbour": "#9e9e9e", "sentence": "#1f77b4", "token": "#1f77b4", "focus": "#ff8c00",
                  "path": "#d62728", "path-other": "#9467bd", "arrow": "#2ca02c",
                  "query": "#2ca02c", "key": "#e377c2", "attend-strong": "#222222", "attend": "#666666",
                  "attend-weak": "#bbbbbb"}

FIGURE_LEGEND = {"neighbour": "static neighbour", "sentence": "word of the sentence", "token": "token",
                 "focus": "focused", "path": "the focused token's path", "path-other": "same word, other token",
                 "arrow": "analogy offset", "query": "query", "key": "key",
                 "attend-strong": "attention ≥ 0.25", "attend": "attention ≥ 0.1", "attend-weak": "attention < 0.1"}


@dataclass(frozen=True)
class FigurePoint:
    label: str
    x: float
    y: float
    kind: str
    labelled: bool  # its label is written on the figure (the screen's choice: nearest the focus first)
    layer: int | None = None
    token_index: int | None = None


@dataclass(frozen=True)
class FigureLine:
    start: tuple[float, float]
    end: tuple[float, float]
    kind: str


@dataclass(frozen=True)
class MapFigure:
    title: str
    x_label: str
    y_label: str
    points: tuple[FigurePoint, ...]
    lines: tuple[FigureLine, ...]
    report: dict[str, Any]  # the JSON of the map (the shape), written beside the figure


def write_map_export(figure: MapFigure, folder: Path, stem: str) -> list[Path]:
    """Write S.svg, S.png, S.csv and S.json; return their paths. WordlensError on a failed write."""
    paths = [folder / f"{stem}.{suffix}" for suffix in ("svg", "png", "csv", "json")]
    try:
        _draw(figure, paths[0], paths[1])
        with paths[2].open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["label", "kind", "x", "y", "layer", "token_index"])
            for point in figure.points:
                writer.writerow([point.label, point.kind, f"{point.x:.6g}", f"{point.y:.6g}",
                                 "" if point.layer is None else point.layer,
                                 "" if point.token_index is None else point.token_index])
        document = dict(figure.report)
        document["figure"] = {
            "title": figure.title, "x_label": figure.x_label, "y_label": figure.y_label,
            "points": [{"label": p.label, "kind": p.kind, "x": p.x, "y": p.y, "layer": p.layer,
                        "token_index": p.token_index} for p in figure.points],
            "lines": [{"from": list(line.start), "to": list(line.end), "kind": line.kind} for line in figure.lines],
        }
        with paths[3].open("w", encoding="utf-8") as file:
            json.dump(document, file, ensure_ascii=False)
    except OSError as error:
        raise WordlensError(f"cannot write the map to {folder}: {error.strerror or error}") from None
    return paths


def _draw(figure: MapFigure, svg: Path, png: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    drawn = Figure(figsize=(9, 7), dpi=110)
    FigureCanvasAgg(drawn)
    axes = drawn.add_subplot()
    for line in figure.lines:
        colour = FIGURE_COLOURS.get(line.kind, "black")
        if line.kind == "arrow":
            axes.annotate("", xy=line.end, xytext=line.start,
                          arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.6})
        else:
            axes.plot([line.start[0], line.end[0]], [line.start[1], line.end[1]], color=colour, lw=1.2, alpha=0.8)
    for kind in FIGURE_COLOURS:
        chosen = [p for p in figure.points if p.kind == kind]
        if chosen:
            axes.scatter([p.x for p in chosen], [p.y for p in chosen], s=10 if kind == "neighbour" else 28,
                         color=FIGURE_COLOURS[kind], label=FIGURE_LEGEND[kind], zorder=3)
    for point in figure.points:
        if point.labelled:
            axes.annotate(point.label, (point.x, point.y), xytext=(4, 3), textcoords="offset points", fontsize=8,
                          color=FIGURE_COLOURS.get(point.kind, "black"))
    axes.set_title(figure.title, fontsize=10)
    axes.set_xlabel(figure.x_label)
    axes.set_ylabel(figure.y_label)
    axes.set_aspect("equal", adjustable="datalim")
    axes.grid(alpha=0.25)
    axes.legend(fontsize=7, loc="best")
    drawn.tight_layout()
    drawn.savefig(svg, format="svg")
    drawn.savefig(png, format="png")
