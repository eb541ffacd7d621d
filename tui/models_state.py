"""What each model is doing (waiting, loading, in use, being replaced by another) and the state
of the map between them: frozen values the App owns and hands down by data binding."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

from wordlens.core.measures.static_vs_context import StaticMap


class Component(str, Enum):
    """One of the two models wordlens holds."""

    VECTORS = "vectors"
    MODEL = "model"

    @property
    def label(self) -> str:
        return "static vectors" if self is Component.VECTORS else "transformer"


class Phase(str, Enum):
    WAITING = "waiting"
    LOADING = "loading"
    READY = "ready"


@dataclass(frozen=True)
class Opening:
    """Another model being opened (ctrl+o) to replace the one in use."""

    source: str | None  # None: the bundled default
    stage: str = ""
    fraction: float = 0.0

    def describe(self) -> str:
        return f"opening… {self.fraction:.0%} {self.stage}".rstrip() if self.stage else "opening…"


@dataclass(frozen=True)
class ModelState:
    component: Component
    phase: Phase = Phase.WAITING
    stage: str = "waiting"
    fraction: float = 0.0
    summary: str = ""  # the model in use, in the header's words
    opening: Opening | None = None

    @property
    def done(self) -> bool:
        return self.phase is Phase.READY

    def progressed(self, stage: str, fraction: float) -> ModelState:
        return replace(self, phase=Phase.LOADING, stage=stage, fraction=fraction)

    def loaded(self, summary: str) -> ModelState:
        return replace(self, phase=Phase.READY, stage="ready", fraction=1.0, summary=summary)

    def opening_from(self, source: str | None) -> ModelState:
        return replace(self, opening=Opening(source))

    def opening_progressed(self, stage: str, fraction: float) -> ModelState:
        if self.opening is None:
            return self
        return replace(self, opening=replace(self.opening, stage=stage, fraction=fraction))

    def opened(self, summary: str) -> ModelState:
        return replace(self, summary=summary, opening=None)

    def open_ended(self) -> ModelState:
        return replace(self, opening=None)


@dataclass(frozen=True)
class ModelsState:
    vectors: ModelState = field(default_factory=lambda: ModelState(Component.VECTORS))
    model: ModelState = field(default_factory=lambda: ModelState(Component.MODEL))

    def of(self, component: Component) -> ModelState:
        return self.vectors if component is Component.VECTORS else self.model

    def with_(self, state: ModelState) -> ModelsState:
        return replace(self, **{state.component.value: state})

    @property
    def ready(self) -> bool:
        return self.vectors.done and self.model.done

    def progressed(self, component: Component, stage: str, fraction: float, replacing: bool) -> ModelsState:
        state = self.of(component)
        return self.with_(state.opening_progressed(stage, fraction) if replacing else state.progressed(stage, fraction))

    def loaded(self, component: Component, summary: str, replacing: bool) -> ModelsState:
        state = self.of(component)
        return self.with_(state.opened(summary) if replacing else state.loaded(summary))

    def why_not_open(self, component: Component) -> str | None:
        """Why another model cannot be opened for `component` now; None when it can."""
        opening = self.of(component).opening
        if not self.ready:
            return "Wait until both models have loaded, then open another."
        if opening is not None:
            return f"Already opening {opening.source or 'the bundled one'}."
        return None


class MapStatus(str, Enum):
    ABSENT = "absent"
    FITTING = "fitting"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True, eq=False)
class MapState:
    """The map from the model's layers into the static space: not there yet, being fitted,
    ready, or failed (with the reason)."""

    status: MapStatus = MapStatus.ABSENT
    stage: str = ""
    fraction: float = 0.0
    static_map: StaticMap | None = None
    error: str = ""

    @property
    def fitted(self) -> StaticMap | None:
        return self.static_map if self.status is MapStatus.READY else None
