"""The JSON shapes of the headless commands (DESIGN.md): add fields freely, never rename these."""

from __future__ import annotations

from typing import Any, Sequence

from wordlens.core.context import ContextModel
from wordlens.core.static import StaticVectors


def neighbours_report(
    vectors: StaticVectors, words: Sequence[str], topn: int, restrict_vocab: int | None
) -> dict[str, Any]:
    lists = vectors.neighbours(words, topn=topn, restrict_vocab=restrict_vocab)
    return {
        "vectors": {
            "name": vectors.info.name,
            "size": vectors.info.size,
            "dim": vectors.info.dim,
            "restrict_vocab": vectors.effective_restrict_vocab(restrict_vocab),
        },
        "neighbours": [
            {
                "word": found.word,
                "in_vocab": found.in_vocab,
                "key": found.key,
                "items": [{"word": item.word, "cosine": item.cosine} for item in found.items],
            }
            for found in lists
        ],
    }


def attention_report(model: ContextModel, text: str) -> dict[str, Any]:
    """Every layer and head's raw weights, [layer][head][from][to], as the model returns them."""
    encoding = model.encode(text)
    output = model.run(encoding)
    return {
        "model": {
            "name": model.info.name,
            "layers": model.info.layers,
            "heads": model.info.heads,
        },
        "tokens": list(encoding.tokens),
        "special": encoding.special.tolist(),
        "truncated": encoding.truncated,
        "attention": output.attentions.tolist(),
    }
