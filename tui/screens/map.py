"""The map screen (p): both spaces on one picture.

1 static map: the sentence's words and their static neighbours on the fixed map of the vectors
  (fitted once on the most frequent words, cached), and the path of the focused token's hidden
  states through the per-layer maps into the static space (the `g` fit), numbered by layer;
2 model space: every token at the layer shown, in one PCA over all layers of this text;
3 analogy: the sentence's first three words a b c, and the offsets a→b and c→d that 3CosAdd compares;
4 queries and keys: at the layer and head shown, every token's query and key in one PCA, lines from
  the focused token's query to its heaviest keys (core/measures/queries_keys.py).
The sentence line on top edits the explorer's sentence: the map follows each new analysis, keeping
its focus on the same word (the first `bank` stays the first `bank` while "river" is typed).
Everything is computed in the background (app.run_in_background, one map at a time, the newest
analysis waiting); a UMAP or t-SNE fit reports its progress here.
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
from textual.widgets import Footer, Input, Static

from wordlens.core.errors import InputError, WordlensError
from wordlens.core.layer_names import head_long_name, hidden_state_brief_name
from wordlens.core.measures.map_views import (
    MapPoint,
    SentenceMap,
    ends_apart,
    model_space,
    sentence_map,
    sentence_map_report,
)
from wordlens.core.measures.queries_keys import (
    NORMALISATION,
    STRONGEST_KEYS,
    QueryKeyMap,
    query_key_map,
    query_key_report,
)
from wordlens.core.reports.export import free_stem
from wordlens.core.reports.map_export import FigureLine, FigurePoint, MapFigure, write_map_export
from wordlens.core.vectors.static_projection import METHODS
from wordlens.tui.panes.map_canvas import Drawing, MapCanvas
from wordlens.tui.panes.sentence import PLACEHOLDER
from wordlens.tui.panes.sentence_input import SentenceInput
from wordlens.tui.screens.dialog import Dialog
from wordlens.tui.services.errors import describe
from wordlens.tui.state import ViewState

LAYER_GLYPHS = "0123456789abcdefghijklmnopqrstuvwxyz"
MODE_PARTS = {"model": frozenset({"model"}), "analogy": frozenset({"arrows"})}  # beyond the static points and paths
MODES = {"static": "static map", "model": "model space", "analogy": "analogy", "qk": "queries and keys"}


class ProjectionProgress(Message):
    def __init__(self, stage: str, fraction: float) -> None:
        super().__init__()
        self.stage, self.fraction = stage, fraction


def attention_kind(weight: float) -> str:
    return "attend-strong" if weight >= 0.25 else "attend" if weight >= 0.1 else "attend-weak"


LAYERS = Binding.Group("layer")  # one footer entry: [ ] layer


class MapScreen(Dialog[None]):
    BINDINGS = [
        Binding("escape", "back", "close"),
        Binding("q", "dismiss(None)", "close", show=False),
        Binding("1", "mode('static')", "static"),
        Binding("2", "mode('model')", "model"),
        Binding("3", "mode('analogy')", "analogy"),
        Binding("4", "mode('qk')", "q·k"),
        Binding("k", "next_method", "method"),
        Binding("left_square_bracket", "layer(-1)", "layer-", key_display="[", group=LAYERS),
        Binding("right_square_bracket", "layer(1)", "layer+", key_display="]", group=LAYERS),
        Binding("comma", "head(-1)", "head-", key_display=",", show=False),
        Binding("full_stop", "head(1)", "head+", key_display=".", show=False),
        Binding("e,slash", "edit", "edit", show=False),
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
    MapScreen #map-text { height: 1; padding: 0 1; }
    """

    def __init__(self, view: ViewState, method: str = "pca") -> None:
        super().__init__()
        self.view = view
        self.method = method
        self.map_mode = "static"
        context = view.context
        self.layer_count = context.hidden_states.shape[0] - 1 if context is not None else 0
        self.shown_layer = min(view.layer + 1, self.layer_count)  # the hidden state after the explorer's layer
        self.head = view.head
        self.focus_text = context.tokens[view.focus] if context is not None and view.focus < len(context.tokens) \
            else None  # the map's focus follows this token through edits
        self.focus_rank = self._rank_of(view.focus)
        self.found: SentenceMap | None = None
        self.queries_keys: QueryKeyMap | None = None
        self.queries_keys_note = ""
        self._computing = False
        self._waiting: ViewState | None = None  # a newer view, computed when the running map is done
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
        yield SentenceInput(value=self.app.explorer.text_input.value, placeholder=PLACEHOLDER, compact=True,
                            select_on_focus=False, id="map-text")
        yield MapCanvas(id="map-canvas")
        yield Static(id="map-info")
        yield Static(id="map-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(MapCanvas).focus()
        self.set_interval(0.5, self._show_status)
        self.watch(self.app, "view", self._follow, init=False)
        self.fitting = (self.method, time.monotonic())
        self._compute(self.view)

    # ---- the sentence line: edits go to the explorer's line, whose analyses the map follows ------
    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        line = self.app.explorer.text_input
        line.value = event.value
        line.cursor_position = event.input.cursor_position

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(MapCanvas).focus()

    def action_edit(self) -> None:
        self.set_focus(self.query_one("#map-text", Input))

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.set_focus(self.query_one(MapCanvas))
        else:
            self.dismiss(None)

    def _follow(self, view: ViewState) -> None:
        if not self.is_attached or view.analysis is None or view.analysis is self.view.analysis:
            return
        if view.context is None and self.app.engine.model is not None:
            return  # the static part came first: wait for the whole analysis, or the paths would blink
        if self._computing:
            self._waiting = view
        else:
            self._start(view)

    def _start(self, view: ViewState) -> None:
        self._compute(view)

    def _rank_of(self, token: int) -> int:
        """Which of the tokens with its text `token` is (0: the first)."""
        context = self.view.context
        if context is None or token >= len(context.tokens):
            return 0
        return sum(1 for other in context.tokens[:token] if other == context.tokens[token])

    def _focus_token(self, view: ViewState) -> int | None:
        """The map's focused token in this view: the same text and rank as when the map opened,
        while the sentence has it; else the explorer's focus."""
        context = view.context
        if context is None:
            return None
        namesakes = [index for index, token in enumerate(context.tokens) if token == self.focus_text]
        if namesakes:
            return namesakes[min(self.focus_rank, len(namesakes) - 1)]
        return min(view.focus, len(context.tokens) - 1) if context.tokens else None

    # ---- computing (background) ------------------------------------------------------------
    def _compute(self, view: ViewState) -> None:
        app, method = self.app, self.method
        engine = app.engine
        glove_map = app.glove_map.fitted
        focus_token = self._focus_token(view)
        focus_word = view.context.word_of(focus_token) if view.context is not None and focus_token is not None \
            else view.focused_word
        if focus_word is not None and focus_word < 0:
            focus_word = None
        self._computing = True
        parts = MODE_PARTS.get(self.map_mode, frozenset())

        def report(stage: str, fraction: float) -> None:
            self.post_message(ProjectionProgress(stage, fraction))

        def compute() -> tuple[ViewState, SentenceMap | str]:
            try:
                return view, computed()
            except Exception as error:  # reported on the screen; the next edit computes again
                return view, describe(error)

        def computed() -> SentenceMap:
            projection = engine.static_projection(method, report)
            static_map, problem = glove_map, None
            if static_map is None and view.context is not None:
                # the paths need the map into the static space (g): from disk, else fitted once here
                try:
                    static_map = engine.static_map(report)
                except WordlensError as error:
                    problem = f"no paths: no map into the static space ({error})"
            found = sentence_map(view.analysis, engine.load_vectors(), projection, static_map, focus_token, focus_word,
                                 parts)
            return replace(found, paths_note=problem) if problem else found

        app.run_in_background("map", compute, self._computed)
        self._show_status()

    def _computed(self, result: tuple[ViewState, SentenceMap | str]) -> None:
        self._computing = False
        if self not in self.app.screen_stack:
            return
        view, found = result
        self.fitting, self.stage_text = None, ""
        if isinstance(found, str):
            self.app.notify(found, title="could not compute the map", severity="error")
        else:
            self.view, self.found = view, found
            context = view.context
            if context is not None:
                self.layer_count = context.hidden_states.shape[0] - 1
                self.shown_layer = min(self.shown_layer, self.layer_count)
                self.head = min(self.head, context.model.heads - 1)
            self._redraw()
        if self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            self._start(waiting)

    @property
    def shown_text(self) -> str | None:
        """The text of the analysis the map shows (None before the first map)."""
        return self.view.analysis.text if self.found is not None and self.view.analysis is not None else None

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
        if not MODE_PARTS.get(self.map_mode, frozenset()) <= found.parts:
            return f"computing the {MODES[self.map_mode]}…"
        if self.map_mode == "analogy":
            return found.arrows_note or ""
        if self.map_mode == "qk":
            if self.queries_keys is None:
                return self.queries_keys_note
            return f"{NORMALISATION}; a = {self.queries_keys.scale:.3g}"
        return "" if found.model_coordinates is not None else "the transformer has not read the sentence yet"

    # ---- drawing ----------------------------------------------------------------------------
    def _redraw(self) -> None:
        found = self.found
        if found is None:
            return
        builder = {"static": self._static_drawing, "model": self._model_drawing, "analogy": self._analogy_drawing,
                   "qk": self._queries_keys_drawing}
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
            legend = "● token  ◉ focused  0-9: the focused word's tokens at the layers before  ←↑↓→ cursor  e edit"
        elif self.map_mode == "qk":
            what = (f"queries and keys · {head_long_name(self.attention_layer - 1, self.head)} · one PCA of both "
                    f"(AttentionViz)")
            legend = (f"◆ query  ■ key  ◉ the focused token's query, lines to its {STRONGEST_KEYS} heaviest keys "
                      "(weight after the key)  , . head  ←↑↓→ cursor  e edit")
        elif self.map_mode == "analogy":
            what = f"analogy on the static map ({method}, fixed) · arrows a→b and c→d (3CosAdd)"
            legend = "● word  ⠿ neighbour  ←↑↓→ cursor  e edit"
        else:
            sample = f"{found.sample_size:,}" if found else "?"
            what = (f"static map · {method} of the {sample} most frequent words, fitted once · "
                    f"path to {hidden_state_brief_name(self.shown_layer)}")
            legend = ("● word  ◉ focused  ⠿ neighbour  0-9: its layers, mapped into static space (g)  ←↑↓→ cursor  "
                      "e edit")
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

    @property
    def attention_layer(self) -> int:
        """The layer whose queries and keys are shown, numbered as the map numbers hidden states
        (its output is that hidden state): the one the map's layer shows, at least the first."""
        return max(1, self.shown_layer)

    def _queries_keys_drawing(self, found: SentenceMap) -> Drawing:
        context = self.view.context
        self.queries_keys, self.queries_keys_note = None, ""
        if context is None:
            self.queries_keys_note = "the transformer has not read the sentence yet"
            return Drawing()
        try:
            self.queries_keys = qk = query_key_map(context, self.attention_layer - 1, self.head, found.focus_token)
        except InputError as error:
            self.queries_keys_note = str(error)
            return Drawing()
        queries, keys = qk.normalised
        weights = {target: weight for _, target, weight in qk.lines}
        points, kinds, labels = [], [], []
        for kind, xy, vectors in (("query", qk.queries, queries), ("key", qk.keys, keys)):
            for token, (x, y) in enumerate(xy):
                norm = np.linalg.norm(vectors[token])
                unit = vectors[token] / norm if norm > 0 else vectors[token]
                points.append(MapPoint(context.tokens[token], float(x), float(y), kind, unit, token=token))
                kinds.append("focus" if kind == "query" and token == qk.focus else kind)
                weight = f" {weights[token]:.2f}" if kind == "key" and token in weights else ""
                labels.append(context.tokens[token] + weight)
        length = len(context.tokens)
        lines = tuple((source, length + target, attention_kind(weight)) for source, target, weight in qk.lines)
        return Drawing(tuple(points), ("",) * len(points), tuple(kinds), tuple(labels), lines, qk.focus)

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
                label = self.view.context.labels[path.token_index]
                name = label if len(found.paths) == 1 else f"{label} #{number}"
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
            point = MapPoint(context.labels[token], float(units[layer, token, 0]), float(units[layer, token, 1]),
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
        name = point.label if point.kind != "path" else self.view.context.labels[point.token]
        line = Text.assemble((name, "bold"), f" · {what.get(self.drawing.kinds[message.point], point.kind)}")
        if point.layer is not None:
            line.append(f" · {hidden_state_brief_name(point.layer)}")
        line.append(f" · x {point.x:.3f}  y {point.y:.3f}")
        if self.map_mode == "qk" and self.queries_keys is not None and point.token is not None:
            line = self._query_key_info(point, self.queries_keys)
        else:
            focus = self._focus_unit()
            if focus is not None and point.unit.shape == focus.shape:
                line.append(f" · cosine to the focus {float(np.dot(point.unit, focus)):.3f}")
        if self.map_mode == "static" and self.found is not None and self.found.ends:
            line.append("\n")
            line.append_text(self._ends_line(self.found))
        info.update(line)

    def _query_key_info(self, point: MapPoint, qk: QueryKeyMap) -> Text:
        context = self.view.context
        assert context is not None and point.token is not None
        line = Text.assemble((point.label, "bold"), f" · {point.kind} of token {point.token}",
                             f" · x {point.x:.3f}  y {point.y:.3f}")
        if qk.focus is not None:
            focus = context.tokens[qk.focus]
            weight = (context.attentions[qk.layer, qk.head, qk.focus, point.token] if point.kind == "key"
                      else context.attentions[qk.layer, qk.head, point.token, qk.focus])
            what = f"{focus} attends to it" if point.kind == "key" else f"it attends to {focus}"
            line.append(f" · {what}: {float(weight):.3f}")
        return line

    def _ends_line(self, found: SentenceMap) -> Text:
        """Where each path ends at the layer shown, in static terms, and whether the ends part."""
        layer = self.shown_layer
        names = [path.token if len(found.paths) == 1 else f"{path.token} #{number}"
                 for number, path in enumerate(found.paths, start=1)]
        parts = [f"{name} → {', '.join(item.word for item in end.nearest[layer])}"
                 for name, end in zip(names, found.ends, strict=True)]
        text = Text(f"ends near ({hidden_state_brief_name(layer)}): " + " · ".join(parts))
        apart = ends_apart(found.ends, layer)
        if apart is not None:
            shared = set.intersection(*({item.word for item in end.nearest[layer]} for end in found.ends))
            text.append(" · apart: no nearest word shared" if apart else
                        " · not apart: " + (f"both near {', '.join(sorted(shared))}" if shared else
                                            "they share nearest words"), style="bold")
        landmarks = found.ends[0].landmarks
        if landmarks:
            cosines = np.stack([end.cosines[layer] for end in found.ends])  # (paths, landmarks)
            spread = cosines.max(axis=0) - cosines.min(axis=0) if len(found.ends) > 1 else cosines[0]
            chosen = np.argsort(-spread, kind="stable")[:3]
            shown = [f"{landmarks[i]} " + " ".join(f"{value:.2f}" for value in cosines[:, i]) for i in chosen]
            text.append("\ncosine of the end" + ("s" if len(found.ends) > 1 else "") + " to the sentence's words: "
                        + " · ".join(shown))
        return text

    # ---- keys -------------------------------------------------------------------------------
    def action_mode(self, mode: str) -> None:
        self.map_mode = mode
        if self.found is not None and not MODE_PARTS.get(mode, frozenset()) <= self.found.parts:
            if self._computing:
                self._waiting = self._waiting or self.view
            else:
                self._compute(self.view)  # the map of this view with the part the mode draws
        self._redraw()

    def action_layer(self, delta: int) -> None:
        lowest = 1 if self.map_mode == "qk" else 0  # queries and keys belong to a layer, not to the embeddings
        self.shown_layer = max(min(lowest, self.layer_count), min(self.layer_count, self.shown_layer + delta))
        self._redraw()

    def action_head(self, delta: int) -> None:
        context = self.view.context
        if context is None:
            return
        self.head = (self.head + delta) % context.model.heads
        self._redraw()

    def action_next_method(self) -> None:
        if self.fitting is not None:
            self.app.notify("A map is still being fitted.", severity="warning")
            return
        self.method = METHODS[(METHODS.index(self.method) + 1) % len(METHODS)]  # type: ignore[arg-type]
        self.fitting = (self.method, time.monotonic())
        if self._computing:  # the map of an edit: the new method's follows it
            self._waiting = self._waiting or self.view
        else:
            self._compute(self.view)

    def action_cursor(self, dx: int, dy: int) -> None:
        self.query_one(MapCanvas).move_cursor(dx, dy)

    def action_export(self) -> None:
        if self.found is None:
            self.app.notify("Nothing to export yet: the map is still being computed.", severity="warning")
            return
        figure = self._figure()
        folder = self.app.output_folder or Path.cwd()
        found, analysis, layer, context = self.found, self.view.analysis, self.shown_layer, self.view.context
        queries_keys = self._queries_keys_report()

        def export() -> list[Path]:
            whole = found
            if found.model_coordinates is None and context is not None:  # the JSON has every part
                whole = replace(found, model_coordinates=model_space(context))
            report = sentence_map_report(whole, analysis, layer)
            report.update(queries_keys)
            return write_map_export(replace(figure, report=report), folder, free_stem(folder, "wordlens-map"))

        def exported(paths: list[Path]) -> None:
            self.app.notify("\n".join(path.name for path in paths), title=f"exported to {folder}")
            self.app.deliver_to_browser(paths)

        self.app.run_in_background("map export", export, exported)

    def _queries_keys_report(self) -> dict:
        context, found = self.view.context, self.found
        if context is None or found is None:
            return {"queries_keys": None}
        try:
            qk = query_key_map(context, self.attention_layer - 1, self.head, found.focus_token)
        except InputError as error:
            return {"queries_keys": None, "queries_keys_unavailable": str(error)}
        return {"queries_keys": query_key_report(context, qk)}

    def _figure(self) -> MapFigure:
        drawing = self.drawing
        labelled = self.query_one(MapCanvas).layout.labelled
        points = tuple(FigurePoint((drawing.labels[i] or point.label).strip(), point.x, point.y, drawing.kinds[i],
                                   i in labelled, point.layer, point.token)
                       for i, point in enumerate(drawing.points))
        lines = tuple(FigureLine((drawing.points[a].x, drawing.points[a].y), (drawing.points[b].x, drawing.points[b].y),
                                 kind) for a, b, kind in drawing.lines)
        title = self._title().plain.splitlines()[0] + f"\n{self.view.analysis.text}"
        axis = "PC" if self.map_mode in ("model", "qk") or self.method == "pca" else self.method.upper()
        return MapFigure(title, f"{axis} 1", f"{axis} 2", points, lines, {})
