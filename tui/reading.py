"""What the transformer makes of the focused token: the question (which analysis, token, layer
and map) and its answer, computed off the UI thread."""

from __future__ import annotations

from dataclasses import dataclass

from wordlens.core.analysis import Analysis
from wordlens.core.errors import WordlensError, first_line
from wordlens.core.measures.derived_views import input_table_neighbours
from wordlens.core.measures.static_vs_context import StaticMap, contextual_static_neighbours
from wordlens.core.transformer.context_model import ContextModel
from wordlens.core.transformer.next_token import Prediction, next_token_predictions
from wordlens.core.vectors.static_vectors import StaticVectors
from wordlens.tui.state import ViewState

Scored = tuple[tuple[str, float], ...]
NEXT_TOKENS = 5  # a decoder's top next tokens shown for the focused token


@dataclass(frozen=True, eq=False)
class ReadingQuestion:
    """What the reading of a token depends on. Two questions are the same when they ask about
    the same analysis and map objects (identity: both are large and immutable)."""

    analysis: Analysis
    token: int
    layer: int
    static_map: StaticMap | None

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ReadingQuestion)
            and other.analysis is self.analysis
            and other.static_map is self.static_map
            and (other.token, other.layer) == (self.token, self.layer)
        )

    def __hash__(self) -> int:
        return hash((id(self.analysis), self.token, self.layer, id(self.static_map)))


@dataclass(frozen=True, eq=False)
class TokenReading:
    """The focused token's neighbours in the model's input table and, with a fitted map, its
    hidden state after `layer` read as static words. Tens of ms on 2 cores, so it may lag the
    view by a frame."""

    analysis: Analysis
    token: int
    layer: int
    input_table: Scored | str  # the neighbours, or why there are none
    in_context: Scored | None  # None: no map fitted
    next_tokens: tuple[Prediction, ...] | None = None  # a decoder's prediction after the token; None: no head

    def is_for(self, view: ViewState) -> bool:
        return self.analysis is view.analysis and self.token == view.focus and self.layer == view.layer


def reading_question(view: ViewState, static_map: StaticMap | None, model_loaded: bool) -> ReadingQuestion | None:
    """The question the view's focused token asks; None when it has none (no model, a special token)."""
    context = view.analysis.context if view.analysis else None
    if context is None or not model_loaded or not 0 <= view.focus < len(context.tokens):
        return None
    if context.special[view.focus]:
        return None
    return ReadingQuestion(view.analysis, view.focus, view.layer, static_map)


def read_token(model: ContextModel, vectors: StaticVectors | None, question: ReadingQuestion) -> TokenReading:
    """The answer; an error becomes the reason shown in place of the input-table list."""
    analysis, token, layer = question.analysis, question.token, question.layer
    context = analysis.context
    try:
        try:
            found_in_table = input_table_neighbours(model, context.tokens[token])
            labels = model.labels([neighbour for neighbour, _ in found_in_table])
            input_table: Scored | str = tuple(
                (label, score) for label, (_, score) in zip(labels, found_in_table, strict=True)
            )
        except WordlensError as error:
            input_table = str(error)
        next_tokens = None
        if model.predicts_tokens:
            next_tokens = next_token_predictions(model, context.hidden_states, token, top=NEXT_TOKENS)
        in_context = None
        if question.static_map is not None and vectors is not None:
            # layer + 1: the hidden state that layer's attention produced
            found = contextual_static_neighbours(question.static_map, vectors, context, token, layer + 1, topn=10)
            in_context = tuple(found)
    except Exception as error:  # a reading is an extra: say why it is missing, keep going
        return TokenReading(analysis, token, layer, f"{type(error).__name__}: {first_line(error)}", None)
    return TokenReading(analysis, token, layer, input_table, in_context, next_tokens)
