"""Next-token predictions and the logit lens on the tiny Llama, against transformers' own logits
and a plain computation; `wordlens predict` and its JSON shape."""

from __future__ import annotations

import numpy as np
import pytest

from wordlens.core.transformer.next_token import logit_lens, next_token_predictions

from cli_support import assert_one_line_error, never_open_the_explorer, run, run_json  # noqa: F401 (the fixture applies by import)
from conftest import LLAMA_LAYERS

TEXT = "the capital of france is"


@pytest.fixture(scope="module")
def reference(tiny_llama_dir):
    import transformers

    return transformers.LlamaForCausalLM.from_pretrained(str(tiny_llama_dir), attn_implementation="eager").eval()


def reference_probabilities(reference, ids) -> np.ndarray:
    import torch

    with torch.inference_mode():
        logits = reference(torch.tensor([ids])).logits[0, -1].double()
    return torch.softmax(logits, dim=-1).numpy()


def test_the_predictions_are_transformers_top_tokens_with_their_probabilities(tiny_llama, reference):
    encoding = tiny_llama.encode(TEXT)
    hidden = tiny_llama.run(encoding).hidden_states
    predictions = next_token_predictions(tiny_llama, hidden, len(encoding.ids) - 1, top=5)
    expected = reference_probabilities(reference, encoding.ids)
    order = np.argsort(-expected)[:5]
    assert [p.token for p in predictions] == tiny_llama.tokens([int(i) for i in order])
    np.testing.assert_allclose([p.prob for p in predictions], expected[order], atol=1e-5)
    assert all(a.prob >= b.prob for a, b in zip(predictions, predictions[1:], strict=False))
    assert all(p.text == tiny_llama.token_text(p.token) for p in predictions)


def test_the_lens_has_every_layer_and_its_last_layer_is_the_models_own_prediction(tiny_llama):
    encoding = tiny_llama.encode(TEXT)
    hidden = tiny_llama.run(encoding).hidden_states
    position = len(encoding.ids) - 1
    lens = logit_lens(tiny_llama, hidden, position, top=4)
    assert [row.layer for row in lens] == list(range(LLAMA_LAYERS + 1))
    assert lens[-1].predictions == next_token_predictions(tiny_llama, hidden, position, top=4)
    # an earlier layer: its hidden state through the final norm and the output layer, written out
    weights = tiny_llama.network.weights
    state = hidden[1, position].astype(np.float64)
    normed = weights["norm.weight"].numpy() * state / np.sqrt(np.mean(state**2) + 1e-5)
    logits = weights["lm_head.weight"].numpy() @ normed
    probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    best = np.argsort(-probs)[:4]
    assert [p.token for p in lens[1].predictions] == tiny_llama.tokens([int(i) for i in best])
    np.testing.assert_allclose([p.prob for p in lens[1].predictions], probs[best], atol=1e-5)


def test_predict_json_has_the_promised_shape(capsys, tiny_llama_dir, tiny_llama):
    report = run_json(capsys, "predict", TEXT, "--model", tiny_llama_dir, "--top", "3", "--lens")
    assert set(report) >= {"model", "tokens", "predictions", "lens"}
    assert report["tokens"] == list(tiny_llama.encode(TEXT).tokens)  # as the tokenizer gives them
    assert any(token.startswith("Ġ") for token in report["tokens"])
    assert len(report["predictions"]) == 3
    for prediction in report["predictions"]:
        assert set(prediction) == {"token", "text", "prob"}
        assert prediction["text"] == tiny_llama.token_text(prediction["token"])
    assert [row["layer"] for row in report["lens"]] == list(range(LLAMA_LAYERS + 1))
    assert report["lens"][-1]["predictions"] == report["predictions"]


def test_predict_without_lens_has_no_lens(capsys, tiny_llama_dir):
    assert "lens" not in run_json(capsys, "predict", TEXT, "--model", tiny_llama_dir)


def test_predict_prints_a_table(capsys, tiny_llama_dir):
    code, out, err = run(capsys, "predict", TEXT, "--model", tiny_llama_dir, "--lens")
    assert code == 0, err
    assert "logit lens" in out and "emb" in out


def test_predict_with_the_encoder_says_it_has_no_language_model_head(capsys, tiny_model_dir):
    code, out, err = run(capsys, "predict", TEXT, "--model", tiny_model_dir, "--json")
    assert_one_line_error(code, out, err, "no language-model head")


def test_predict_with_no_token_is_a_clear_error(capsys, tiny_llama_dir):
    code, out, err = run(capsys, "predict", "", "--model", tiny_llama_dir)
    assert_one_line_error(code, out, err, "no token")


def test_attention_json_keeps_the_tokenizers_tokens_and_labels_the_view_readably(capsys, tiny_llama_dir, tiny_llama):
    report = run_json(capsys, "attention", TEXT, "--model", tiny_llama_dir)
    assert report["tokens"] == list(tiny_llama.encode(TEXT).tokens)
    assert any("Ġ" in token for token in report["tokens"])
    assert report["view_labels"] == report["token_labels"] == list(tiny_llama.labels(report["tokens"]))
    assert "␣capital" in report["view_labels"] and not any("Ġ" in label for label in report["view_labels"])


def test_an_export_of_a_decoder_view_labels_it_readably(tiny_vectors, tiny_llama):
    from wordlens.core.engine import Engine
    from wordlens.core.measures.attention_views import ViewSpec
    from wordlens.core.reports.export import export_view

    analysis = Engine.from_loaded(tiny_vectors, tiny_llama).analyze(TEXT)
    exported = export_view(analysis, ViewSpec())
    assert exported.report["tokens"] == list(analysis.context.tokens)
    assert exported.report["view_labels"] == list(analysis.context.labels)
    assert "␣capital" in exported.labels and list(exported.arrays["view_labels"]) == list(exported.labels)
