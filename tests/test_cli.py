"""The `wordlens` command: headless subcommands, their JSON shapes (README.md) and their errors.

`main([...])` runs in-process; a few runs go through the installed console script in a subprocess,
as a user or a script would call it. Tiny models by default; the bundled ones under `real_models`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from wordlens.core.vectors.static_vectors import DEFAULT_RESTRICT_VOCAB
from wordlens.tui.cli import main as cli

from cli_support import assert_one_line_error, never_open_the_explorer, run, run_json  # noqa: F401 (the fixture applies by import)
from conftest import RIVER_NEIGHBOURS, TINY_DIM, TINY_HEADS, TINY_LAYERS, TINY_WORDS, make_tiny_keyed_vectors

SENTENCE = "France is a country, it is in Europe"
TINY_SENTENCE = "the queen walks quickly"


# ---------------------------------------------------------------------------------------------
# Fixtures and helpers
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vectors_text_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("vectors-text") / "tiny.txt"
    make_tiny_keyed_vectors().save_word2vec_format(str(path), binary=False)
    return path


def wordlens_script() -> str:
    beside_python = Path(sys.executable).parent / "wordlens"
    found = str(beside_python) if beside_python.is_file() else shutil.which("wordlens")
    assert found, "the wordlens console script is not installed"
    return found


def run_script(*argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", COLUMNS="100")
    return subprocess.run(
        [wordlens_script(), *map(str, argv)], capture_output=True, text=True, env=env, timeout=300
    )


def check_neighbours_shape(report: dict) -> None:
    """The shape README.md promises (fields may be added, never renamed)."""
    assert {"vectors", "neighbours"} <= set(report)
    vectors = report["vectors"]
    assert {"name", "size", "dim", "restrict_vocab"} <= set(vectors)
    assert isinstance(vectors["name"], str)
    assert all(type(vectors[key]) is int for key in ("size", "dim", "restrict_vocab"))
    assert isinstance(report["neighbours"], list)
    for found in report["neighbours"]:
        assert {"word", "in_vocab", "items"} <= set(found)
        assert isinstance(found["word"], str) and isinstance(found["in_vocab"], bool)
        assert isinstance(found["items"], list)
        for item in found["items"]:
            assert {"word", "cosine"} <= set(item)
            assert isinstance(item["word"], str) and isinstance(item["cosine"], float)


def check_attention_shape(report: dict) -> None:
    assert {"model", "tokens", "attention"} <= set(report)
    model = report["model"]
    assert {"name", "layers", "heads"} <= set(model)
    assert isinstance(model["name"], str) and type(model["layers"]) is int and type(model["heads"]) is int
    tokens = report["tokens"]
    assert isinstance(tokens, list) and all(isinstance(token, str) for token in tokens)
    attention = np.asarray(report["attention"])
    assert attention.shape == (model["layers"], model["heads"], len(tokens), len(tokens))
    np.testing.assert_allclose(attention.sum(axis=-1), 1.0, atol=1e-5)  # each row is a distribution


def independent_attention(folder: Path, text: str) -> tuple[list[str], np.ndarray]:
    """Tokens and (layers, heads, T, T) attentions from a plain transformers eager run."""
    import torch
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    model = transformers.AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        output = model(**inputs, output_attentions=True)
    tokens = tokenizer.convert_ids_to_tokens(inputs["input_ids"][0].tolist())
    return tokens, torch.stack(output.attentions)[:, 0].float().numpy()


# ---------------------------------------------------------------------------------------------
# wordlens neighbours
# ---------------------------------------------------------------------------------------------


def test_neighbours_json_has_the_design_shape(capsys, vectors_file):
    report = run_json(capsys, "neighbours", "river", "zebra", "--vectors", vectors_file, "--topn", "3")
    check_neighbours_shape(report)
    assert report["vectors"] == {
        **report["vectors"],
        "name": "tiny.bin",
        "size": len(TINY_WORDS),
        "dim": TINY_DIM,
        "restrict_vocab": len(TINY_WORDS),  # the default 100,000 scans all of 30 words
    }
    assert [found["word"] for found in report["neighbours"]] == ["river", "zebra"]


@pytest.mark.parametrize(
    "topn, restrict_vocab, gensim_restrict_vocab",
    [
        (10, None, DEFAULT_RESTRICT_VOCAB),  # the default
        (3, "12", 12),
        (5, "25", 25),
        (40, "0", None),  # 0: the whole vocabulary
        (1, "1000", 1000),  # more than the vocabulary: all of it
    ],
)
def test_neighbours_json_equals_gensim_most_similar(
    capsys, vectors_file, reference_kv, topn, restrict_vocab, gensim_restrict_vocab
):
    words = ["river", "queen", "sea", "Apple", "東京", "naïve"]
    argv = ["neighbours", *words, "--vectors", vectors_file, "--topn", str(topn)]
    if restrict_vocab is not None:
        argv += ["--restrict-vocab", restrict_vocab]
    report = run_json(capsys, *argv)
    check_neighbours_shape(report)
    scanned = min(gensim_restrict_vocab or len(TINY_WORDS), len(TINY_WORDS))
    assert report["vectors"]["restrict_vocab"] == scanned
    assert [found["word"] for found in report["neighbours"]] == words
    for found in report["neighbours"]:
        assert found["in_vocab"] is True
        expected = reference_kv.most_similar(found["word"], topn=topn, restrict_vocab=gensim_restrict_vocab)
        assert [item["word"] for item in found["items"]] == [word for word, _ in expected], found["word"]
        np.testing.assert_allclose(
            [item["cosine"] for item in found["items"]], [cosine for _, cosine in expected], rtol=0, atol=1e-6
        )
        # and the whole scan is what was reported: every neighbour is among the first `scanned` words
        assert all(TINY_WORDS.index(item["word"]) < scanned for item in found["items"])


def test_restrict_vocab_0_means_the_whole_vocabulary(capsys, vectors_file):
    import math

    whole = run_json(capsys, "neighbours", "river", "--vectors", vectors_file, "--topn", "3", "--restrict-vocab", "0")
    assert whole["vectors"]["restrict_vocab"] == len(TINY_WORDS)
    [river] = whole["neighbours"]
    assert [item["word"] for item in river["items"]] == ["stream", "lake", "sea"]  # sea is word 25 of 30
    for item in river["items"]:
        assert item["cosine"] == pytest.approx(math.cos(math.radians(RIVER_NEIGHBOURS[item["word"]])), abs=1e-6)

    restricted = run_json(capsys, "neighbours", "river", "--vectors", vectors_file, "--topn", "3",
                          "--restrict-vocab", "20")
    assert restricted["vectors"]["restrict_vocab"] == 20
    assert "sea" not in [item["word"] for item in restricted["neighbours"][0]["items"]]


def test_an_out_of_vocabulary_word_is_reported_not_fatal(capsys, vectors_file):
    report = run_json(capsys, "neighbours", "zebra", "queen", "--vectors", vectors_file)
    check_neighbours_shape(report)
    zebra, queen = report["neighbours"]
    assert zebra["word"] == "zebra" and zebra["in_vocab"] is False and zebra["items"] == []
    assert queen["in_vocab"] is True and len(queen["items"]) == 10


def test_an_uppercase_word_uses_the_lowercase_entry(capsys, vectors_file, reference_kv):
    report = run_json(capsys, "neighbours", "QUEEN", "--vectors", vectors_file, "--topn", "4")
    [found] = report["neighbours"]
    assert found["word"] == "QUEEN" and found["in_vocab"] is True
    assert [item["word"] for item in found["items"]] == [w for w, _ in reference_kv.most_similar("queen", topn=4)]


def test_a_word2vec_text_file_gives_the_same_answers(capsys, vectors_file, vectors_text_file):
    binary = run_json(capsys, "neighbours", "river", "queen", "--vectors", vectors_file)
    text = run_json(capsys, "neighbours", "river", "queen", "--vectors", vectors_text_file)
    assert text["vectors"]["name"] == "tiny.txt"
    for a, b in zip(binary["neighbours"], text["neighbours"], strict=True):
        assert [i["word"] for i in a["items"]] == [i["word"] for i in b["items"]]
        np.testing.assert_allclose([i["cosine"] for i in a["items"]], [i["cosine"] for i in b["items"]], atol=1e-5)


def test_neighbours_table_names_the_words(capsys, vectors_file, reference_kv):
    code, out, err = run(capsys, "neighbours", "river", "queen", "zebra", "--vectors", vectors_file, "--topn", "3")
    assert code == 0, err
    assert "tiny.bin" in out and "30 words" in out
    for word in ["river", "queen", "zebra", "stream", "lake", "sea"]:
        assert word in out
    for _word, cosine in reference_kv.most_similar("river", topn=3):
        assert f"{cosine:.4f}" in out
    zebra_lines = [line for line in out.splitlines() if "zebra" in line]
    assert zebra_lines and "not in the vocabulary" in zebra_lines[0]
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


# ---------------------------------------------------------------------------------------------
# wordlens attention
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [TINY_SENTENCE, SENTENCE.lower()])
def test_attention_json_equals_an_independent_transformers_run(capsys, tiny_model_dir, text):
    report = run_json(capsys, "attention", text, "--model", tiny_model_dir)
    check_attention_shape(report)
    assert report["model"]["name"] == tiny_model_dir.resolve().name
    assert (report["model"]["layers"], report["model"]["heads"]) == (TINY_LAYERS, TINY_HEADS)
    tokens, attentions = independent_attention(tiny_model_dir, text)
    assert report["tokens"] == tokens
    assert np.array_equal(np.asarray(report["attention"], dtype=np.float32), attentions)


def test_attention_layer_and_head_print_that_matrix(capsys, tiny_model_dir):
    code, out, err = run(capsys, "attention", TINY_SENTENCE, "--model", tiny_model_dir, "--layer", "2", "--head", "3")
    assert code == 0, err
    assert "layer 2" in out and "head 3" in out  # named as given: counted from 1
    tokens, attentions = independent_attention(tiny_model_dir, TINY_SENTENCE)
    matrix = attentions[1, 2]
    rows = {line.split()[0]: line for line in out.splitlines() if line.split() and line.split()[0] in tokens}
    assert set(rows) == set(tokens)
    for index, token in enumerate(tokens):  # every row holds that row's weights, rounded, in order
        shown = [field for field in rows[token].replace("│", " ").split()[1:]]
        assert shown == [f"{value:.2f}" for value in matrix[index]], token


def test_attention_layer_alone_prints_the_mean_of_heads(capsys, tiny_model_dir):
    code, out, err = run(capsys, "attention", TINY_SENTENCE, "--model", tiny_model_dir, "--layer", "1")
    assert code == 0, err
    assert "layer 1" in out and "mean of heads" in out


def test_attention_table_without_layer_summarises_every_layer(capsys, tiny_model_dir):
    code, out, err = run(capsys, "attention", TINY_SENTENCE, "--model", tiny_model_dir)
    assert code == 0, err
    assert tiny_model_dir.resolve().name in out
    for layer in range(1, TINY_LAYERS + 1):
        assert f"L{layer}" in out
    assert "L0" not in out
    for token in ["[CLS]", "queen", "walk", "##s", "[SEP]"]:
        assert token in out


@pytest.mark.parametrize(
    "options, mention",
    [
        (["--layer", str(TINY_LAYERS + 1)], f"--layer {TINY_LAYERS + 1}"),
        (["--layer", "0"], "--layer 0"),
        (["--layer", "1", "--head", str(TINY_HEADS + 1)], f"--head {TINY_HEADS + 1}"),
        (["--layer", "1", "--head", "0"], "--head 0"),
        (["--head", "1"], "--layer"),
    ],
)
def test_out_of_range_layer_or_head_is_one_clear_line(capsys, tiny_model_dir, options, mention):
    code, out, err = run(capsys, "attention", TINY_SENTENCE, "--model", tiny_model_dir, *options)
    assert_one_line_error(code, out, err, mention)


# ---------------------------------------------------------------------------------------------
# Bad inputs: exit code 2, one line on stderr, never a traceback
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def bad_sources(tmp_path) -> dict[str, Path]:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    model_without_config = tmp_path / "not-a-model"
    model_without_config.mkdir()
    (model_without_config / "vocab.txt").write_text("[PAD]\n", encoding="utf-8")
    a_file = tmp_path / "model.txt"
    a_file.write_text("not a model folder\n", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.touch()
    garbage = tmp_path / "garbage.vec"
    garbage.write_bytes(bytes(range(256)) * 4)
    malformed = tmp_path / "malformed.txt"
    malformed.write_text("queen zero one two\nking 0.1 0.2 0.3\n", encoding="utf-8")
    return {
        "missing": tmp_path / "nonexistent" / "vectors.txt",
        "missing model": tmp_path / "nonexistent" / "model",
        "folder": folder,
        "model without config": model_without_config,
        "file": a_file,
        "empty": empty,
        "garbage": garbage,
        "malformed": malformed,
    }


@pytest.mark.parametrize(
    "argv, mention",
    [
        (["neighbours", "queen", "--vectors", "{missing}"], "{missing}"),
        (["neighbours", "queen", "--vectors", "{folder}"], "{folder}"),
        (["neighbours", "queen", "--vectors", "{empty}"], "{empty}"),
        (["neighbours", "queen", "--vectors", "{garbage}"], "{garbage}"),
        (["neighbours", "queen", "--vectors", "{malformed}"], "{malformed}"),
        (["attention", "hello", "--model", "{missing model}"], "{missing model}"),
        (["attention", "hello", "--model", "{file}"], "{file}"),
        (["attention", "hello", "--model", "{model without config}"], "config.json"),
        # the explorer checks its sources before opening
        (["--vectors", "{missing}"], "{missing}"),
        (["--model", "{missing model}"], "{missing model}"),
        (["--vectors", "{folder}", "--text", "queen"], "{folder}"),
    ],
)
def test_a_bad_source_is_one_line_on_stderr_and_exit_2(capsys, bad_sources, argv, mention):
    def fill(text: str) -> str:
        for name, path in bad_sources.items():
            text = text.replace("{" + name + "}", str(path))
        return text

    code, out, err = run(capsys, *map(fill, argv))
    assert_one_line_error(code, out, err, fill(mention))


def test_the_literal_nonexistent_paths(capsys):
    assert_one_line_error(*run(capsys, "neighbours", "queen", "--vectors", "/nonexistent"), "/nonexistent")
    assert_one_line_error(*run(capsys, "attention", "hello", "--model", "/nonexistent"), "/nonexistent")


@pytest.mark.parametrize(
    "argv, option",
    [
        (["neighbours", "queen", "--topn", "0"], "--topn"),
        (["neighbours", "queen", "--topn", "-3"], "--topn"),
        (["neighbours", "queen", "--topn", "many"], "--topn"),
        (["neighbours", "queen", "--restrict-vocab", "-1"], "--restrict-vocab"),
        (["attention", "hello", "--layer", "-1"], "--layer"),
        (["attention", "hello", "--head", "x"], "--head"),
        (["neighbours"], "WORD"),
    ],
)
def test_argparse_rejects_bad_options_with_exit_2(capsys, argv, option):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == "" and "Traceback" not in err
    assert option in err and "error:" in err


def test_help_lists_the_subcommands(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "neighbours" in out and "attention" in out and "--vectors" in out and "--model" in out


# ---------------------------------------------------------------------------------------------
# The installed console script
# ---------------------------------------------------------------------------------------------


def test_the_installed_script_prints_the_same_json(capsys, vectors_file):
    argv = ["neighbours", "river", "zebra", "--vectors", vectors_file, "--topn", "3", "--json"]
    done = run_script(*argv)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == run_json(capsys, *argv[:-1])


def test_the_installed_script_reports_a_bad_source_in_one_line(tmp_path):
    done = run_script("neighbours", "queen", "--vectors", "/nonexistent")
    assert_one_line_error(done.returncode, done.stdout, done.stderr, "/nonexistent")


def test_main_is_the_console_entry_point():
    from importlib.metadata import entry_points

    [script] = [ep for ep in entry_points(group="console_scripts") if ep.name == "wordlens"]
    assert script.value == "wordlens.tui.cli.main:entry"
    assert script.load() is cli.entry


# ---------------------------------------------------------------------------------------------
# The bundled models
# ---------------------------------------------------------------------------------------------


@pytest.mark.real_models
def test_real_neighbours_of_queen_equal_gensim(capsys, reference_glove):
    report = run_json(capsys, "neighbours", "queen")
    check_neighbours_shape(report)
    vectors = report["vectors"]
    assert (vectors["name"], vectors["size"], vectors["dim"]) == ("GloVe 6B 50d", 400_000, 50)
    assert vectors["restrict_vocab"] == DEFAULT_RESTRICT_VOCAB
    [queen] = report["neighbours"]
    assert queen["in_vocab"] is True
    expected = reference_glove.most_similar("queen", topn=10, restrict_vocab=vectors["restrict_vocab"])
    assert [item["word"] for item in queen["items"]] == [word for word, _ in expected]
    np.testing.assert_allclose([i["cosine"] for i in queen["items"]], [c for _, c in expected], rtol=0, atol=1e-6)
    assert "princess" in [item["word"] for item in queen["items"]]


@pytest.mark.real_models
def test_real_attention_equals_the_bundled_model(capsys):
    from wordlens.core.sources import bundled_model_folder

    report = run_json(capsys, "attention", SENTENCE)
    check_attention_shape(report)
    assert report["model"] == {**report["model"], "name": "all-MiniLM-L6-v2", "layers": 6, "heads": 12}
    tokens, attentions = independent_attention(bundled_model_folder(), SENTENCE)
    assert report["tokens"] == tokens
    assert report["tokens"][:3] == ["[CLS]", "france", "is"] and report["tokens"][-1] == "[SEP]"
    assert np.array_equal(np.asarray(report["attention"], dtype=np.float32), attentions)
