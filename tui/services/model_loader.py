"""Loading the two models, and opening others to replace them (ctrl+o), in daemon threads.

Daemon threads, not workers: quitting while torch is still importing must not wait for it
(workers run in the event loop's executor, which is joined at exit).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from threading import Thread

from textual.message import Message

from wordlens.core.engine import Engine
from wordlens.core.progress import Progress
from wordlens.core.transformer.context_model import ContextModel
from wordlens.tui.messages import ModelFailed, ModelProgress, ModelReady
from wordlens.tui.models_state import Component
from wordlens.tui.services.errors import describe
from wordlens.tui.terminal import has_control_characters


class ModelLoader:
    def __init__(self, engine: Engine, post: Callable[[Message], object]) -> None:
        self.engine, self._post = engine, post

    def load(self, component: Component) -> None:
        """Load the component the engine was built with (once)."""
        def load(report: Progress) -> None:
            if component is Component.VECTORS:
                self.engine.load_vectors(report)
            else:
                self.engine.load_model(report)

        self._start(component, load, replacing=False)

    def open(self, component: Component, source: str | None) -> None:
        """Load another (None: the bundled one); the engine swaps it in only once it has loaded,
        so a failure leaves the one in use."""
        def load(report: Progress) -> None:
            if component is Component.VECTORS:
                self.engine.open_vectors(source, report)
            else:
                self.engine.open_model(source, report)

        self._start(component, load, replacing=True)

    def _start(self, component: Component, load: Callable[[Progress], None], replacing: bool) -> None:
        name = f"{'open' if replacing else 'load'} {component.value}"
        Thread(target=self._run, args=(component, load, replacing), name=name, daemon=True).start()

    def _run(self, component: Component, load: Callable[[Progress], None], replacing: bool) -> None:
        try:
            load(lambda stage, fraction: self._post(ModelProgress(component, stage, fraction, replacing)))
            summary, vocabulary = self._summary(component)
            controls = has_control_characters(vocabulary)
        except Exception as error:  # anything a third-party loader raises ends here, readable
            self._post(ModelFailed(component, describe(error), replacing))
        else:
            self._post(ModelReady(component, summary, replacing, controls))
            if component is Component.MODEL:
                with suppress(Exception):  # the analysis asks for the same table, and reports its error
                    _ready_for_reading(self.engine.model)

    def _summary(self, component: Component):
        """The header's words for the loaded model, and its vocabulary."""
        if component is Component.VECTORS:
            vectors = self.engine.load_vectors()
            info = vectors.info
            extras = "".join(f" ({extra})" for extra in ("n-gram vectors for unknown words" if info.subwords else "",
                                                          info.note) if extra)
            return f"{info.name}, {info.size:,} words{extras}", vectors.words
        model = self.engine.load_model()
        info = model.info
        return f"{info.name}, {info.layers} layers × {info.heads} heads", model.vocabulary().keys()


def _ready_for_reading(model: ContextModel | None) -> None:
    """The focused token's reading and the analysis's static side need the model's input table
    scaled to unit rows: ~0.1 s, paid once right after the model is announced (beside the first
    analysis's forward pass, which does not need it) rather than before it or at the first keystroke."""
    if model is not None:
        model.input_embedding_units()
