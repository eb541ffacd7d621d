"""Views derived from an analysis or a model, memoised on the object they derive from.

What the panes ask of an analysis at every frame (the grid's matrix, the strongest heads of the
focused word) is computed once and kept in `analysis.derived`, so it lives exactly as long as
the analysis and counts in the engine's cache budget; a token's neighbours in the model's own
input table are kept in `model.derived`, so they go with a replaced model. Results are those of
the plain computations (attention_views.select_matrix / build_view, analysis.strongest_heads,
static_vs_context.embedding_neighbours).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from wordlens.core.analysis import Analysis, strongest_heads, word_attention_from
from wordlens.core.measures.attention_views import Aggregate, HeadScore, View, ViewSpec, build_view, select_matrix
from wordlens.core.measures.static_vs_context import embedding_neighbours, embedding_neighbours_batch

if TYPE_CHECKING:
    import numpy as np

    from wordlens.core.transformer.context_model import ContextModel

Scored = tuple[tuple[str, float], ...]


def token_matrix(analysis: Analysis, aggregate: Aggregate, layer: int, head: int) -> np.ndarray:
    """(T, T) the selected head or aggregate, at token level, computed once per analysis."""
    return analysis.derived.get(
        ("token_matrix", aggregate, layer, head),
        lambda: select_matrix(analysis.require_context().attentions, ViewSpec(aggregate, layer, head)),
    )


def attention_view(analysis: Analysis, spec: ViewSpec) -> View:
    """The grid's view (rollout of a 512-token input costs ~0.1 s: computed once per view)."""

    def compute() -> View:
        context = analysis.require_context()
        return build_view(
            context.attentions, spec, context.labels, context.special, context.token_word,
            [word.text for word in analysis.words],
            selected=token_matrix(analysis, spec.aggregate, spec.layer, spec.head),
        )

    return analysis.derived.get(("attention_view", spec), compute)


def strongest_heads_from(analysis: Analysis, word: int) -> list[HeadScore]:
    """For each word of the sentence, the layer and head where `word` attends to it most."""
    return analysis.derived.get(
        ("strongest_heads_from", word),
        lambda: strongest_heads(word_attention_from(analysis.require_context(), word, len(analysis.words))),
    )


INPUT_TABLE_TOPN = 10


def input_table_neighbours(model: ContextModel, token: str) -> Scored:
    """The token's neighbours in the transformer's own (context-free) input embedding table."""
    return model.derived.get(
        ("input_table_neighbours", token), lambda: tuple(embedding_neighbours(model, token, topn=INPUT_TABLE_TOPN))
    )


def warm_input_table_neighbours(model: ContextModel, tokens: Sequence[str], special: np.ndarray) -> None:
    """Memoise input_table_neighbours for the tokens (special ones left out) not asked about yet,
    in one pass over the table: a pass reads all of it (113 MB for SmolLM2's), whatever the count."""
    missing = sorted({
        token for token, is_special in zip(tokens, special, strict=True)
        if not is_special and not model.derived.has(("input_table_neighbours", token))
    })
    found = embedding_neighbours_batch(model, missing, topn=INPUT_TABLE_TOPN)
    for token, neighbours in found.items():
        model.derived.get(("input_table_neighbours", token), _constant(tuple(neighbours)))


def _constant(value: Scored) -> Callable[[], Scored]:
    return lambda: value
