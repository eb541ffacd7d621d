"""`wordlens map`: the issue's JSON shape, the layer option and its errors, on the tiny models."""

from __future__ import annotations

import pytest

from cli_support import assert_one_line_error, never_open_the_explorer, run, run_json  # noqa: F401 (the fixture applies by import)
from conftest import TINY_LAYERS

TEXT = "the river bank in the bank"


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))


def test_map_json_has_the_issues_shape(capsys, vectors_file, tiny_model_dir):
    report = run_json(capsys, "map", TEXT, "--vectors", vectors_file, "--model", tiny_model_dir)
    assert report["method"] == "pca" and report["layer"] == TINY_LAYERS
    words = {point["word"]: point for point in report["static"]}
    assert words["bank"]["in_sentence"] and words["river"]["in_sentence"]
    assert any(not point["in_sentence"] for point in report["static"])  # the neighbours are drawn too
    layers = {item["layer"] for item in report["model_space"]}
    assert layers == set(range(TINY_LAYERS + 1))
    banks = {item["token_index"] for item in report["model_space"] if item["token"] == "bank"}
    assert len(banks) == 2
    # 30 hand-made words are too few to fit the map into the static space: no paths, and why
    assert report["paths"] == [] and "too few" in report["paths_unavailable"]


def test_a_words_static_point_is_the_same_in_two_sentences_through_the_cli(capsys, vectors_file, tiny_model_dir):
    first = run_json(capsys, "--vectors", vectors_file, "map", TEXT, "--model", tiny_model_dir)
    second = run_json(capsys, "map", "money in the bank", "--vectors", vectors_file, "--model", tiny_model_dir)
    bank = [next(p for p in report["static"] if p["word"] == "bank") for report in (first, second)]
    assert (bank[0]["x"], bank[0]["y"]) == (bank[1]["x"], bank[1]["y"])


def test_layer_out_of_range_is_one_line_error(capsys, vectors_file, tiny_model_dir):
    code, out, err = run(capsys, "map", TEXT, "--layer", TINY_LAYERS + 1, "--vectors", vectors_file,
                         "--model", tiny_model_dir)
    assert_one_line_error(code, out, err, "--layer", f"0-{TINY_LAYERS}")


def test_the_table_names_the_method_and_the_tokens(capsys, vectors_file, tiny_model_dir):
    code, out, err = run(capsys, "map", TEXT, "--layer", "1", "--vectors", vectors_file, "--model", tiny_model_dir)
    assert code == 0, err
    assert "static map (pca" in out and "model space after layer 1" in out and "bank" in out


def test_map_json_has_the_queries_and_keys_of_a_layer_and_head(capsys, vectors_file, tiny_model_dir):
    report = run_json(capsys, "map", TEXT, "--layer", "1", "--head", "2", "--vectors", vectors_file,
                      "--model", tiny_model_dir)
    found = report["queries_keys"]
    assert found["layer"] == 1 and found["head"] == 1
    tokens = {point["token_index"] for point in found["points"]}
    assert [point["kind"] for point in found["points"]].count("query") == len(tokens)
    attention = run_json(capsys, "attention", TEXT, "--model", tiny_model_dir, "--vectors", vectors_file)
    row_of = attention["attention"][0][1]  # layer 1 of the map is the first attention layer
    assert found["lines"] and all(line["weight"] == pytest.approx(row_of[line["from"]][line["to"]], abs=1e-6)
                                  for line in found["lines"])


def test_head_out_of_range_is_one_line_error(capsys, vectors_file, tiny_model_dir):
    code, out, err = run(capsys, "map", TEXT, "--head", "99", "--vectors", vectors_file, "--model", tiny_model_dir)
    assert_one_line_error(code, out, err, "--head", "heads 1–")
