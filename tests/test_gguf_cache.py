"""`--model smollm2`: the GGUF file converted once into a cache folder, loaded from it afterwards,
and converted again when the cache is damaged. The GGUF reading itself (transformers, ~30 s on the
real file) is replaced by the tiny random Llama; everything after it is the real code."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wordlens.core.transformer import gguf_cache
from wordlens.core.transformer.context_model import load_context_model
from wordlens.core.transformer.llama_runtime import LlamaNetwork

from conftest import LLAMA_CORPUS, build_tiny_llama, write_byte_level_tokenizer


@pytest.fixture
def fake_smollm2(tmp_path, monkeypatch):
    """The cache under a fresh XDG_CACHE_HOME, and a 'GGUF file' whose reading gives the tiny Llama;
    returns the list of reads (one per conversion)."""
    import transformers

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    gguf = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    gguf.write_bytes(b"GGUF")
    tokenizer_folder = tmp_path / "tokenizer"
    write_byte_level_tokenizer(tokenizer_folder, LLAMA_CORPUS)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tokenizer_folder))
    reads: list[str] = []

    def read(path):
        reads.append(str(path))
        return tokenizer, build_tiny_llama(len(tokenizer))

    monkeypatch.setattr(gguf_cache, "smollm2_gguf_file", lambda: gguf)
    monkeypatch.setattr(gguf_cache, "read_gguf", read)
    return reads


def cached_folder():
    folders = [path for path in gguf_cache.cache_folder().joinpath("models").iterdir()]
    assert len(folders) == 1, folders  # no partial folder left behind
    return folders[0]


def test_the_first_load_converts_and_reports_it_and_the_next_loads_the_cache(fake_smollm2, tmp_path):
    stages: list[str] = []
    first = load_context_model("smollm2", device="cpu", progress=lambda stage, fraction: stages.append(stage))
    assert len(fake_smollm2) == 1
    assert any(stage.startswith("converting SmolLM2-135M-Instruct.Q4_1.gguf once") for stage in stages)
    folder = cached_folder()
    assert folder.is_relative_to(tmp_path / "cache" / "wordlens")
    assert {"config.json", "model.safetensors", "tokenizer.json", gguf_cache.MANIFEST} <= {
        path.name for path in folder.iterdir()
    }
    assert first.info.name == "SmolLM2-135M-Instruct" and first.info.causal and first.predicts_tokens
    assert isinstance(first.network, LlamaNetwork)

    stages.clear()
    second = load_context_model("SmolLM2", device="cpu", progress=lambda stage, fraction: stages.append(stage))
    assert len(fake_smollm2) == 1, "the cache should have been used"
    assert not any(stage.startswith("converting") for stage in stages)
    encoding = second.encode("the capital of france is")
    np.testing.assert_allclose(second.run(encoding).attentions, first.run(encoding).attentions, atol=1e-6)


def truncate_weights(folder):
    path = folder / "model.safetensors"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def break_config(folder):
    (folder / "config.json").write_text('{"model_type": "llama", ', encoding="utf-8")


def scramble_weights_header(folder):
    """Same size, so the manifest cannot tell: the weights fail to load instead."""
    path = folder / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[8:40] = b"#" * 32
    path.write_bytes(bytes(data))


def drop_manifest(folder):
    (folder / gguf_cache.MANIFEST).unlink()


@pytest.mark.parametrize("damage", [truncate_weights, break_config, scramble_weights_header, drop_manifest])
def test_a_damaged_cache_is_converted_again(fake_smollm2, damage):
    load_context_model("smollm2", device="cpu")
    damage(cached_folder())
    model = load_context_model("smollm2", device="cpu")
    assert len(fake_smollm2) == 2
    assert model.run(model.encode("the dog walks")).attentions.shape[:2] == (2, 4)
    manifest = json.loads((cached_folder() / gguf_cache.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["files"]["model.safetensors"] == (cached_folder() / "model.safetensors").stat().st_size


def test_the_cache_loads_through_transformers_too(fake_smollm2):
    ours = load_context_model("smollm2", device="cpu")
    theirs = load_context_model("smollm2", device="cpu", runtime="transformers")
    encoding = ours.encode("the queen walks")
    np.testing.assert_allclose(ours.run(encoding).attentions, theirs.run(encoding).attentions, atol=1e-5)


def test_every_command_and_the_config_file_take_the_name(fake_smollm2, capsys, tmp_path, monkeypatch):
    from cli_support import run_json

    report = run_json(capsys, "predict", "the capital of france is", "--model", "smollm2")
    assert report["model"]["name"] == "SmolLM2-135M-Instruct" and report["predictions"]
    attention = run_json(capsys, "attention", "the dog walks", "--model", "smollm2")
    assert attention["model"]["layers"] == 2
    config = tmp_path / "config" / "wordlens" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('model = "smollm2"\n', encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert run_json(capsys, "predict", "the dog")["model"]["name"] == "SmolLM2-135M-Instruct"
    assert len(fake_smollm2) == 1  # converted once for all three


# ---------------------------------------------------------------------------------------------
# A real GGUF file: the tiny Llama written by the gguf package, read by transformers as SmolLM2's is
# ---------------------------------------------------------------------------------------------

GGUF_LAYER_NAMES = [
    ("input_layernorm", "attn_norm"), ("self_attn.q_proj", "attn_q"), ("self_attn.k_proj", "attn_k"),
    ("self_attn.v_proj", "attn_v"), ("self_attn.o_proj", "attn_output"), ("post_attention_layernorm", "ffn_norm"),
    ("mlp.gate_proj", "ffn_gate"), ("mlp.up_proj", "ffn_up"), ("mlp.down_proj", "ffn_down"),
]


def write_tiny_gguf(folder, name="SmolLM2-135M-Instruct.Q4_1.gguf"):
    """The tiny Llama and its byte-level BPE as a float32 GGUF file (llama.cpp's names and keys)."""
    import gguf

    tokenizer = write_byte_level_tokenizer(folder / "tokenizer", LLAMA_CORPUS)
    model = build_tiny_llama(len(tokenizer))
    description = json.loads((folder / "tokenizer" / "tokenizer.json").read_text(encoding="utf-8"))
    tokens = [token for token, _ in sorted(description["model"]["vocab"].items(), key=lambda item: item[1])]
    merges = [merge if isinstance(merge, str) else " ".join(merge) for merge in description["model"]["merges"]]
    path = folder / name
    writer = gguf.GGUFWriter(str(path), "llama")
    config = model.config
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types([3 if token == "<|endoftext|>" else 1 for token in tokens])
    writer.add_token_merges(merges)
    writer.add_bos_token_id(tokenizer.bos_token_id)
    writer.add_eos_token_id(tokenizer.eos_token_id)
    weights = {key: value.detach().numpy().astype(np.float32) for key, value in model.state_dict().items()}
    names = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight"}
    for layer in range(config.num_hidden_layers):
        for ours, theirs in GGUF_LAYER_NAMES:
            names[f"model.layers.{layer}.{ours}.weight"] = f"blk.{layer}.{theirs}.weight"
    for ours, theirs in names.items():
        writer.add_tensor(theirs, weights[ours])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_a_real_gguf_file_is_converted_through_transformers_and_runs_as_transformers_reads_it(
    tmp_path, monkeypatch
):
    import torch
    import transformers

    pytest.importorskip("gguf")
    gguf_file = write_tiny_gguf(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(gguf_cache, "smollm2_gguf_file", lambda: gguf_file)
    stages: list[tuple[str, float]] = []

    def progress(stage, fraction):
        stages.append((stage, fraction))

    model = load_context_model("smollm2", device="cpu", progress=progress)
    assert isinstance(model.network, LlamaNetwork)
    counted = [stage for stage, _ in stages if "tensor" in stage]
    assert counted and counted[0].endswith("tensor 1 of 20")  # transformers' own bar, reported instead of drawn
    fractions = [fraction for _, fraction in stages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0

    reference = transformers.LlamaForCausalLM.from_pretrained(
        str(tmp_path), gguf_file=gguf_file.name, attn_implementation="eager"
    ).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tmp_path), gguf_file=gguf_file.name)
    text = "the capital of france is"
    encoding = model.encode(text)
    assert list(encoding.ids) == tokenizer(text).input_ids
    with torch.inference_mode():
        theirs = reference(torch.tensor([encoding.ids]), output_attentions=True)
    ours = model.run(encoding)
    np.testing.assert_allclose(ours.attentions, np.stack([a[0].numpy() for a in theirs.attentions]), atol=1e-5)
    logits = model.next_token_logits(ours.hidden_states[-1], normed=True)
    np.testing.assert_allclose(logits, theirs.logits[0].numpy(), atol=1e-4)
