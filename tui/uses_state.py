"""The uses section's state: the corpus index (loading, ready, failed) and the focused token's uses."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from wordlens.core.uses.uses_index import Use, UsesIndex
    from wordlens.tui.state import ViewState

USES_TOP = 10


class UsesStatus(Enum):
    OFF = "off"  # not asked for yet: nothing is read or built
    LOADING = "loading"  # read from the cache, or built (minutes, once)
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class UsesQuestion:
    """The focused token of the view at one hidden-state layer; its vector goes to the search."""

    text: str
    focus: int
    layer: int  # hidden-state index: "after layer L" of the explorer is L + 1
    heads_off: frozenset  # heads switched off (z) change the hidden states of the same text
    vector: np.ndarray = field(compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class UsesAnswer:
    question: UsesQuestion
    uses: tuple[Use, ...]


@dataclass(frozen=True)
class UsesState:
    shown: bool = False
    status: UsesStatus = UsesStatus.OFF
    corpus: str = ""
    stage: str = ""
    fraction: float = 0.0
    error: str = ""
    index: UsesIndex | None = None
    answer: UsesAnswer | None = None

    def with_(self, **changes) -> UsesState:
        return replace(self, **changes)


def hidden_layer(view: ViewState) -> int:
    """The hidden state the explorer's layer shows: the output of layer `view.layer` (0-based)."""
    return view.layer + 1


def uses_question(view: ViewState) -> UsesQuestion | None:
    """What to search for: the focused token's hidden state after the view's layer; None for no
    analysis, a special token, or a token past the analysis."""
    context = view.context
    if context is None or not 0 <= view.focus < len(context.tokens) or context.special[view.focus]:
        return None
    layer = hidden_layer(view)
    return UsesQuestion(view.analysis.text, view.focus, layer, context.heads_off,
                        context.hidden_states[layer, view.focus])
