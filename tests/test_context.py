"""The contextual model on a tiny random BERT saved to disk and loaded by the real loading code."""

from __future__ import annotations

import shutil
import threading

import numpy as np
import pytest

from wordlens.core.errors import LoadError
from wordlens.core.transformer.context_model import load_context_model

from conftest import TINY_HEADS, TINY_HIDDEN, TINY_LAYERS, TINY_MAX_POSITIONS, build_tiny_bert

SENTENCE = "France is a country, it is in Europe"


def reference_run(folder, text, max_length=None):
    """An independent eager BERT from the same folder: (tokens, attentions, hidden states)."""
    import torch
    import transformers

    tokenizer = transformers.BertTokenizerFast.from_pretrained(str(folder))
    model = transformers.BertModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    kwargs = {"truncation": True, "max_length": max_length} if max_length else {}
    inputs = tokenizer(text, return_tensors="pt", **kwargs)
    with torch.no_grad():
        output = model(**inputs, output_attentions=True, output_hidden_states=True)
    tokens = tokenizer.convert_ids_to_tokens(inputs["input_ids"][0].tolist())
    attentions = np.stack([a[0].numpy() for a in output.attentions])
    hidden = np.stack([h[0].numpy() for h in output.hidden_states])
    return tokens, attentions, hidden


def test_model_info_matches_the_config(tiny_model, tiny_model_dir):
    info = tiny_model.info
    assert (info.layers, info.heads, info.hidden_size) == (TINY_LAYERS, TINY_HEADS, TINY_HIDDEN)
    assert info.max_tokens == TINY_MAX_POSITIONS  # the tokenizer sets no limit: the positions do
    assert info.device == "cpu"
    assert info.name == tiny_model_dir.name and info.source == str(tiny_model_dir)


def test_a_standard_bert_folder_runs_on_the_own_forward_pass(tiny_model, tiny_model_through_transformers):
    from wordlens.core.transformer.bert_runtime import BertNetwork

    assert isinstance(tiny_model.network, BertNetwork)
    assert not isinstance(tiny_model_through_transformers.network, BertNetwork)
    assert tiny_model.info == tiny_model_through_transformers.info


def test_encode_marks_special_tokens_and_gives_offsets(tiny_model_each_runtime):
    encoding = tiny_model_each_runtime.encode(SENTENCE)
    assert encoding.tokens == ("[CLS]", "france", "is", "a", "country", ",", "it", "is", "in", "europe", "[SEP]")
    assert encoding.special.tolist() == [True] + [False] * 9 + [True]
    assert encoding.offsets.shape == (len(encoding.tokens), 2)
    for token, (begin, end), special in zip(encoding.tokens, encoding.offsets, encoding.special, strict=True):
        if not special:
            assert SENTENCE[begin:end].lower() == token.removeprefix("##")
    assert encoding.truncated is False


def test_encode_offsets_of_word_pieces(tiny_model_each_runtime):
    text = "Walking dogs"
    encoding = tiny_model_each_runtime.encode(text)
    assert encoding.tokens == ("[CLS]", "walk", "##ing", "dog", "##s", "[SEP]")
    assert encoding.offsets[1:-1].tolist() == [[0, 4], [4, 7], [8, 11], [11, 12]]


def test_attentions_shape_and_rows_sum_to_one(tiny_model_each_runtime):
    encoding = tiny_model_each_runtime.encode(SENTENCE)
    output = tiny_model_each_runtime.run(encoding)
    tokens = len(encoding.tokens)
    assert output.attentions.shape == (TINY_LAYERS, TINY_HEADS, tokens, tokens)
    assert output.hidden_states.shape == (TINY_LAYERS + 1, tokens, TINY_HIDDEN)
    assert output.attentions.dtype == np.float32
    np.testing.assert_allclose(output.attentions.sum(axis=-1), 1.0, atol=1e-5)
    assert (output.attentions >= 0).all()


def test_attentions_equal_an_independent_eager_bert(tiny_model_each_runtime, tiny_model_dir):
    encoding = tiny_model_each_runtime.encode(SENTENCE)
    output = tiny_model_each_runtime.run(encoding)
    tokens, attentions, hidden = reference_run(tiny_model_dir, SENTENCE)
    assert list(encoding.tokens) == tokens
    assert np.array_equal(output.attentions, attentions)
    assert np.array_equal(output.hidden_states, hidden)


def test_runs_are_deterministic(tiny_model):
    encoding = tiny_model.encode(SENTENCE)
    first, second = tiny_model.run(encoding), tiny_model.run(encoding)
    assert np.array_equal(first.attentions, second.attentions)  # dropout is off (eval mode)


def test_long_text_is_truncated_to_the_model_maximum(tiny_model_each_runtime, tiny_model_dir):
    text = " ".join(["the dog"] * 50)  # 100 word tokens > 64 positions
    encoding = tiny_model_each_runtime.encode(text)
    assert len(encoding.tokens) == TINY_MAX_POSITIONS
    assert encoding.truncated is True
    assert encoding.tokens[0] == "[CLS]" and encoding.tokens[-1] == "[SEP]"
    output = tiny_model_each_runtime.run(encoding)
    assert output.attentions.shape == (TINY_LAYERS, TINY_HEADS, TINY_MAX_POSITIONS, TINY_MAX_POSITIONS)
    tokens, attentions, _ = reference_run(tiny_model_dir, text, max_length=TINY_MAX_POSITIONS)
    assert list(encoding.tokens) == tokens and np.array_equal(output.attentions, attentions)


@pytest.mark.parametrize(
    "word_tokens, truncated",
    [
        (5, False),
        (TINY_MAX_POSITIONS - 2, False),  # fills the model exactly: nothing was cut
        (TINY_MAX_POSITIONS - 1, True),  # one token too many
    ],
)
def test_truncated_flag_at_the_limit(tiny_model_each_runtime, word_tokens, truncated):
    text = " ".join(["dog"] * word_tokens) + "  "
    encoding = tiny_model_each_runtime.encode(text)
    assert len(encoding.tokens) == min(word_tokens + 2, TINY_MAX_POSITIONS)
    assert encoding.truncated is truncated


def test_concurrent_analyses_do_not_collide(tiny_model_each_runtime):
    """Analyses run in worker threads; the fast tokenizer must not be entered twice at once."""
    texts = [f"{SENTENCE} {'dog ' * i}" for i in range(8)]
    expected = [tiny_model_each_runtime.run(tiny_model_each_runtime.encode(t)).attentions for t in texts]
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def work(i):
        try:
            for _ in range(5):
                results[i] = tiny_model_each_runtime.run(tiny_model_each_runtime.encode(texts[i])).attentions
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for i, attentions in enumerate(expected):
        assert np.array_equal(results[i], attentions)


def test_progress_is_reported_up_to_one(tiny_model_dir):
    fractions = []
    load_context_model(tiny_model_dir, device="cpu", progress=lambda stage, fraction: fractions.append(fraction))
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


# --- load errors -----------------------------------------------------------------------------


def test_missing_folder(tmp_path):
    with pytest.raises(LoadError, match="not found"):
        load_context_model(tmp_path / "no-such-model", device="cpu")


def test_relative_missing_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LoadError, match="not found"):
        load_context_model("./no-such-model", device="cpu")


def test_a_file_is_not_a_model_folder(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"x")
    with pytest.raises(LoadError, match="is a file"):
        load_context_model(path, device="cpu")


def test_folder_without_config(tmp_path, tiny_model_dir):
    folder = tmp_path / "no-config"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "config.json").unlink()
    with pytest.raises(LoadError, match="config.json"):
        load_context_model(folder, device="cpu")


def test_folder_without_tokenizer(tmp_path, tiny_model_dir):
    """Without tokenizer files there is no vocabulary: every word would be [UNK]. Refuse it."""
    folder = tmp_path / "no-tokenizer"
    folder.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(tiny_model_dir / name, folder / name)
    with pytest.raises(LoadError) as raised:
        load_context_model(folder, device="cpu")
    assert "tokenizer" in str(raised.value) and folder.name in str(raised.value)


def test_folder_without_weights(tmp_path, tiny_model_dir):
    folder = tmp_path / "no-weights"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "model.safetensors").unlink()
    with pytest.raises(LoadError, match="could not load the model"):
        load_context_model(folder, device="cpu")


def test_unreachable_hub_id_is_a_load_error():
    # HF_HUB_OFFLINE=1 (conftest): the hub is not asked, and the failure is a clean LoadError
    with pytest.raises(LoadError):
        load_context_model("wordlens-tests/no-such-model", device="cpu")


def test_cuda_without_cuda_is_a_load_error(tiny_model_dir):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(LoadError, match="CUDA"):
        load_context_model(tiny_model_dir, device="cuda")


@pytest.fixture(scope="module")
def pickle_only_dir(tmp_path_factory, tiny_model_dir):
    """The same tiny BERT, with its weights only as pytorch_model.bin (a pickle)."""
    import torch

    folder = tmp_path_factory.mktemp("tiny-bert-bin")
    for name in ("config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        if (tiny_model_dir / name).exists():
            shutil.copy(tiny_model_dir / name, folder / name)
    model = build_tiny_bert()
    # transformers 4.x writes .bin on request; 5.x ignores safe_serialization=False and writes
    # safetensors only, so there the pickle is written by torch.save, as 4.x did.
    model.save_pretrained(str(folder), safe_serialization=False)
    for extra in folder.glob("*.safetensors"):
        extra.unlink()
    if not (folder / "pytorch_model.bin").is_file():
        torch.save(model.state_dict(), folder / "pytorch_model.bin")
    assert (folder / "pytorch_model.bin").is_file()
    return folder


def test_pickle_weights_refused_without_allow_pickle(pickle_only_dir):
    with pytest.raises(LoadError) as raised:
        load_context_model(pickle_only_dir, device="cpu")
    message = str(raised.value)
    assert "--allow-pickle" in message and ".bin" in message
    assert "\n" not in message


def test_pickle_weights_accepted_with_allow_pickle(pickle_only_dir, tiny_model):
    model = load_context_model(pickle_only_dir, device="cpu", allow_pickle=True)
    assert (model.info.layers, model.info.heads) == (TINY_LAYERS, TINY_HEADS)
    # same weights as the safetensors copy, so the same attentions
    ours = model.run(model.encode(SENTENCE)).attentions
    reference = tiny_model.run(tiny_model.encode(SENTENCE)).attentions
    assert np.array_equal(ours, reference)



def test_a_padded_batch_gives_each_text_its_own_hidden_states(tiny_model_each_runtime):
    """The static map is fitted on words run in padded batches: padding must not leak into a word."""
    model = tiny_model_each_runtime
    encodings = [model.encode(text) for text in ("dog", "walking dogs", SENTENCE)]
    batch = model.hidden_states_batch(encodings)
    for row, encoding in enumerate(encodings):
        alone = model.run(encoding).hidden_states
        np.testing.assert_allclose(batch[row, :, : len(encoding.ids)], alone, atol=1e-5)


def test_threads_sets_torch_s_cpu_threads(tiny_model_dir):
    """The explorer loads with one core left to the interface (tui.setup.interactive)."""
    import subprocess
    import sys

    code = (
        "import torch\n"
        "from wordlens.core.transformer.context_model import load_context_model\n"
        f"load_context_model({str(tiny_model_dir)!r}, device='cpu', threads=1)\n"
        "print(torch.get_num_threads())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
