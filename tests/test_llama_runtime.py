"""wordlens's own Llama forward pass against transformers' eager LlamaForCausalLM on a tiny random
decoder (conftest.py: grouped-query attention, rotary positions, tied embeddings, norms not 1),
saved with save_pretrained and loaded through the real loading code."""

from __future__ import annotations

import numpy as np
import pytest

from wordlens.core.transformer.context_model import HeadInputs, load_context_model
from wordlens.core.transformer.llama_runtime import LlamaNetwork

from conftest import LLAMA_HEADS, LLAMA_HIDDEN, LLAMA_LAYERS, save_tiny_llama

TEXTS = ["the capital of france is paris.", "the queen walks quickly by the river bank", "dog"]


@pytest.fixture(scope="module")
def reference(tiny_llama_dir):
    import transformers

    return transformers.LlamaForCausalLM.from_pretrained(str(tiny_llama_dir), attn_implementation="eager").eval()


def transformers_output(model, ids: tuple[int, ...]):
    import torch

    with torch.inference_mode():
        return model(torch.tensor([ids]), output_attentions=True, output_hidden_states=True)


def test_the_tiny_llama_runs_on_wordlens_own_runtime(tiny_llama):
    assert isinstance(tiny_llama.network, LlamaNetwork)
    info = tiny_llama.info
    assert (info.layers, info.heads, info.hidden_size, info.causal) == (LLAMA_LAYERS, LLAMA_HEADS, LLAMA_HIDDEN, True)
    assert tiny_llama.predicts_tokens


@pytest.mark.parametrize("text", TEXTS)
def test_attentions_hidden_states_and_logits_equal_transformers(tiny_llama, reference, text):
    encoding = tiny_llama.encode(text)
    ours = tiny_llama.run(encoding)
    theirs = transformers_output(reference, encoding.ids)
    expected_attentions = np.stack([layer[0].numpy() for layer in theirs.attentions])
    expected_hidden = np.stack([layer[0].numpy() for layer in theirs.hidden_states])
    np.testing.assert_allclose(ours.attentions, expected_attentions, atol=1e-5)
    np.testing.assert_allclose(ours.hidden_states, expected_hidden, atol=1e-5)
    logits = tiny_llama.next_token_logits(ours.hidden_states[-1], normed=True)
    np.testing.assert_allclose(logits, theirs.logits[0].numpy(), atol=1e-4)
    size = len(encoding.ids)
    assert np.count_nonzero(ours.attentions[..., np.triu(np.ones((size, size), dtype=bool), k=1)]) == 0


def test_an_untied_output_layer_is_read_from_the_checkpoint(tmp_path):
    import torch
    import transformers

    folder = save_tiny_llama(tmp_path, tied=False)
    model = load_context_model(folder, device="cpu")
    reference = transformers.LlamaForCausalLM.from_pretrained(str(folder), attn_implementation="eager").eval()
    assert not torch.equal(reference.lm_head.weight, reference.model.embed_tokens.weight)
    encoding = model.encode(TEXTS[0])
    ours = model.run(encoding)
    logits = model.next_token_logits(ours.hidden_states[-1], normed=True)
    np.testing.assert_allclose(logits, transformers_output(reference, encoding.ids).logits[0].numpy(), atol=1e-4)


def test_a_padded_batch_gives_each_text_its_own_hidden_states(tiny_llama):
    encodings = [tiny_llama.encode(text) for text in TEXTS]
    batch = tiny_llama.hidden_states_batch(encodings)
    for row, encoding in enumerate(encodings):
        size = len(encoding.ids)
        np.testing.assert_allclose(batch[row, :, :size], tiny_llama.run(encoding).hidden_states, atol=1e-5)


def run_network(model, text: str, **options):
    import torch

    encoding = model.encode(text)
    ids = torch.tensor([encoding.ids])
    with torch.inference_mode():
        return model.network(ids, torch.zeros_like(ids), torch.ones_like(ids), **options)


def softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def rotate(vectors: np.ndarray, theta: float = 10000.0) -> np.ndarray:
    """The default rotary embedding written out: pair (i, i + d/2) turned by position * theta^(-2i/d)."""
    heads, length, dim = vectors.shape
    half = dim // 2
    angles = np.arange(length)[:, None] * theta ** (-np.arange(half) * 2.0 / dim)[None, :]
    cos, sin = np.cos(angles), np.sin(angles)
    first, second = vectors[..., :half], vectors[..., half:]
    return np.concatenate([first * cos - second * sin, second * cos + first * sin], axis=-1)


def test_captured_queries_and_keys_rebuild_every_attention(tiny_llama):
    capture: list[HeadInputs] = []
    attentions, _ = run_network(tiny_llama, TEXTS[0], capture=capture)
    assert len(capture) == LLAMA_LAYERS
    for layer, inputs in enumerate(capture):
        queries, keys = inputs.queries.numpy(), inputs.keys.numpy()
        heads, length, head_dim = queries.shape
        assert (heads, keys.shape[0]) == (LLAMA_HEADS, LLAMA_HEADS)  # key heads repeated per query head
        assert inputs.scale == pytest.approx(head_dim**-0.5)
        assert inputs.layer_input.shape == (length, LLAMA_HIDDEN)
        scores = queries @ keys.transpose(0, 2, 1) * inputs.scale
        scores = np.where(np.triu(np.ones((length, length), dtype=bool), k=1), -np.inf, scores)
        np.testing.assert_allclose(softmax(scores), attentions[layer][0].numpy(), atol=1e-5)
        np.testing.assert_allclose(rotate(inputs.queries_content.numpy()), queries, atol=1e-5)
        np.testing.assert_allclose(rotate(inputs.keys_content.numpy()), keys, atol=1e-5)
        # grouped-query attention: query heads 0 and 1 read the same key head
        np.testing.assert_array_equal(keys[0], keys[1])


def test_a_head_switched_off_equals_zeroing_its_columns_of_the_output_projection(tiny_llama_dir, tiny_llama):
    import torch
    import transformers

    layer, head = 0, 2
    attentions, hidden = run_network(tiny_llama, TEXTS[1], heads_off=frozenset({(layer, head)}))
    reference = transformers.LlamaForCausalLM.from_pretrained(str(tiny_llama_dir), attn_implementation="eager").eval()
    head_dim = LLAMA_HIDDEN // LLAMA_HEADS
    with torch.no_grad():
        reference.model.layers[layer].self_attn.o_proj.weight[:, head * head_dim : (head + 1) * head_dim] = 0.0
    theirs = transformers_output(reference, tiny_llama.encode(TEXTS[1]).ids)
    for ours, expected in zip(hidden, theirs.hidden_states, strict=True):
        np.testing.assert_allclose(ours[0].numpy(), expected[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(attentions[1][0].numpy(), theirs.attentions[1][0].numpy(), atol=1e-5)
    _, untouched = run_network(tiny_llama, TEXTS[1])
    assert not np.allclose(untouched[1][0].numpy(), hidden[1][0].numpy(), atol=1e-4)


def test_the_byte_level_tokens_read_as_text(tiny_llama):
    encoding = tiny_llama.encode("the capital of\nfrance")
    assert any(token.startswith("Ġ") for token in encoding.tokens)  # the tokenizer's own spelling
    labels = tiny_llama.labels(encoding.tokens)
    assert "".join(labels).replace("␣", " ").replace("↵", "\n") == "the capital of\nfrance"
    assert not any("Ġ" in label or "Ċ" in label for label in labels)
    assert tiny_llama.token_text("Ġcapital") == " capital"


def test_the_encoder_has_no_language_model_head(tiny_model):
    from wordlens.core.errors import InputError

    assert not tiny_model.predicts_tokens
    with pytest.raises(InputError, match="no language-model head"):
        tiny_model.next_token_logits(np.zeros(8, dtype=np.float32), normed=False)
    assert tiny_model.labels(["walk", "##s"]) == ("walk", "##s")


@pytest.mark.parametrize(("text", "label"), [
    (" Paris", "␣Paris"), ("\n\n", "↵↵"), ("\tx", "⇥x"), ("a\xa0b", "a⍽b"), ("\x01", "⍰"), ("\u200b", "⍰"),
    ("café 東京", "café␣東京"),
])
def test_a_label_shows_every_character_visibly(text, label):
    from wordlens.core.transformer.tokens import readable_label

    assert readable_label(text) == label


def assert_same_output(ours, expected):
    np.testing.assert_allclose(ours.attentions, expected.attentions, atol=1e-5)
    np.testing.assert_allclose(ours.hidden_states, expected.hidden_states, atol=1e-5)
    for field in ("layer_inputs", "queries", "keys", "queries_content", "keys_content"):
        np.testing.assert_allclose(getattr(ours.captured, field), getattr(expected.captured, field), atol=1e-5)


def test_a_run_continuing_the_last_text_equals_a_whole_pass(tiny_llama_dir):
    model = load_context_model(tiny_llama_dir, device="cpu")  # its own: the last run it keeps is this test's
    typed = "the capital of france is paris"
    # typing forward (the last token re-split as it grows), then deleting back, then another sentence
    edits = [typed[:end] for end in range(1, len(typed) + 1)] + [typed[:12], typed[:3], "dog walks", "dog walks"]
    shared = []
    for text in edits:
        encoding = model.encode(text)
        continued = model.run(encoding, capture=True, continuing=True)
        whole = model.run(encoding, capture=True)
        assert_same_output(continued, whole)
        assert not continued.attentions.flags.writeable and not continued.captured.queries.flags.writeable
        shared.append(encoding.ids)
    assert any(a[:-1] == b[:-1] and a != b for a, b in zip(shared, shared[1:], strict=False))  # a re-split last token


def test_a_continuing_run_keeps_heads_switched_off_apart(tiny_llama_dir):
    model = load_context_model(tiny_llama_dir, device="cpu")
    off = frozenset({(0, 1)})
    for text in ("the queen", "the queen walks", "the queen walks by"):
        encoding = model.encode(text)
        assert_same_output(model.run(encoding, capture=True, continuing=True), model.run(encoding, capture=True))
        assert_same_output(model.run(encoding, off, capture=True, continuing=True),
                           model.run(encoding, off, capture=True))
