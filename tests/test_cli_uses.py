"""`wordlens index` and `wordlens uses` on the tiny BERT and a tiny corpus: the issue's JSON shape,
the answers of the core index, and one-line errors for bad paths and options."""

from __future__ import annotations

import pytest
from test_uses_index import TINY_CORPUS

from wordlens.core.transformer.context_model import load_context_model
from wordlens.core.uses.corpus import corpus_of_files
from wordlens.core.uses.uses_index import cached_index, uses_of_word

from cli_support import assert_one_line_error, never_open_the_explorer, run, run_json  # noqa: F401 (the fixture applies by import)
from conftest import TINY_LAYERS


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def corpus_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text(TINY_CORPUS, encoding="utf-8")
    return path


def test_index_then_uses_json_has_the_issues_shape(capsys, tiny_model_dir, tiny_model, corpus_file):
    built = run_json(capsys, "index", corpus_file, "--model", tiny_model_dir, "--layers", "1,2")
    assert built["layers"] == [1, 2] and built["engine"] == "local" and built["sentences"] == 8
    report = run_json(capsys, "uses", "Money in the bank", "--word", "bank", "--corpus", corpus_file,
                      "--model", tiny_model_dir, "--top", "3", "--layer", "1")
    assert set(report) >= {"word", "layer", "model", "corpus", "uses"}
    assert report["word"] == "bank" and report["layer"] == 1 and report["corpus"] == "notes.txt"
    assert len(report["uses"]) == 3
    for use in report["uses"]:
        assert set(use) >= {"sentence", "token", "start", "end", "cosine", "source"}
        assert use["sentence"][use["start"]:use["end"]].lower() == use["token"].removeprefix("##")
        assert use["source"].startswith("notes.txt:")
    # the same answer as the core index the command built
    index = cached_index(tiny_model, corpus_of_files([corpus_file]))
    _, _, uses = uses_of_word(tiny_model, index, "Money in the bank", "bank", 1, 3)
    assert [(u["sentence"], u["start"]) for u in report["uses"]] == [(u.sentence, u.start) for u in uses]
    assert [u["cosine"] for u in report["uses"]] == pytest.approx([u.cosine for u in uses], abs=1e-6)


def test_uses_builds_the_index_on_first_use_and_the_table_shows_the_sentences(capsys, tiny_model_dir, corpus_file):
    code, out, err = run(capsys, "uses", "The river bank", "--word", "bank", "--corpus", corpus_file,
                         "--model", tiny_model_dir)
    assert code == 0, err
    assert f"at layer {TINY_LAYERS}" in out and "cosine" in out and "notes.txt:" in out


def test_corpus_text_is_never_markup(capsys, tiny_model_dir, tmp_path):
    path = tmp_path / "marked.txt"
    path.write_text("The [bold]bank[/bold] is by the river.\nThe dog is in the [red]cafe.\n", encoding="utf-8")
    code, out, err = run(capsys, "uses", "the bank", "--word", "bank", "--corpus", path, "--model", tiny_model_dir)
    assert code == 0, err
    assert "[bold]" in out and "[red]" in out


@pytest.mark.parametrize("argv, mention", [
    (["index", "missing.txt"], "missing.txt: no such file"),
    (["uses", "the bank", "--word", "bank", "--corpus", "missing.txt"], "no such file"),
    (["uses", "the bank", "--word", "river"], "'river' is not a word of the text"),
    (["uses", "the bank", "--word", "bank", "--layer", "9"], "--layer 9 is out of range"),
    (["index", "--layers", "7"], "layer 7 is out of range"),
    (["uses", "the bank", "--word", "bank", "--top", "0"], "--top must be at least 1"),
])
def test_bad_input_is_one_line_error(capsys, tiny_model_dir, corpus_file, argv, mention):
    argv = [str(corpus_file) if part == "CORPUS" else part for part in argv]
    if "--corpus" not in argv and argv[0] == "uses":
        argv += ["--corpus", str(corpus_file)]
    if argv[0] == "index" and "missing.txt" not in argv:
        argv.insert(1, str(corpus_file))
    code, out, err = run(capsys, *argv, "--model", tiny_model_dir)
    assert_one_line_error(code, out, err, mention)


def test_layers_must_be_numbers(capsys, corpus_file):
    code, out, err = run(capsys, "index", corpus_file, "--layers", "last")
    assert code == 2 and "expected layer numbers" in err


def test_the_tiny_model_is_what_was_loaded(tiny_model_dir):
    assert load_context_model(tiny_model_dir, device="cpu").info.layers == TINY_LAYERS


def test_explorer_corpus_is_what_u_searches(capsys, monkeypatch, tiny_model_dir, corpus_file):
    from wordlens.tui.app import WordLensApp

    opened = []
    monkeypatch.setattr(WordLensApp, "run", lambda self, *args, **kwargs: opened.append(self.uses_corpus))
    code, out, err = run(capsys, "--corpus", corpus_file, "--model", tiny_model_dir)
    assert code == 0, err
    assert [corpus.name for corpus in opened] == ["notes.txt"]
    assert opened[0].identity == corpus_of_files([corpus_file]).identity


@pytest.mark.parametrize("argv, mention", [
    (["--corpus", "missing.txt"], "no such file"),
    (["--corpus", "CORPUS", "--device", "cpu", "neighbours", "bank"], "`neighbours` does not take it there"),
])
def test_explorer_corpus_errors_before_the_explorer(capsys, tiny_model_dir, corpus_file, argv, mention):
    argv = [str(corpus_file) if part == "CORPUS" else part for part in argv]
    code, out, err = run(capsys, *argv, "--model", tiny_model_dir)
    assert_one_line_error(code, out, err, mention)
