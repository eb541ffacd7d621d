"""SmolLM2-135M-Instruct (`--model smollm2`), the real decoder: its promised answers. The first run on
a machine converts the packaged GGUF file once (~30 s) into the user's cache (~/.cache/wordlens, or
$XDG_CACHE_HOME); later runs load the cache."""

from __future__ import annotations

import numpy as np
import pytest

from wordlens.core.reports.json_shapes import attention_report, predict_report
from wordlens.core.transformer.context_model import load_context_model
from wordlens.core.transformer.llama_runtime import LlamaNetwork
from wordlens.core.transformer.next_token import logit_lens, next_token_predictions, probabilities

pytestmark = pytest.mark.real_models
PROMPT = "The capital of France is"


@pytest.fixture(scope="module")
def smollm2():
    return load_context_model("smollm2", device="cpu")


@pytest.fixture(scope="module")
def reference(smollm2):
    """transformers' own LlamaForCausalLM, eager attention, on the same converted folder."""
    import transformers

    return transformers.LlamaForCausalLM.from_pretrained(smollm2.info.source, attn_implementation="eager").eval()


def test_smollm2_is_a_30_by_9_decoder_on_wordlens_own_runtime(smollm2):
    info = smollm2.info
    assert (info.name, info.layers, info.heads, info.hidden_size, info.causal) == (
        "SmolLM2-135M-Instruct", 30, 9, 576, True
    )
    assert isinstance(smollm2.network, LlamaNetwork)


def test_paris_is_the_first_prediction_and_the_lens_last_layer_is_the_models_own_logits(smollm2, reference):
    import torch

    report = predict_report(smollm2, PROMPT, top=5, lens=True)
    assert report["predictions"][0]["text"] == " Paris"
    assert report["predictions"][0]["token"] == "ĠParis"
    assert report["lens"][-1]["predictions"] == report["predictions"]
    encoding = smollm2.encode(PROMPT)
    with torch.inference_mode():
        logits = reference(torch.tensor([encoding.ids])).logits[0, -1].numpy()
    expected = probabilities(logits)
    for prediction in report["predictions"]:
        assert prediction["prob"] == pytest.approx(expected[smollm2.token_id(prediction["token"])], abs=1e-4)
    hidden = smollm2.run(encoding).hidden_states
    lens = logit_lens(smollm2, hidden, len(encoding.ids) - 1, top=5)
    assert lens[-1].predictions == next_token_predictions(smollm2, hidden, len(encoding.ids) - 1, top=5)


def test_the_attentions_are_causal_rows_of_one_and_equal_transformers_own(smollm2, reference):
    import torch

    report = attention_report(smollm2, PROMPT)
    attentions = np.asarray(report["attention"], dtype=np.float32)
    size = len(report["tokens"])
    assert attentions.shape == (30, 9, size, size)
    np.testing.assert_allclose(attentions.sum(axis=-1), 1.0, atol=1e-5)
    assert np.count_nonzero(attentions[..., np.triu(np.ones((size, size), dtype=bool), k=1)]) == 0
    with torch.inference_mode():
        output = reference(torch.tensor([smollm2.encode(PROMPT).ids]), output_attentions=True)
    expected = np.stack([layer[0].numpy() for layer in output.attentions])
    np.testing.assert_allclose(attentions, expected, atol=1e-4)
    # the attention sink: from the middle layers on, most of a late token's attention goes to the first token
    assert attentions[10:, :, -1, 0].mean() > 0.5
