"""Trust the numbers: wordlens's own forward pass against transformers' eager implementation.

A few sentences go through both; per layer, the largest absolute difference in attention weights
and in hidden states. `wordlens verify` prints them and fails above TOLERANCE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from wordlens.core.transformer.context_model import ContextModel

TOLERANCE = 1e-4
VERIFY_SENTENCES = (
    "France is a country, it is in Europe.",
    "I sat on the bank of the river.",
    "The queen spoke to the woman, and the dog slept.",
    "Ünïcödé café naïve 東京",
)


@dataclass(frozen=True)
class LayerDifference:
    layer: int | None  # None: the embeddings (hidden state 0), which have no attention
    attention: float | None  # the largest |own - reference| over the layer's weights
    hidden_state: float  # the largest |own - reference| over the hidden state after the layer


@dataclass(frozen=True)
class Verification:
    own_runtime: str  # the network class wordlens runs: BertNetwork (its own pass) or TransformersNetwork
    reference_runtime: str
    sentences: tuple[str, ...]
    same_tokens: bool  # both tokenizers gave the same ids for every sentence
    layers: tuple[LayerDifference, ...]  # the embeddings, then each layer
    tolerance: float

    @property
    def largest(self) -> float:
        values = [d.hidden_state for d in self.layers] + [d.attention for d in self.layers if d.attention is not None]
        return max(values)

    @property
    def passed(self) -> bool:
        return self.same_tokens and self.largest <= self.tolerance


def verify_runtime(
    own: ContextModel, reference: ContextModel, sentences: Sequence[str] = VERIFY_SENTENCES,
    tolerance: float = TOLERANCE,
) -> Verification:
    """Both models on each sentence; `reference` is the same folder loaded by transformers (eager attention)."""
    layers = own.info.layers
    attention = np.zeros(layers)
    hidden = np.zeros(layers + 1)
    same_tokens = True
    for sentence in sentences:
        mine, theirs = own.encode(sentence), reference.encode(sentence)
        if mine.ids != theirs.ids:
            same_tokens = False
            continue
        mine_out, theirs_out = own.run(mine), reference.run(theirs)
        if mine_out.attentions.shape != theirs_out.attentions.shape:
            same_tokens = False
            continue
        attention = np.maximum(attention, np.abs(mine_out.attentions - theirs_out.attentions).max(axis=(1, 2, 3)))
        hidden = np.maximum(hidden, np.abs(mine_out.hidden_states - theirs_out.hidden_states).max(axis=(1, 2)))
    rows = [LayerDifference(layer=None, attention=None, hidden_state=float(hidden[0]))]
    rows += [LayerDifference(layer=i, attention=float(attention[i]), hidden_state=float(hidden[i + 1]))
             for i in range(layers)]
    return Verification(
        own_runtime=type(own.network).__name__,
        reference_runtime=f"transformers {reference.network.name} (eager)",
        sentences=tuple(sentences),
        same_tokens=same_tokens,
        layers=tuple(rows),
        tolerance=tolerance,
    )
