"""Derived attention views, each checked against a plain-loop computation on hand-made cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wordlens.core.measures import attention_views as views


def random_attention(layers=3, heads=4, size=6, seed=0, causal=False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(layers, heads, size, size))
    if causal:
        logits = np.where(np.triu(np.ones((size, size), dtype=bool), 1), -np.inf, logits)
    weights = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return (weights / weights.sum(axis=-1, keepdims=True)).astype(np.float32)


# "[CLS] un ##believ ##able story , [SEP]": word 0 = 3 pieces, word 1 = 1, word 2 = ","
TOKENS = ["[CLS]", "un", "##believ", "##able", "story", ",", "[SEP]"]
SPECIAL = np.array([True, False, False, False, False, False, True])
TOKEN_WORD = np.array([-1, 0, 0, 0, 1, 2, -1])
WORDS = ["unbelievable", "story", ","]


def test_head_mean_and_max_match_loops():
    attention = random_attention()
    for layer in range(attention.shape[0]):
        mean = views.head_mean(attention, layer)
        largest = views.head_max(attention, layer)
        for i in range(6):
            for j in range(6):
                column = [attention[layer, h, i, j] for h in range(attention.shape[1])]
                assert mean[i, j] == pytest.approx(sum(column) / len(column), abs=1e-6)
                assert largest[i, j] == max(column)
        np.testing.assert_allclose(mean.sum(axis=-1), 1.0, atol=1e-5)


def test_rollout_matches_the_paper_recipe_layer_by_layer():
    attention = random_attention(layers=4)
    size = attention.shape[-1]
    expected = np.eye(size)
    for layer in range(attention.shape[0]):
        mixed = np.zeros((size, size))
        for i in range(size):
            for j in range(size):
                mixed[i, j] = np.mean(attention[layer, :, i, j]) + (1.0 if i == j else 0.0)
            mixed[i] /= mixed[i].sum()
        expected = mixed @ expected
        np.testing.assert_allclose(views.rollout(attention, layer), expected, atol=1e-5)
        np.testing.assert_allclose(views.rollout(attention, layer).sum(axis=-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(views.rollout(attention), views.rollout(attention, attention.shape[0] - 1))


def test_word_units_group_pieces_and_keep_specials_apart():
    units = views.word_units(TOKENS, SPECIAL, TOKEN_WORD, WORDS)
    assert units.labels == ("[CLS]", "unbelievable", "story", ",", "[SEP]")
    assert units.unit_of_token.tolist() == [0, 1, 1, 1, 2, 3, 4]
    assert units.special.tolist() == [True, False, False, False, True]


def test_merge_to_words_sums_targets_and_averages_sources():
    matrix = random_attention(layers=1, heads=1, size=7, seed=3)[0, 0]
    units = views.word_units(TOKENS, SPECIAL, TOKEN_WORD, WORDS)
    merged = views.merge_to_units(matrix, units.unit_of_token, len(units.labels))
    members = [[t for t in range(7) if units.unit_of_token[t] == u] for u in range(len(units.labels))]
    for u, sources in enumerate(members):
        for v, targets in enumerate(members):
            expected = sum(sum(matrix[s, t] for t in targets) for s in sources) / len(sources)
            assert merged[u, v] == pytest.approx(expected, abs=1e-6)
    np.testing.assert_allclose(merged.sum(axis=-1), 1.0, atol=1e-5)


def test_drop_special_removes_rows_and_columns_and_renormalises():
    matrix = random_attention(layers=1, heads=1, size=7, seed=4)[0, 0]
    dropped = views.drop_special(matrix, SPECIAL)
    keep = [i for i in range(7) if not SPECIAL[i]]
    assert dropped.shape == (len(keep), len(keep))
    for a, i in enumerate(keep):
        total = sum(matrix[i, j] for j in keep)
        for b, j in enumerate(keep):
            assert dropped[a, b] == pytest.approx(matrix[i, j] / total, abs=1e-6)
    np.testing.assert_allclose(dropped.sum(axis=-1), 1.0, atol=1e-5)


def test_drop_special_leaves_a_row_that_only_attended_specials_at_zero():
    matrix = np.array([[0.5, 0.0, 0.5], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5]], dtype=np.float32)
    dropped = views.drop_special(matrix, np.array([True, False, False]))
    assert dropped[0].tolist() == [0.0, 0.0]
    assert dropped[1].tolist() == pytest.approx([0.375, 0.625])


def test_build_view_aggregates_then_merges_then_hides():
    attention = random_attention(layers=2, heads=3, size=7, seed=5)
    spec = views.ViewSpec(aggregate="mean", layer=1, words=True, hide_special=True)
    view = views.build_view(attention, spec, TOKENS, SPECIAL, TOKEN_WORD, WORDS)
    assert view.labels == ("unbelievable", "story", ",")
    mean = attention[1].mean(axis=0)
    units = views.word_units(TOKENS, SPECIAL, TOKEN_WORD, WORDS)
    expected = views.drop_special(views.merge_to_units(mean, units.unit_of_token, 5), units.special)
    np.testing.assert_allclose(view.matrix, expected, atol=1e-6)
    np.testing.assert_allclose(view.matrix.sum(axis=-1), 1.0, atol=1e-5)
    assert view.shown_units.tolist() == [1, 2, 3]


@pytest.mark.parametrize("aggregate", views.AGGREGATES)
def test_every_aggregate_keeps_token_labels_by_default(aggregate):
    attention = random_attention(layers=2, heads=3, size=7)
    view = views.build_view(attention, views.ViewSpec(aggregate=aggregate, layer=1, head=2), TOKENS, SPECIAL)
    assert view.labels == tuple(TOKENS)
    assert view.matrix.shape == (7, 7)
    if aggregate != "max":
        np.testing.assert_allclose(view.matrix.sum(axis=-1), 1.0, atol=1e-5)
    if aggregate == "head":
        assert np.array_equal(view.matrix, attention[1, 2])


def test_head_metrics_match_loops():
    attention = random_attention(layers=2, heads=2, size=7, seed=7)
    punctuation = np.array([views.is_punctuation(token) for token in TOKENS])
    assert punctuation.tolist() == [False, False, False, False, False, True, False]
    metrics = views.head_metrics(attention, SPECIAL, punctuation)
    for layer in range(2):
        for head in range(2):
            rows = attention[layer, head]
            entropy = np.mean([-sum(p * math.log(p) for p in row if p > 0) for row in rows])
            words = [i for i in range(7) if not SPECIAL[i]]  # the distance leaves special tokens out
            distance = np.mean([sum(rows[i, j] * abs(i - j) for j in words) / sum(rows[i, j] for j in words)
                                for i in words])
            special = np.mean([sum(rows[i, j] for j in range(7) if SPECIAL[j]) for i in range(7)])
            assert metrics["entropy"][layer, head] == pytest.approx(entropy, abs=1e-5)
            assert metrics["max"][layer, head] == pytest.approx(np.mean(rows.max(axis=1)), abs=1e-6)
            assert metrics["distance"][layer, head] == pytest.approx(distance, abs=1e-5)
            assert metrics["special"][layer, head] == pytest.approx(special, abs=1e-6)
            assert metrics["punctuation"][layer, head] == pytest.approx(np.mean(rows[:, 5]), abs=1e-6)


def test_entropy_of_a_one_hot_row_is_zero_and_of_a_uniform_row_is_log_n():
    rows = np.array([[1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
    assert views.row_entropy(rows).tolist() == pytest.approx([0.0, math.log(4)])


def test_rank_heads_orders_every_layer_and_head_by_the_weight():
    attention = random_attention(layers=3, heads=4, size=5, seed=9)
    ranked = views.rank_heads(attention, source=3, target=1)
    assert len(ranked) == 12
    assert {(score.layer, score.head) for score in ranked} == {(layer, h) for layer in range(3) for h in range(4)}
    weights = [score.weight for score in ranked]
    assert weights == sorted(weights, reverse=True)
    best = ranked[0]
    assert best.weight == attention[:, :, 3, 1].max() == attention[best.layer, best.head, 3, 1]


def test_focus_row_sums_the_selected_rows_and_top_targets_sorts():
    matrix = random_attention(layers=1, heads=1, size=5, seed=2)[0, 0]
    summed = views.focus_row(matrix, [1, 3])
    np.testing.assert_allclose(summed, matrix[1] + matrix[3])
    top = views.top_targets(summed, 2)
    assert [index for index, _ in top] == list(np.argsort(-summed)[:2])


def test_causal_mask_is_detected_only_for_causal_weights():
    assert views.causal_mask(random_attention(causal=True))
    assert not views.causal_mask(random_attention(causal=False))
