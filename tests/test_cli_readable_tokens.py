"""A byte-level decoder's tokens (the tiny random Llama) as readable text in every JSON that lists
tokens: `tokens` stay exactly as the tokenizer gives them (`Ġcapital`), and the added `token_labels`
/ `text` fields read as text (`␣capital`): attention (with --words too), mechanism, map, the export."""

from __future__ import annotations

import pytest

from wordlens.core.engine import Engine
from wordlens.core.measures.attention_views import ViewSpec
from wordlens.core.reports.export import export_view

from cli_support import never_open_the_explorer, run_json  # noqa: F401 (the fixture applies by import)

TEXT = "the capital of france is paris"


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))


def assert_readable(tokens: list[str], labels: list[str]) -> None:
    assert len(tokens) == len(labels)
    assert any(token.startswith("Ġ") for token in tokens)  # the tokenizer's own spelling is kept
    assert not any("Ġ" in label for label in labels)
    assert "␣capital" in labels and tokens[labels.index("␣capital")] == "Ġcapital"


@pytest.mark.parametrize("options", [(), ("--words",)])
def test_attention_json_gives_readable_labels_beside_the_raw_tokens(capsys, tiny_llama_dir, options):
    report = run_json(capsys, "attention", TEXT, "--model", tiny_llama_dir, *options)
    assert_readable(report["tokens"], report["token_labels"])
    assert not any("Ġ" in label for label in report["view_labels"])
    if options:
        assert "capital" in report["view_labels"]  # words, as the sentence writes them


def test_mechanism_json_gives_readable_labels(capsys, tiny_llama_dir, vectors_file):
    report = run_json(capsys, "mechanism", TEXT, "--model", tiny_llama_dir, "--vectors", vectors_file,
                      "--layer", "1", "--head", "1", "--from", "3", "--to", "1")
    assert_readable(report["tokens"], report["token_labels"])


def test_map_json_gives_each_tokens_text(capsys, tiny_llama_dir, vectors_file):
    report = run_json(capsys, "map", TEXT, "--model", tiny_llama_dir, "--vectors", vectors_file)
    points = report["model_space"]
    assert points
    assert_readable([point["token"] for point in points], [point["text"] for point in points])
    for path in report["paths"]:
        assert "Ġ" not in path["text"]


def test_the_export_gives_readable_labels(tiny_vectors, tiny_llama):
    analysis = Engine.from_loaded(tiny_vectors, tiny_llama).analyze(TEXT)
    focus = analysis.context.labels.index("␣capital")
    exported = export_view(analysis, ViewSpec(), focus=focus)
    assert_readable(exported.report["tokens"], exported.report["token_labels"])
    assert exported.report["focus"] == {"token": focus, "text": "Ġcapital", "label": "␣capital"}
