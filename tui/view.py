"""The one immutable view state the App owns and hands down to every pane."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from wordlens.core.analysis import Analysis


@dataclass(frozen=True)
class Loading:
    """What a loader is doing: stage text, fraction done, or the error that stopped it."""

    name: str
    stage: str = "waiting"
    fraction: float = 0.0
    done: bool = False


@dataclass(frozen=True)
class ViewState:
    analysis: Analysis | None = None
    focus: int = 0  # the focused unit: a token once the model is loaded, a word before
    target: int = 0  # the attended-to token under the grid's cursor
    layer: int = 0
    head: int = 0
    vectors: Loading = field(default_factory=lambda: Loading("vectors"))
    model: Loading = field(default_factory=lambda: Loading("model"))

    def with_(self, **changes) -> ViewState:
        return replace(self, **changes)

    @property
    def unit_count(self) -> int:
        """How many units the focus moves over: tokens, or words while the model loads."""
        if self.analysis is None:
            return 0
        if self.analysis.context is not None:
            return len(self.analysis.context.tokens)
        return len(self.analysis.words)

    @property
    def focused_word(self) -> int | None:
        """Index into analysis.words of the focused unit, None for special tokens or no text."""
        return self.word_of_unit(self.focus)

    @property
    def target_word(self) -> int | None:
        return self.word_of_unit(self.target)

    def word_of_unit(self, unit: int) -> int | None:
        if self.analysis is None or not 0 <= unit < self.unit_count:
            return None
        if self.analysis.context is None:
            return unit
        word = self.analysis.context.word_of(unit)
        return word if word >= 0 else None

    def unit_at_char(self, position: int) -> int | None:
        """The unit that ends at or covers the character before `position` (the text cursor)."""
        if self.analysis is None:
            return None
        if self.analysis.context is not None:
            spans = [
                (int(start), int(end)) if not special else None
                for (start, end), special in zip(self.analysis.context.offsets, self.analysis.context.special)
            ]
        else:
            spans = [(word.start, word.end) for word in self.analysis.words]
        best = None
        for unit, span in enumerate(spans):
            if span is not None and span[0] < position:
                best = unit
        return best
