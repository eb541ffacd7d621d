"""Why this weight: the captured queries and keys rebuild the model's attentions, and a head switched
off gives what transformers gives with the same head zeroed."""

from __future__ import annotations

import numpy as np
import pytest

from wordlens.core.errors import InputError
from wordlens.core.measures.attention_arithmetic import (
    layer_input_name,
    pair_arithmetic,
    rebuilt_attentions,
    static_side,
    token_table_cosines,
)
from wordlens.core.transformer.context_model import parse_heads

SENTENCE = "France is a country, it is in Europe"


def test_softmax_of_the_captured_vectors_is_the_models_attention_in_every_head(tiny_engine):
    context = tiny_engine.analyze(SENTENCE).require_context()
    assert context.captured is not None
    layers, heads, length, _ = context.attentions.shape
    assert context.captured.queries.shape[:3] == (layers, heads, length)
    np.testing.assert_allclose(rebuilt_attentions(context.captured), context.attentions, rtol=0, atol=1e-5)


def test_the_pair_arithmetic_adds_up(tiny_engine):
    context = tiny_engine.analyze(SENTENCE).require_context()
    source, target = context.tokens.index("it"), context.tokens.index("france")
    for layer in range(context.model.layers):
        for head in range(context.model.heads):
            pair = pair_arithmetic(context, layer, head, source, target)
            loop_logit = sum(float(q) * float(k) for q, k in zip(pair.query, pair.key, strict=True)) * pair.scale
            assert pair.logit == pytest.approx(loop_logit, abs=1e-5)
            assert pair.row_logits[target] == pytest.approx(pair.logit, abs=1e-5)
            np.testing.assert_allclose(pair.row_weights, context.attentions[layer, head, source], atol=1e-5)
            assert pair.weight == pytest.approx(pair.model_weight, abs=1e-5)
            top = pair.top_dimensions
            assert abs(top[0].product) == pytest.approx(float(np.abs(pair.products).max()))
            assert [abs(d.product) for d in top] == sorted((abs(d.product) for d in top), reverse=True)
            assert pair.scale == pytest.approx(1 / np.sqrt(pair.query.shape[0]))


def test_the_static_side_is_the_glove_cosine_and_the_input_table_cosine(tiny_engine, tiny_vectors, tiny_model):
    analysis = tiny_engine.analyze(SENTENCE)
    context = analysis.require_context()
    source, target = context.tokens.index("it"), context.tokens.index("france")
    side = static_side(analysis, source, target, token_table_cosines(tiny_model.input_embedding_units(), context.ids))
    assert (side.source_word, side.target_word) == ("it", "France")
    assert side.glove_cosine == pytest.approx(tiny_vectors.similarity("it", "france"), abs=1e-6)
    table = tiny_model.network.input_embeddings().numpy()
    a, b = table[tiny_model.token_id("it")], table[tiny_model.token_id("france")]
    assert side.input_table_cosine == pytest.approx(float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)), abs=1e-5)
    special = static_side(analysis, 0, target, None)
    assert special.source_word is None and special.glove_cosine is None and special.input_table_cosine is None


def test_a_pair_out_of_range_is_a_clear_error(tiny_engine):
    context = tiny_engine.analyze(SENTENCE).require_context()
    with pytest.raises(InputError, match="layer 10 is out of range"):
        pair_arithmetic(context, 9, 0, 0, 0)
    with pytest.raises(InputError, match="to token 99 is out of range"):
        pair_arithmetic(context, 0, 0, 0, 99)


def test_a_transformers_runtime_says_the_arithmetic_is_not_available(tiny_vectors, tiny_model_through_transformers):
    from wordlens.core.engine import Engine

    model = tiny_model_through_transformers
    assert not model.can_capture
    context = Engine.from_loaded(tiny_vectors, model).analyze(SENTENCE).require_context()
    with pytest.raises(InputError, match="not available for this model"):
        pair_arithmetic(context, 0, 0, 0, 1)
    with pytest.raises(NotImplementedError, match="not available for this model"):
        model.run(model.encode(SENTENCE), heads_off=frozenset({(0, 0)}))


def test_layer_inputs_are_named_as_the_grid_numbers_layers(tiny_engine):
    assert layer_input_name(0) == "the embeddings"
    assert layer_input_name(3) == "the hidden state after layer 3"
    context = tiny_engine.analyze(SENTENCE).require_context()
    np.testing.assert_allclose(context.captured.layer_inputs, context.hidden_states[:-1], atol=0)


def test_heads_to_switch_off_are_parsed_and_checked(tiny_model):
    assert parse_heads("2:4, 1:1") == {(1, 3), (0, 0)}  # counted from 1, as the screens name heads
    for text in ("1", "a:b", "1:2,", "-1:0", "0:1", "1:0"):
        with pytest.raises(InputError, match="expected LAYER:HEAD"):
            parse_heads(text)
    with pytest.raises(InputError, match="head 1:8 is out of range"):
        tiny_model.run(tiny_model.encode(SENTENCE), heads_off=frozenset({(0, 7)}))


# ---------------------------------------------------------------------------------------------
# Switching heads off, against transformers' own model with the same heads zeroed
# ---------------------------------------------------------------------------------------------


def transformers_with_heads_off(model, input_ids, heads_off):
    """transformers' BertModel with each head's context vector zeroed by a forward pre-hook on its
    layer's output projection (transformers 5 has no head_mask for BERT): (attentions, hidden states)."""
    import torch

    head_size = model.config.hidden_size // model.config.num_attention_heads
    handles = []
    for layer in sorted({layer for layer, _ in heads_off}):
        heads = [head for off_layer, head in heads_off if off_layer == layer]

        def zero_heads(module, inputs, heads=heads):
            context = inputs[0].clone()
            for head in heads:
                context[..., head * head_size:(head + 1) * head_size] = 0.0
            return (context, *inputs[1:])

        dense = model.encoder.layer[layer].attention.output.dense
        handles.append(dense.register_forward_pre_hook(zero_heads))
    try:
        with torch.inference_mode():
            output = model(input_ids=torch.tensor([input_ids]), output_attentions=True, output_hidden_states=True)
    finally:
        for handle in handles:
            handle.remove()
    return (np.stack([a[0].numpy() for a in output.attentions]), np.stack([h[0].numpy() for h in output.hidden_states]))


def assert_ablation_matches_transformers(own, folder, heads_off, text):
    import transformers

    reference = transformers.BertModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    encoding = own.encode(text)
    attentions, hidden = transformers_with_heads_off(reference, list(encoding.ids), heads_off)
    output = own.run(encoding, heads_off=heads_off)
    np.testing.assert_allclose(output.attentions, attentions, rtol=0, atol=1e-5)
    np.testing.assert_allclose(output.hidden_states, hidden, rtol=0, atol=1e-4)
    intact = own.run(encoding)
    first_off = min(layer for layer, _ in heads_off)
    assert np.abs(intact.hidden_states[first_off + 1] - output.hidden_states[first_off + 1]).max() > 1e-3
    np.testing.assert_array_equal(intact.hidden_states[: first_off + 1], output.hidden_states[: first_off + 1])


@pytest.mark.parametrize("heads", ["1:2", "1:1,2:4", "2:1,2:2,2:3,2:4"])
def test_a_head_switched_off_gives_what_transformers_gives_with_it_zeroed(tiny_model, tiny_model_dir, heads):
    assert_ablation_matches_transformers(tiny_model, tiny_model_dir, parse_heads(heads), SENTENCE)


def test_the_engine_caches_an_ablated_analysis_apart_from_the_intact_one(tiny_engine):
    off = frozenset({(0, 1)})
    intact, ablated = tiny_engine.analyze(SENTENCE), tiny_engine.analyze(SENTENCE, heads_off=off)
    assert ablated is not intact and ablated.require_context().heads_off == off
    assert ablated.static is intact.static  # heads off change only the transformer
    assert intact.require_context().heads_off == frozenset()
    assert tiny_engine.analyze(SENTENCE, heads_off=off) is ablated
    assert not np.allclose(intact.require_context().hidden_states[-1], ablated.require_context().hidden_states[-1])


@pytest.mark.real_models
def test_the_bundled_model_rebuilds_its_attentions_and_switches_heads_off_as_transformers(bundled_engine):
    from wordlens.core.sources import bundled_model_folder

    model = bundled_engine.model
    context = bundled_engine.analyze(SENTENCE).require_context()
    np.testing.assert_allclose(rebuilt_attentions(context.captured), context.attentions, rtol=0, atol=1e-5)
    source, target = context.tokens.index("it"), context.tokens.index("france")
    pair = pair_arithmetic(context, 3, 1, source, target)
    assert pair.weight == pytest.approx(0.60, abs=0.01)  # the README's figure
    assert_ablation_matches_transformers(model, bundled_model_folder(), parse_heads("4:2,5:1"), SENTENCE)


def test_a_decoders_captured_vectors_rebuild_its_causal_attention_and_split_off_the_rotation(tiny_vectors, tiny_llama):
    from wordlens.core.engine import Engine

    context = Engine.from_loaded(tiny_vectors, tiny_llama).analyze(SENTENCE).require_context()
    assert context.model.causal and context.captured is not None
    np.testing.assert_allclose(rebuilt_attentions(context.captured, causal=True), context.attentions, rtol=0,
                               atol=1e-5)
    last = len(context.tokens) - 1
    pair = pair_arithmetic(context, 0, 0, last, 0)
    np.testing.assert_allclose(pair.row_weights, context.attentions[0, 0, last], atol=1e-5)
    assert pair.content_logit is not None  # rotary: the content part (before the rotation) is shown apart
    early = pair_arithmetic(context, 0, 0, 0, 0)
    assert early.row_weights[0] == pytest.approx(1.0)  # the first token sees only itself
