"""`wordlens mechanism`, `--ablate` and `wordlens verify` on the tiny models."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cli_support import assert_one_line_error, never_open_the_explorer, run, run_json  # noqa: F401
from conftest import TINY_LAYERS

TEXT = "France is a country, it is in Europe"


def mechanism(capsys, tiny_model_dir, vectors_file, *options):
    return run_json(capsys, "mechanism", TEXT, "--model", tiny_model_dir, "--vectors", vectors_file, *options)


def test_mechanism_json_has_the_issue_fields_and_they_add_up(capsys, tiny_model_dir, vectors_file):
    report = mechanism(capsys, tiny_model_dir, vectors_file, "--layer", "2", "--head", "3", "--from", "it",
                       "--to", "1")
    for field in ("layer", "head", "from", "to", "tokens", "query", "key", "products", "scale", "logit",
                  "row_logits", "row_weights"):
        assert field in report
    assert (report["layer"], report["head"], report["to"]) == (1, 2, 1)
    assert report["tokens"][report["from"]] == "it"
    assert report["products"] == pytest.approx([q * k for q, k in zip(report["query"], report["key"], strict=True)])
    assert report["logit"] == pytest.approx(sum(report["products"]) * report["scale"], abs=1e-5)
    logits = np.array(report["row_logits"])
    softmax = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    assert report["row_weights"] == pytest.approx(softmax.tolist(), abs=1e-6)
    attention = run_json(capsys, "attention", TEXT, "--model", tiny_model_dir)["attention"]
    assert report["row_weights"] == pytest.approx(attention[1][2][report["from"]], abs=1e-5)
    assert report["layer_input"] == "the hidden state after layer 1"  # layer 2 reads what layer 1 made
    assert report["static"]["from_word"] == "it" and report["static"]["to_word"] == "France"
    assert report["heads_off"] == []


def test_options_go_before_or_after_the_subcommand(capsys, tiny_model_dir, vectors_file):
    after = mechanism(capsys, tiny_model_dir, vectors_file, "--layer", "1", "--head", "1", "--from", "1",
                      "--to", "2", "--ablate", "1:2")
    before = run_json(capsys, "--model", tiny_model_dir, "--vectors", vectors_file, "--ablate", "1:2",
                      "mechanism", TEXT, "--layer", "1", "--head", "1", "--from", "1", "--to", "2")
    assert after == before and after["heads_off"] == [[0, 1]]


def test_ablate_changes_the_attention_after_the_head_and_not_before(capsys, tiny_model_dir):
    intact = run_json(capsys, "attention", TEXT, "--model", tiny_model_dir)
    ablated = run_json(capsys, "attention", TEXT, "--model", tiny_model_dir, "--ablate", "1:2,1:3")
    assert ablated["heads_off"] == [[0, 1], [0, 2]]
    assert ablated["attention"][0] == intact["attention"][0]
    assert not np.allclose(ablated["attention"][1], intact["attention"][1])


def test_compare_with_heads_off_shows_the_intact_cosines_beside(capsys, tiny_model_dir, vectors_file):
    options = ("compare", "the river bank", "the money bank", "--word", "bank", "--model", tiny_model_dir,
               "--vectors", vectors_file)
    intact = run_json(capsys, *options)
    ablated = run_json(capsys, *options, "--ablate", "1:1,1:2,1:3,1:4")
    assert ablated["intact_layers"] == pytest.approx(intact["layers"])
    assert ablated["layers"][:1] == pytest.approx(intact["layers"][:1])  # the embeddings come before any head
    assert ablated["layers"][1] != pytest.approx(intact["layers"][1])


@pytest.mark.parametrize("options, mentions", [
    (["--layer", str(TINY_LAYERS + 1), "--head", "1", "--from", "0", "--to", "1"], [f"--layer {TINY_LAYERS + 1}"]),
    (["--layer", "1", "--head", "1", "--from", "99", "--to", "1"], ["--from 99", "out of range"]),
    (["--layer", "1", "--head", "1", "--from", "0", "--to", "paris"], ["--to paris", "no such token"]),
    (["--layer", "1", "--head", "1", "--from", "0", "--to", "1", "--ablate", "1:10"], ["head 1:10"]),
    (["--layer", "1", "--head", "1", "--from", "0", "--to", "1", "--ablate", "zero"], ["LAYER:HEAD"]),
])
def test_bad_mechanism_options_are_one_line(capsys, tiny_model_dir, vectors_file, options, mentions):
    code, out, err = run(capsys, "mechanism", TEXT, "--model", tiny_model_dir, "--vectors", vectors_file, *options)
    assert_one_line_error(code, out, err, *mentions)


def test_ablate_on_a_command_without_heads_is_refused(capsys, vectors_file):
    code, out, err = run(capsys, "--ablate", "1:1", "neighbours", "queen", "--vectors", vectors_file)
    assert_one_line_error(code, out, err, "--ablate", "neighbours")


def test_a_transformers_runtime_says_mechanism_and_ablate_are_not_available(capsys, tiny_model_dir, vectors_file):
    code, out, err = run(capsys, "mechanism", TEXT, "--model", tiny_model_dir, "--vectors", vectors_file,
                         "--runtime", "transformers", "--layer", "1", "--head", "1", "--from", "0", "--to", "1")
    assert_one_line_error(code, out, err, "not available for this model")
    code, out, err = run(capsys, "attention", TEXT, "--model", tiny_model_dir, "--runtime", "transformers",
                         "--ablate", "1:1")
    assert_one_line_error(code, out, err, "not available for this model")


def test_the_mechanism_table_names_the_logit_and_the_static_side(capsys, tiny_model_dir, vectors_file):
    code, out, err = run(capsys, "mechanism", TEXT, "--model", tiny_model_dir, "--vectors", vectors_file,
                         "--layer", "1", "--head", "2", "--from", "it", "--to", "france")
    assert code == 0, err
    assert "layer 1's input: the embeddings" in out
    assert "= logit" in out and "GloVe cosine" in out and "▶ france" in out


# ---------------------------------------------------------------------------------------------
# verify
# ---------------------------------------------------------------------------------------------


def test_verify_agrees_on_the_tiny_bert(capsys, tiny_model_dir):
    code, out, err = run(capsys, "verify", "--model", tiny_model_dir, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["passed"] and report["own_runtime"] == "BertNetwork"
    assert [row["layer"] for row in report["layers"]] == ["embeddings", *range(TINY_LAYERS)]
    assert report["largest"] <= report["tolerance"] == 1e-4


class PerturbedNetwork:
    """Another runtime's forward pass, off by `error` in the last hidden state."""

    def __init__(self, network, error: float) -> None:
        self.network, self.error = network, error
        self.name, self.device, self.max_positions = network.name, network.device, network.max_positions

    def input_embeddings(self):
        return self.network.input_embeddings()

    def __call__(self, *inputs, **options):
        attentions, hidden = self.network(*inputs, **options)
        return attentions, [*hidden[:-1], hidden[-1] + self.error]


@pytest.mark.parametrize("error, passed", [(3e-4, False), (3e-5, True)])
def test_verify_fails_on_a_perturbed_runtime(tiny_model, tiny_model_through_transformers, error, passed):
    from wordlens.core.transformer.context_model import ContextModel
    from wordlens.core.transformer.verify import verify_runtime

    perturbed = ContextModel(tiny_model.tokenizer, PerturbedNetwork(tiny_model.network, error), "perturbed", "test")
    verification = verify_runtime(perturbed, tiny_model_through_transformers)
    assert verification.passed is passed
    assert verification.layers[-1].hidden_state == pytest.approx(error, rel=0.05)
    assert all(row.hidden_state < 1e-5 for row in verification.layers[:-1])


@pytest.mark.real_models
def test_verify_agrees_on_the_bundled_model(capsys):
    code, out, err = run(capsys, "verify")
    assert code == 0, err
    assert "the runtimes agree" in out
