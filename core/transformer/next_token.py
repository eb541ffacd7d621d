"""What a decoder expects next: its own prediction after a position, and the logit lens (the same
read out of every layer's hidden state through the model's final norm and output layer;
nostalgebraist 2020). The contextual counterpart of the static neighbours: tokens the context
makes likely next, against words near a word in the vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wordlens.core.transformer.context_model import ContextModel

if TYPE_CHECKING:
    import numpy as np

DEFAULT_TOP = 5


@dataclass(frozen=True)
class Prediction:
    token: str  # as the tokenizer writes it (`ĠParis`)
    text: str  # the text it stands for (` Paris`)
    prob: float


@dataclass(frozen=True)
class LensLayer:
    layer: int  # 0: the embeddings; L: the last layer's output (the model's own prediction)
    predictions: tuple[Prediction, ...]


def next_token_predictions(
    model: ContextModel, hidden_states: np.ndarray, position: int, top: int = DEFAULT_TOP
) -> tuple[Prediction, ...]:
    """The model's `top` next tokens after `position`, with their probabilities. `hidden_states`:
    (layers + 1, T, hidden) as the model returns them (the last after the final norm)."""
    logits = model.next_token_logits(hidden_states[-1, position], normed=True)
    return _top_predictions(model, logits, top)


def logit_lens(model: ContextModel, hidden_states: np.ndarray, position: int, top: int = DEFAULT_TOP) -> tuple[
    LensLayer, ...
]:
    """For every hidden state at `position` (embeddings, then each layer), the `top` next tokens
    read out of it by the final norm and the output layer. The last one is the model's own
    prediction (its hidden state already had the final norm)."""
    import numpy as np

    states = hidden_states[:, position]
    logits = np.concatenate([
        model.next_token_logits(states[:-1], normed=False),
        model.next_token_logits(states[-1:], normed=True),
    ])
    return tuple(LensLayer(layer, _top_predictions(model, row, top)) for layer, row in enumerate(logits))


def probabilities(logits: np.ndarray) -> np.ndarray:
    """Softmax over the vocabulary, in float64 (49,152 terms: float32 sums lose the small ones)."""
    import numpy as np

    shifted = np.exp(logits.astype(np.float64) - logits.max())
    return shifted / shifted.sum()


def _top_predictions(model: ContextModel, logits: np.ndarray, top: int) -> tuple[Prediction, ...]:
    import numpy as np

    probs = probabilities(logits)
    top = max(1, min(top, len(probs)))
    best = np.argpartition(-probs, top - 1)[:top]
    best = best[np.argsort(-probs[best], kind="stable")]
    tokens = model.tokens([int(index) for index in best])
    pairs = zip(tokens, best, strict=True)
    return tuple(Prediction(token, model.token_text(token), float(probs[index])) for token, index in pairs)
