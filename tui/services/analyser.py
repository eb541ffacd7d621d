"""The analyser thread: the newest text only, one analysis at a time (docs/ARCHITECTURE.md).

Besides the analysis it prepares what the panes will ask of it for the view that will show it
(the grid's matrix, the focused word's strongest heads, the focused token's reading), so the
frame that shows an analysis shows all of it and the UI thread computes none of it.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message

from wordlens.core.analysis import AnalysisSettings
from wordlens.core.engine import Engine
from wordlens.core.errors import Cancelled
from wordlens.core.measures.derived_views import attention_view, strongest_heads_from
from wordlens.core.measures.static_vs_context import StaticMap
from wordlens.core.transformer.context_model import NO_HEADS_OFF, HeadsOff
from wordlens.tui.messages import AnalysisFailed, AnalysisReady
from wordlens.tui.reading import read_token, reading_question
from wordlens.tui.services.errors import describe
from wordlens.tui.services.latest_only import LatestOnly
from wordlens.tui.state import ViewState


class Analyser:
    def __init__(
        self,
        engine: Engine,
        settings: AnalysisSettings,
        post: Callable[[Message], object],
        current_view: Callable[[], ViewState],
        current_map: Callable[[], StaticMap | None],
    ) -> None:
        self.engine, self.settings = engine, settings
        self._post, self._current_view, self._current_map = post, current_view, current_map
        self._thread = LatestOnly("analyse", self._analyse)

    def submit(self, text: str, cursor: int, heads_off: HeadsOff = NO_HEADS_OFF) -> None:
        """Analyse `text` now, or as soon as the running analysis ends; `cursor` is the text
        cursor, where the focus goes while typing; `heads_off`: the heads switched off (then the
        intact analysis, the baseline, is made too: usually the engine has it cached)."""
        self._thread.submit((text, cursor, heads_off))

    @property
    def busy(self) -> bool:
        return self._thread.busy

    def _analyse(self, request: tuple[str, int, HeadsOff]) -> None:
        text, cursor, heads_off = request
        try:
            intact = self.engine.analyze(text, self.settings, is_cancelled=self._thread.has_newer)
            analysis = intact
            if heads_off and intact.context is not None:
                analysis = self.engine.analyze(text, self.settings, is_cancelled=self._thread.has_newer,
                                               heads_off=heads_off)
        except Cancelled:
            return
        except Exception as error:
            self._post(AnalysisFailed(describe(error)))
            return
        view = self._current_view().with_(analysis=analysis)
        at_cursor = view.unit_at_char(cursor)
        if at_cursor is not None:
            view = view.with_(focus=at_cursor)
        prepare_views(view)
        question = reading_question(view, self._current_map(), self.engine.model is not None)
        model = self.engine.model
        foreseen = None
        if question is not None and model is not None:
            foreseen = (question, read_token(model, self.engine.vectors, question))
        self._post(AnalysisReady(analysis, foreseen, intact if analysis is not intact else None))


def prepare_views(view: ViewState) -> None:
    """Compute (and cache) what the panes will ask of the view: the grid's matrix (a rollout or
    word-level view of 512 tokens takes ~0.1 s) and the strongest heads of the focused word."""
    analysis, spec = view.analysis, view.spec
    context = analysis.context if analysis is not None else None
    if context is None or not context.tokens or spec.layer >= context.model.layers or spec.head >= context.model.heads:
        return
    attention_view(analysis, spec)
    word = view.focused_word
    if word is not None:
        strongest_heads_from(analysis, word)
