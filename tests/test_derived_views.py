"""Derived views memoised on the analysis, counted in the engine's one budget, gone with a model."""

from __future__ import annotations

import gc
import weakref

import numpy as np

from wordlens.core.analysis import strongest_heads, word_attention_from
from wordlens.core.engine import Engine
from wordlens.core.measures.attention_views import ViewSpec, build_view, select_matrix
from wordlens.core.measures.derived_views import attention_view, strongest_heads_from, token_matrix

TEXT = "The queen walks her dogs by the river."


def test_derived_views_equal_a_plain_recomputation(tiny_engine):
    analysis = tiny_engine.analyze(TEXT)
    context = analysis.context
    for spec in (ViewSpec("head", 1, 2), ViewSpec("rollout", 1, 0, words=True, hide_special=True)):
        expected = build_view(context.attentions, spec, context.tokens, context.special, context.token_word,
                              [w.text for w in analysis.words])
        got = attention_view(analysis, spec)
        assert attention_view(analysis, spec) is got
        np.testing.assert_array_equal(got.matrix, expected.matrix)
        assert got.labels == expected.labels
        np.testing.assert_array_equal(token_matrix(analysis, spec.aggregate, spec.layer, spec.head),
                                      select_matrix(context.attentions, spec))
    assert strongest_heads_from(analysis, 1) == strongest_heads(word_attention_from(context, 1, len(analysis.words)))


def test_the_budget_bounds_the_engines_total(tiny_vectors, tiny_model):
    engine = Engine(lambda p: tiny_vectors, lambda p: tiny_model, cache_bytes=200_000)
    engine.load_vectors(), engine.load_model()
    for n in range(30):
        analysis = engine.analyze(f"{TEXT} {n}")
        attention_view(analysis, ViewSpec("rollout", 1, 0, words=True))
        assert engine.cached_bytes() <= 200_000 or n == 0


def test_a_replaced_model_leaves_nothing_made_with_the_old_one(tiny_vectors, tiny_model_dir):
    from wordlens.core.transformer.context_model import load_context_model

    old_model = load_context_model(tiny_model_dir, device="cpu")
    engine = Engine.from_loaded(tiny_vectors, old_model)
    analysis = engine.analyze(TEXT)
    attention_view(analysis, ViewSpec("mean", 0, 0))
    old_analysis = weakref.ref(analysis)
    del analysis, old_model
    engine.open_model(str(tiny_model_dir))
    gc.collect()
    assert old_analysis() is None  # (the old model itself stays reachable via from_loaded's loader closure)
    assert engine.cached_bytes() == 0
