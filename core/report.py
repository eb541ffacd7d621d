"""The JSON shapes of the headless commands (DESIGN.md): add fields freely, never rename these."""

from __future__ import annotations

from typing import Any, Sequence

from wordlens.core.context import ContextModel
from wordlens.core.static import StaticVectors
from wordlens.core.text import align_tokens_to_words, split_words
from wordlens.core.views import ViewSpec, build_view


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


def attention_report(model: ContextModel, text: str, spec: ViewSpec = ViewSpec(aggregate="mean")) -> dict[str, Any]:
    """Every layer and head's raw weights, [layer][head][from][to], as the model returns them,
    and the view `spec` selects ("view", labelled by "view_labels")."""
    encoding = model.encode(text)
    output = model.run(encoding)
    words = split_words(text)
    token_word = align_tokens_to_words(encoding.offsets, encoding.special, words)
    view = build_view(output.attentions, spec, encoding.tokens, encoding.special, token_word, [w.text for w in words])
    report = {
        "model": {
            "name": model.info.name,
            "layers": model.info.layers,
            "heads": model.info.heads,
        },
        "tokens": list(encoding.tokens),
        "special": encoding.special.tolist(),
        "truncated": encoding.truncated,
        "attention": output.attentions.tolist(),
        "view_spec": {
            "aggregate": spec.aggregate,
            "layer": spec.layer,
            "head": spec.head if spec.aggregate == "head" else None,
            "words": spec.words,
            "hide_special": spec.hide_special,
            "description": spec.describe(),
        },
        "view": view.matrix.tolist(),
        "view_labels": list(view.labels),
    }
    if spec.words:
        report["unit_of_token"] = view.units.unit_of_token.tolist()
    return report
