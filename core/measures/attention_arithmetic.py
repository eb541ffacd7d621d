"""Why this weight: the arithmetic of one attention weight, from the vectors the forward pass captured.

For a layer, a head, a query token (`source`, the row) and a key token (`target`, the column):
the query and key vectors, their elementwise products, the logit sum(products) x scale, the whole
row's logits and their softmax (which is the model's attention row), the dimensions that
contribute most; and beside it the static side of the same pair (GloVe cosine of the two words,
cosine of their rows in the model's input table). Nothing is recomputed by another route: the
vectors are those the analysis's own forward pass multiplied (ContextPart.captured).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wordlens.core.analysis import Analysis, ContextPart
from wordlens.core.errors import InputError
from wordlens.core.layer_names import heads_range, hidden_state_name, layer_name, layers_range
from wordlens.core.transformer.context_model import NOT_AVAILABLE, CapturedArithmetic

TOP_DIMENSIONS = 5


@dataclass(frozen=True)
class DimensionShare:
    dimension: int
    query: float
    key: float
    product: float  # query x key, before the scale


@dataclass(frozen=True)
class StaticSide:
    """The same pair out of context: "similar in the vocabulary" beside "relevant in this sentence"."""

    source_word: str | None  # None for a special token (it belongs to no word)
    target_word: str | None
    glove_cosine: float | None  # None when a word is special or not in the static vectors
    input_table_cosine: float | None  # the two tokens' rows in the model's input embedding table


@dataclass(frozen=True, eq=False)
class PairArithmetic:
    layer: int
    head: int
    source: int  # the query token (the attention row)
    target: int  # the key token (the column)
    query: np.ndarray  # (head_dim,)
    key: np.ndarray  # (head_dim,)
    products: np.ndarray  # (head_dim,) query * key
    scale: float
    logit: float  # sum(products) * scale: the pre-softmax score of source -> target
    row_logits: np.ndarray  # (T,) every target's score, -inf where the model masks it
    row_weights: np.ndarray  # (T,) softmax(row_logits): the model's attention row
    model_weight: float  # the weight the model returned for source -> target (equals row_weights[target])
    top_dimensions: tuple[DimensionShare, ...]  # largest |product| first
    content_logit: float | None = None  # rotary models: the score of the vectors before rotation

    @property
    def weight(self) -> float:
        return float(self.row_weights[self.target])

    @property
    def position_part(self) -> float | None:
        """How much of the logit the positions make (rotary models): logit - content_logit."""
        return None if self.content_logit is None else self.logit - self.content_logit


def require_captured(context: ContextPart) -> CapturedArithmetic:
    if context.captured is None:
        raise InputError(f"attention arithmetic: {NOT_AVAILABLE} ({context.model.name} runs on transformers)")
    return context.captured


def check_pair(context: ContextPart, layer: int, head: int, source: int, target: int) -> None:
    model, length = context.model, len(context.tokens)
    if not 0 <= layer < model.layers:
        raise InputError(f"{layer_name(layer)} is out of range: {model.name} has {layers_range(model.layers)}")
    if not 0 <= head < model.heads:
        raise InputError(f"head {head + 1} is out of range: {model.name} has {heads_range(model.heads)}")
    for name, token in (("from", source), ("to", target)):
        if not 0 <= token < length:
            raise InputError(f"{name} token {token} is out of range: the sentence has tokens 0-{length - 1}")


def pair_arithmetic(context: ContextPart, layer: int, head: int, source: int, target: int) -> PairArithmetic:
    check_pair(context, layer, head, source, target)
    captured = require_captured(context)
    query = captured.queries[layer, head, source]
    keys = captured.keys[layer, head]
    key = keys[target]
    products = query * key
    row_logits = (keys @ query) * captured.scale
    if context.model.causal:
        row_logits = np.where(np.arange(len(row_logits)) <= source, row_logits, -np.inf)
    shifted = np.exp(row_logits - row_logits.max())
    row_weights = shifted / shifted.sum()
    order = np.argsort(-np.abs(products), kind="stable")[:TOP_DIMENSIONS]
    content_logit = None
    if captured.queries_content is not None and captured.keys_content is not None:
        content = captured.queries_content[layer, head, source] @ captured.keys_content[layer, head, target]
        content_logit = float(content * captured.scale)
    return PairArithmetic(
        layer=layer,
        head=head,
        source=source,
        target=target,
        query=query,
        key=key,
        products=products,
        scale=captured.scale,
        logit=float(products.sum() * captured.scale),
        row_logits=row_logits,
        row_weights=row_weights,
        model_weight=float(context.attentions[layer, head, source, target]),
        top_dimensions=tuple(
            DimensionShare(int(d), float(query[d]), float(key[d]), float(products[d])) for d in order
        ),
        content_logit=content_logit,
    )


def rebuilt_attentions(captured: CapturedArithmetic, causal: bool = False) -> np.ndarray:
    """(layers, heads, T, T): softmax(queries . keys x scale) of every head, from the captured vectors."""
    logits = np.einsum("lhqd,lhkd->lhqk", captured.queries, captured.keys) * captured.scale
    if causal:
        length = logits.shape[-1]
        logits = np.where(np.tri(length, dtype=bool), logits, -np.inf)
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def token_table_cosines(input_units: np.ndarray, ids: tuple[int, ...]) -> np.ndarray:
    """(T, T) cosines between the sentence's tokens' rows in the model's input table; `input_units`
    is that table with unit rows (ContextModel.input_embedding_units)."""
    rows = input_units[list(ids)]
    return rows @ rows.T


def static_side(analysis: Analysis, source: int, target: int, table_cosines: np.ndarray | None) -> StaticSide:
    """`table_cosines`: token_table_cosines of the analysis's tokens, or None."""
    context = analysis.require_context()
    source_word, target_word = context.word_of(source), context.word_of(target)
    glove = None
    if analysis.static is not None and source_word >= 0 and target_word >= 0:
        value = float(analysis.static.cosine[source_word, target_word])
        glove = None if np.isnan(value) else value
    table = None if table_cosines is None else float(table_cosines[source, target])
    return StaticSide(
        source_word=analysis.words[source_word].text if source_word >= 0 else None,
        target_word=analysis.words[target_word].text if target_word >= 0 else None,
        glove_cosine=glove,
        input_table_cosine=table,
    )


def layer_input_name(layer: int) -> str:
    """What attention layer index `layer` reads: the hidden state before it (layer_names.py)."""
    return "the embeddings" if layer == 0 else f"the hidden state {hidden_state_name(layer)}"
