"""The map screen's queries and keys view (core/measures/queries_keys.py) on the tiny BERT and the
tiny Llama: one joint PCA of the normalised queries and keys (scikit-learn's, up to sign), the
normalisation leaves every attention weight as it was, and the lines weigh what the model returned."""

from __future__ import annotations

import numpy as np
import pytest

from wordlens.core.engine import Engine
from wordlens.core.measures.queries_keys import STRONGEST_KEYS, normalised, query_key_map, query_key_report

TEXT = "the river bank in the bank"


@pytest.fixture(params=["bert", "llama"])
def context(request, tiny_vectors, tiny_model, tiny_llama):
    model = tiny_model if request.param == "bert" else tiny_llama
    return Engine.from_loaded(tiny_vectors, model).analyze(TEXT).require_context()


def test_the_projection_is_scikit_learns_pca_of_the_normalised_queries_and_keys(context):
    from sklearn.decomposition import PCA

    layer, head = context.model.layers - 1, 1
    found = query_key_map(context, layer, head, focus=2)
    queries, keys, scale = normalised(context.captured.queries[layer, head], context.captured.keys[layer, head])
    np.testing.assert_allclose(found.normalised[0], queries)
    expected = PCA(n_components=2).fit_transform(np.concatenate([queries, keys]))
    ours = np.concatenate([found.queries, found.keys])
    signs = np.sign((expected * ours).sum(axis=0))  # each axis may come out flipped
    np.testing.assert_allclose(ours, expected * signs, atol=1e-6)
    assert found.scale == scale and scale > 0


def test_the_normalisation_changes_no_attention_weight(context):
    captured = context.captured
    for layer in range(context.model.layers):
        for head in range(context.model.heads):
            queries, keys, _ = normalised(captured.queries[layer, head], captured.keys[layer, head])
            logits = queries @ keys.T * captured.scale
            if context.model.causal:
                logits = np.where(np.tri(len(logits), dtype=bool), logits, -np.inf)
            weights = np.exp(logits - logits.max(axis=1, keepdims=True))
            weights /= weights.sum(axis=1, keepdims=True)
            np.testing.assert_allclose(weights, context.attentions[layer, head], atol=2e-5)
            # and it did something: the two clouds share their mean and their spread
            np.testing.assert_allclose(queries.mean(axis=0), keys.mean(axis=0), atol=1e-9)
            spreads = [np.linalg.norm(cloud - cloud.mean(axis=0), axis=1).mean() for cloud in (queries, keys)]
            assert spreads[0] == pytest.approx(spreads[1])


def test_the_lines_are_the_focused_rows_heaviest_weights_as_the_model_returned_them(context):
    layer, head, focus = 0, 1, len(context.tokens) - 2
    found = query_key_map(context, layer, head, focus)
    row = context.attentions[layer, head, focus]
    assert len(found.lines) == min(STRONGEST_KEYS, int((row > 0).sum()))
    assert all(source == focus for source, _, _ in found.lines)
    assert [weight for _, _, weight in found.lines] == [float(row[target]) for _, target, _ in found.lines]
    heaviest = sorted(row.astype(np.float64), reverse=True)[: len(found.lines)]
    np.testing.assert_allclose([weight for _, _, weight in found.lines], heaviest)
    if context.model.causal:
        assert all(target <= focus for _, target, _ in found.lines)  # a decoder's query sees no later key


def test_the_report_has_a_query_and_a_key_per_token_and_the_lines(context):
    found = query_key_map(context, 0, 0, focus=1)
    report = query_key_report(context, found)
    assert report["layer"] == 1 and report["head"] == 0
    kinds = [point["kind"] for point in report["points"]]
    assert kinds.count("query") == kinds.count("key") == len(context.tokens)
    assert set(report["points"][0]) == {"token_index", "token", "kind", "x", "y"}
    assert [set(line) for line in report["lines"]] == [{"from", "to", "weight"}] * len(found.lines)
    assert "attention unchanged" in report["normalisation"]
