"""Models and vectors that are missing, broken or of the wrong kind: one clear line, exit 2.

Also the files gensim ships for its own tests, in each format wordlens reads, through the
installed `wordlens` command.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wordlens.core.errors import LoadError

from cli_support import assert_one_line_error, run


def _gensim_test_file(name: str) -> Path:
    from gensim.test.utils import datapath

    return Path(datapath(name))


def _wordlens_script() -> str:
    return str(Path(sys.executable).parent / "wordlens")


# (file shipped in gensim/test/test_data, the format, how gensim itself reads it)
GENSIM_FILES = [
    ("euclidean_vectors.bin", "word2vec binary", {"binary": True}),
    ("word2vec_pre_kv_c", "word2vec text", {"binary": False}),
    ("test_glove.txt", "GloVe text", {"binary": False, "no_header": True}),
]


@pytest.mark.parametrize("name, fmt, gensim_options", GENSIM_FILES)
def test_gensim_s_own_test_files_load_with_vectors(name, fmt, gensim_options):
    from gensim.models import KeyedVectors

    from wordlens.core.vectors.static_vectors import detect_vectors_format

    path = _gensim_test_file(name)
    assert detect_vectors_format(path) == fmt
    reference = KeyedVectors.load_word2vec_format(str(path), **gensim_options)
    word = reference.index_to_key[3]
    done = subprocess.run(
        [
            _wordlens_script(), "neighbours", word, "--topn", "5", "--restrict-vocab", "0", "--json",
            "--vectors", str(path),
        ],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["vectors"]["size"] == len(reference.index_to_key)
    assert report["vectors"]["dim"] == reference.vector_size
    [found] = report["neighbours"]
    expected = reference.most_similar(word, topn=5)
    assert [item["word"] for item in found["items"]] == [w for w, _ in expected]
    assert [item["cosine"] for item in found["items"]] == pytest.approx([c for _, c in expected], abs=1e-6)


@pytest.mark.parametrize("name", ["testcorpus.uci.vocab", "similarities0-1.txt", "DTM/sstats_test.txt"])
def test_word_lists_with_fewer_than_two_numbers_are_not_vectors(capsys, name):
    """gensim reads these 'word number' files as GloVe text with 0 or 1 dimensions."""
    code, out, err = run(capsys, "neighbours", "the", "--vectors", _gensim_test_file(name))
    assert_one_line_error(code, out, err, "dimensions", "not a word embedding")


@pytest.mark.parametrize("name, kind", [("lda_3_0_1_model", "LdaModel"), ("tfidf_model.tst", "TfidfModel")])
def test_a_gensim_pickle_of_another_model_is_named_in_one_line(capsys, name, kind):
    code, out, err = run(capsys, "neighbours", "the", "--vectors", _gensim_test_file(name), "--allow-pickle")
    assert_one_line_error(code, out, err, kind, "not word vectors")


def test_a_saved_word2vec_model_gives_its_word_vectors(capsys):
    from gensim.models import Word2Vec

    path = _gensim_test_file("word2vec_old")
    expected = Word2Vec.load(str(path)).wv
    word = expected.index_to_key[0]
    code, out, err = run(capsys, "neighbours", word, "--topn", "3", "--restrict-vocab", "0", "--json",
                         "--vectors", path, "--allow-pickle")
    assert code == 0, err
    [found] = json.loads(out)["neighbours"]
    assert [item["word"] for item in found["items"]] == [w for w, _ in expected.most_similar(word, topn=3)]


# (crime-and-punishment.bin is a Facebook fastText binary: it loads, see test_vector_files.py.)
@pytest.mark.parametrize("name", ["lee_fasttext.bin", "testcorpus.mm",
                                  "head500.noblanks.cor.bz2", "atmodel_3_0_1_model.expElogbeta.npy"])
def test_files_that_are_not_vectors_at_all(capsys, name):
    code, out, err = run(capsys, "neighbours", "the", "--vectors", _gensim_test_file(name))
    assert_one_line_error(code, out, err, name)


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


def test_an_unreachable_hub_fails_at_once_in_one_line(capsys, monkeypatch):
    """Offline without HF_HUB_OFFLINE: huggingface_hub would retry for about a minute, printing
    a warning per retry over the screen; wordlens stops when the host does not resolve."""
    import socket

    import transformers

    def no_network(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    def must_not_be_called(*args, **kwargs):
        raise AssertionError("the hub was asked")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", must_not_be_called)
    code, out, err = run(capsys, "attention", "the dog", "--model", "wordlens-tests/no-such-model")
    assert_one_line_error(code, out, err, "wordlens-tests/no-such-model", "cannot be reached")


def test_weights_that_do_not_fit_the_config_are_refused(capsys, tmp_path, tiny_model_dir):
    """transformers would silently fill the missing weights with random numbers."""
    folder = tmp_path / "other-architecture"
    shutil.copytree(tiny_model_dir, folder)
    config = {"model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 8, "vocab_size": 40}
    (folder / "config.json").write_text(json.dumps(config))
    code, out, err = run(capsys, "attention", "the dog", "--model", folder)
    assert_one_line_error(code, out, err, "not in its checkpoint", "do not fit config.json")


def test_a_bert_config_the_weights_do_not_fit_is_refused(capsys, tmp_path, tiny_model_dir):
    """The same refusal from wordlens's own BERT loader as from transformers."""
    folder = tmp_path / "wider-config"
    shutil.copytree(tiny_model_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "hidden_size": config["hidden_size"] * 2}))
    code, out, err = run(capsys, "attention", "the dog", "--model", folder)
    assert_one_line_error(code, out, err, "embeddings.word_embeddings.weight", "do not fit config.json")


def test_bert_weights_with_a_layer_missing_are_refused(capsys, tmp_path, tiny_model_dir):
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "missing-layer"
    shutil.copytree(tiny_model_dir, folder)
    weights = load_file(str(folder / "model.safetensors"))
    kept = {name: tensor for name, tensor in weights.items() if not name.startswith("encoder.layer.1.")}
    save_file(kept, str(folder / "model.safetensors"), metadata={"format": "pt"})
    code, out, err = run(capsys, "attention", "the dog", "--model", folder)
    assert_one_line_error(code, out, err, "encoder.layer.1.", "not in its checkpoint")


@pytest.mark.parametrize("damage", ["empty", "zeros", "half"])
def test_a_corrupt_safetensors_file_is_one_line(capsys, tmp_path, tiny_model_dir, damage):
    folder = tmp_path / "corrupt"
    shutil.copytree(tiny_model_dir, folder)
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes({"empty": b"", "zeros": bytes(100), "half": data[: len(data) // 2]}[damage])
    code, out, err = run(capsys, "attention", "the dog", "--model", folder)
    assert_one_line_error(code, out, err, "could not load the model")


def test_a_config_that_is_not_json_is_one_line(capsys, tmp_path, tiny_model_dir):
    folder = tmp_path / "bad-config"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "config.json").write_text("{not json")
    code, out, err = run(capsys, "attention", "the dog", "--model", folder)
    assert_one_line_error(code, out, err, "config.json")


def test_an_empty_model_folder_is_one_line(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    code, out, err = run(capsys, "attention", "the dog", "--model", tmp_path / "empty")
    assert_one_line_error(code, out, err, "no config.json")


def test_a_model_that_returns_no_attentions_is_a_load_error(tiny_model_dir, monkeypatch):
    from transformers import BertModel

    from wordlens.core.transformer.context_model import load_context_model

    forward = BertModel.forward

    def without_attentions(self, *args, **kwargs):
        output = forward(self, *args, **kwargs)
        output.attentions = None
        return output

    monkeypatch.setattr(BertModel, "forward", without_attentions)
    with pytest.raises(LoadError, match="returned no attention weights"):
        load_context_model(tiny_model_dir, device="cpu", runtime="transformers")


@pytest.mark.parametrize("options, mention", [
    (["--layer", "3"], "--layer 3 is out of range"),
    (["--layer", "0"], "--layer 0 is out of range"),
    (["--layer", "2", "--head", "5"], "--head 5 is out of range"),
    (["--layer", "-1"], "--layer"),
])
def test_a_layer_or_head_out_of_range(capsys, tiny_model_dir, options, mention):
    code, out, err = run(capsys, "attention", "the dog", "--model", tiny_model_dir, *options)
    assert code == 2 and out == "" and mention in err and "Traceback" not in err
