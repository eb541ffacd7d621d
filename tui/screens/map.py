"""The map screen (p): both spaces on one picture.

1 static map: the sentence's words and their static neighbours on the fixed map of the vectors
  (fitted once on the most frequent words, cached), and the path of the focused token's hidden
  states through the per-layer maps into the static space (the `g` fit), numbered by layer;
2 model space: every token at the layer shown, in one PCA over all layers of this text;
3 analogy: the sentence's first three words a b c, and the offsets a→b and c→d that 3CosAdd compares.
Everything is computed in the background (app.run_in_background); a UMAP or t-SNE fit reports its
progress here.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Static

from wordlens.core.errors import WordlensError
from wordlens.core.layer_names import hidden_state_brief_name
from wordlens.core.measures.map_views import MapPoint, SentenceMap, sentence_map, sentence_map_report
from wordlens.core.reports.export import free_stem
from wordlens.core.reports.map_export import FigureLine, FigurePoint, MapFigure, write_map_export
from wordlens.core.vectors.static_projection import METHODS
from wordlens.tui.panes.map_canvas import Drawing, MapCanvas
from wordlens.tui.screens.dialog import Dialog
from wordlens.tui.state import ViewState

LAYER_GLYPHS = "0123456789abcdefghijklmnopqrstuvwxyz"
MODES = {"static": "static map", "model": "model space", "analogy": "analogy"}


class ProjectionProgress(Message):
    def __init__(self, stage: str, fraction: float) -> None:
        super().__init__()
        self.stage, self.fraction = stage, fraction


class MapScreen(Dialog[None]):
    BINDINGS = [
        Binding("escape,q", "dismiss(None)", "close"),
        Binding("1", "mode('static')", "static"),
        Binding("2", "mode('model')", "model"),
        Binding("3", "mode('analogy')", "analogy"),
        Binding("k", "next_method", "method"),
        Binding("left_square_bracket", "layer(-1)", "layer-", key_display="["),
        Binding("right_square_bracket", "layer(1)", "layer+", key_display="]"),
        Binding("x", "export", "export"),
        Binding("up", "cursor(0, -1)", "cursor", show=False),
        Binding("down", "cursor(0, 1)", "cursor", show=False),
        Binding("left", "cursor(-1, 0)", "cursor", show=False),
        Binding("right", "cursor(1, 0)", "cursor", show=False),
    ]
    DEFAULT_CSS = """
    MapScreen { background: $background; }
    MapScreen > Static { height: auto; padding: 0 1; }
    MapScreen #map-status { color: $text-muted; }
    """

    def __init__(self, view: ViewState, method: str = "pca") -> None:
        super().__init__()
        self.view = view
        self.method = method
        self.map_mode = "static"
        context = view.context
        self.layer_count = context.hidden_states.shape[0] - 1 if context is not None else 0
        self.shown_layer = min(view.layer + 1, self.layer_count)  # the hidden state after the explorer's layer
        self.found: SentenceMap | None = None
        self.drawing = Drawing()
        self.fitting: tuple[str, float] | None = None  # (what, started) while a map is fitted
        self.stage_text = ""

    @staticmethod
    def unavailable(view: ViewState) -> str | None:
        analysis = view.analysis
        if analysis is None or analysis.static is None:
            return "The map needs the static vectors loaded and a sentence typed."
        return None

    def compose(self) -> ComposeResult:
        yield Static(id="map-title")
        yield MapCanvas(id="map-canvas")
        yield Static(id="map-info")
        yield Static(id="map-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(MapCanvas).focus()
        self.set_interval(0.5, self._show_status)
        self._compute()

    # ---- computing (background) ------------------------------------------------------------
    def _compute(self) -> None:
        app, view, method = self.app, self.view, self.method
        engine = app.engine
        glove_map = app.glove_map.fitted
        focus_token = view.focus if view.context is not None else None
        focus_word = view.focused_word
        self.fitting = (method, time.monotonic())

        def report(stage: str, fraction: float) -> None:
            self.post_message(ProjectionProgress(stage, fraction))

        def compute() -> SentenceMap:
            projection = engine.static_projection(method, report)
            static_map, problem = glove_map, None
            if static_map is None and view.context is not None:
                # the paths need the map into the static space (g): from disk, else fitted once here
                try:
                    static_map = engine.static_map(report)
                except WordlensError as error:
                    problem = f"no paths: no map into the static space ({error})"
            found = sentence_map(view.analysis, engine.load_vectors(), projection, static_map, focus_token, focus_word)
            return replace(found, paths_note=problem) if problem else found

        app.run_in_background("map", compute, self._computed)
        self._show_status()

    def _computed(self, found: SentenceMap) -> None:
        if self not in self.app.screen_stack:
            return
        self.found, self.fitting = found, None
        self.stage_text = ""
        self._redraw()

    def on_projection_progress(self, message: ProjectionProgress) -> None:
        self.stage_text = message.stage
        self._show_status()

    def _show_status(self) -> None:
        status = self.query_one("#map-status", Static)
        if self.fitting is not None:
            what, started = self.fitting
            stage = self.stage_text or f"fitting the {what.upper()} map"
            status.update(Text(f"{stage}… {time.monotonic() - started:.0f} s (once per vectors file: cached after)"))
        else:
            status.update(Text(self._note()))

    def _note(self) -> str:
        found = self.found
        if found is None:
            return ""
        if self.map_mode == "static":
            return found.paths_note or ""
        if self.map_mode == "analogy":
            return found.arrows_note or ""
        return "" if found.model_coordinates is not None else "the transformer has not read the sentence yet"

    # ---- drawing ----------------------------------------------------------------------------
    def _redraw(self) -> None:
        found = self.found
        if found is None:
            return
        builder = {"static": self._static_drawing, "model": self._model_drawing, "analogy": self._analogy_drawing}
        self.drawing = builder[self.map_mode](found)
        self.query_one(MapCanvas).show(self.drawing, self.drawing.focus)
        self.query_one("#map-title", Static).update(self._title())
        self._show_status()

    def _title(self) -> Text:
        found = self.found
        method = self.method.upper().replace("TSNE", "t-SNE")
        if self.map_mode == "model":
            what = (f"model space · one PCA over all {self.layer_count + 1} layers of this text · "
                    f"{hidden_state_brief_name(self.shown_layer)}")
            legend = "● token  ◉ focused  0-9: the focused word's tokens at the layers before  ←↑↓→ cursor"
        elif self.map_mode == "analogy":
            what = f"analogy on the static map ({method}, fixed) · arrows a→b and c→d (3CosAdd)"
            legend = "● word  ⠿ neighbour  ←↑↓→ cursor"
        else:
            sample = f"{found.sample_size:,}" if found else "?"
            what = (f"static map · {method} of the {sample} most frequent words, fitted once · "
                    f"path to {hidden_state_brief_name(self.shown_layer)}")
            legend = "● word  ◉ focused  ⠿ neighbour  0-9: its layers, mapped into static space (g)  ←↑↓→ cursor"
        return Text.assemble((what, "bold"), "\n", (legend, "dim"))

    def _focus_key(self) -> str | None:
        """The focused word's entry in the static vocabulary (its point is drawn once per entry)."""
        found = self.found
        if found is None or found.focus_word is None:
            return None
        return self.app.engine.load_vectors().key_for(self.view.analysis.words[found.focus_word].text)

    def _focus_unit(self) -> np.ndarray | None:
        found = self.found
        if found is None:
            return None
        if self.map_mode == "model" and found.focus_token is not None and self.view.context is not None:
            state = self.view.context.hidden_states[self.shown_layer, found.focus_token].astype(np.float64)
            norm = np.linalg.norm(state)
            return state / norm if norm > 0 else state
        focus_key = self._focus_key()
        for point in found.static:
            if point.kind == "sentence" and point.label == focus_key:
                return point.unit
        return None

    def _static_drawing(self, found: SentenceMap) -> Drawing:
        points: list[MapPoint] = list(found.static)
        focus_key = self._focus_key()
        kinds = ["focus" if p.kind == "sentence" and p.label == focus_key else p.kind for p in points]
        glyphs = [""] * len(points)
        labels = [p.label for p in points]
        lines: list[tuple[int, int, str]] = []
        zoom = [i for i, p in enumerate(points) if p.kind == "sentence"]
        focus = next((i for i, kind in enumerate(kinds) if kind == "focus"), None)
        for number, path in enumerate(found.paths, start=1):
            kind = "path" if path.token_index == found.focus_token else "path-other"
            previous = next((i for i, p in enumerate(points) if p.label == path.start.label and p.kind == "sentence"),
                            None) if path.start is not None else None
            for point in path.points[: self.shown_layer + 1]:
                points.append(point)
                kinds.append(kind)
                glyphs.append(LAYER_GLYPHS[point.layer or 0] if (point.layer or 0) < len(LAYER_GLYPHS) else "+")
                ending = point.layer == self.shown_layer
                name = path.token if len(found.paths) == 1 else f"{path.token} #{number}"
                labels.append(f" {name}" if ending else "")  # a space after the layer digit
                index = len(points) - 1
                zoom.append(index)
                if previous is not None:
                    lines.append((previous, index, kind))
                previous = index
        return Drawing(tuple(points), tuple(glyphs), tuple(kinds), tuple(labels), tuple(lines), focus, tuple(zoom))

    def _model_drawing(self, found: SentenceMap) -> Drawing:
        context, coordinates = self.view.context, found.model_coordinates
        if context is None or coordinates is None:
            return Drawing()
        units = coordinates  # (L + 1, T, 2)
        states = context.hidden_states
        namesakes = {t for t in range(len(context.tokens)) if found.focus_token is not None
                     and context.tokens[t] == context.tokens[found.focus_token] and not context.special[t]}
        points, kinds, glyphs, labels, lines = [], [], [], [], []
        focus = None
        zoom = []
        layer = self.shown_layer
        for token in range(len(context.tokens)):
            if context.special[token]:
                continue
            state = states[layer, token].astype(np.float64)
            norm = np.linalg.norm(state)
            point = MapPoint(context.tokens[token], float(units[layer, token, 0]), float(units[layer, token, 1]),
                             "token", state / norm if norm > 0 else state, token=token, layer=layer)
            points.append(point)
            kinds.append("focus" if token == found.focus_token else "path-other" if token in namesakes else "token")
            glyphs.append("")
            labels.append(point.label)
            if token == found.focus_token:
                focus = len(points) - 1
            zoom.append(len(points) - 1)
        current = {points[i].token: i for i in range(len(points))}
        for token in sorted(namesakes):
            previous = None
            kind = "path" if token == found.focus_token else "path-other"
            for layer in range(self.shown_layer):
                state = states[layer, token].astype(np.float64)
                norm = np.linalg.norm(state)
                points.append(MapPoint(str(layer), float(units[layer, token, 0]), float(units[layer, token, 1]),
                                       "path", state / norm if norm > 0 else state, token=token, layer=layer))
                kinds.append(kind)
                glyphs.append(LAYER_GLYPHS[layer] if layer < len(LAYER_GLYPHS) else "+")
                labels.append("")
                if previous is not None:
                    lines.append((previous, len(points) - 1, kind))
                previous = len(points) - 1
            if previous is not None:
                lines.append((previous, current[token], kind))
        all_layers = units[:, ~context.special, :].reshape(-1, 2)
        (low_x, low_y), (high_x, high_y) = all_layers.min(axis=0), all_layers.max(axis=0)
        return Drawing(tuple(points), tuple(glyphs), tuple(kinds), tuple(labels), tuple(lines), focus, tuple(zoom),
                       bounds=(float(low_x), float(high_x), float(low_y), float(high_y)))

    def _analogy_drawing(self, found: SentenceMap) -> Drawing:
        if not found.arrows:
            return Drawing()
        points = [p for p in found.static if p.kind == "neighbour"]
        kinds = ["neighbour"] * len(points)
        lines = []
        zoom = []
        for arrow in found.arrows:
            start, end = len(points), len(points) + 1
            points.extend([arrow.start, arrow.end])
            kinds.extend(["sentence", "sentence"])
            lines.append((start, end, "arrow"))
            zoom.extend([start, end])
        glyphs = [""] * len(points)
        glyphs[zoom[1]] = glyphs[zoom[3]] = "▲"  # the arrows' heads: b and d
        labels = [p.label for p in points]
        return Drawing(tuple(points), tuple(glyphs), tuple(kinds), tuple(labels), tuple(lines), zoom[0], tuple(zoom))

    def on_map_canvas_cursor_moved(self, message: MapCanvas.CursorMoved) -> None:
        info = self.query_one("#map-info", Static)
        if message.point is None or message.point >= len(self.drawing.points):
            info.update(Text("no points to show" if self.found is not None else "computing the map…"))
            return
        point = self.drawing.points[message.point]
        what = {"neighbour": "static neighbour", "sentence": "word of the sentence", "focus": "focused word",
                "token": "token", "path": "the focused token", "path-other": "same word, other token"}
        name = point.label if point.kind != "path" else self.view.context.tokens[point.token]
        line = Text.assemble((name, "bold"), f" · {what.get(self.drawing.kinds[message.point], point.kind)}")
        if point.layer is not None:
            line.append(f" · {hidden_state_brief_name(point.layer)}")
        line.append(f" · x {point.x:.3f}  y {point.y:.3f}")
        focus = self._focus_unit()
        if focus is not None and point.unit.shape == focus.shape:
            line.append(f" · cosine to the focus {float(np.dot(point.unit, focus)):.3f}")
        info.update(line)

    # ---- keys -------------------------------------------------------------------------------
    def action_mode(self, mode: str) -> None:
        self.map_mode = mode
        self._redraw()

    def action_layer(self, delta: int) -> None:
        self.shown_layer = max(0, min(self.layer_count, self.shown_layer + delta))
        self._redraw()

    def action_next_method(self) -> None:
        if self.fitting is not None:
            self.app.notify("A map is still being fitted.", severity="warning")
            return
        self.method = METHODS[(METHODS.index(self.method) + 1) % len(METHODS)]  # type: ignore[arg-type]
        self._compute()

    def action_cursor(self, dx: int, dy: int) -> None:
        self.query_one(MapCanvas).move_cursor(dx, dy)

    def action_export(self) -> None:
        if self.found is None:
            self.app.notify("Nothing to export yet: the map is still being computed.", severity="warning")
            return
        figure = self._figure()
        folder = self.app.output_folder or Path.cwd()

        def exported(paths: list[Path]) -> None:
            self.app.notify("\n".join(path.name for path in paths), title=f"exported to {folder}")
            self.app.deliver_to_browser(paths)

        self.app.run_in_background("map export", lambda: write_map_export(figure, folder, free_stem(folder,
                                                                                                    "wordlens-map")),
                                   exported)

    def _figure(self) -> MapFigure:
        drawing, found = self.drawing, self.found
        labelled = self.query_one(MapCanvas).layout.labelled
        points = tuple(FigurePoint((drawing.labels[i] or point.label).strip(), point.x, point.y, drawing.kinds[i],
                                   i in labelled, point.layer, point.token)
                       for i, point in enumerate(drawing.points))
        lines = tuple(FigureLine((drawing.points[a].x, drawing.points[a].y), (drawing.points[b].x, drawing.points[b].y),
                                 kind) for a, b, kind in drawing.lines)
        title = self._title().plain.splitlines()[0] + f"\n{self.view.analysis.text}"
        axis = "PC" if self.map_mode == "model" or self.method == "pca" else self.method.upper()
        assert found is not None
        return MapFigure(title, f"{axis} 1", f"{axis} 2", points, lines,
                         sentence_map_report(found, self.view.analysis, self.shown_layer))
