"""Shared by the CLI tests: run `main` in-process, and check the one-line error contract."""

from __future__ import annotations

import json

import pytest

from wordlens.tui.cli.main import main


@pytest.fixture(autouse=True)
def never_open_the_explorer(monkeypatch):
    """A test that reaches the TUI by mistake fails instead of taking over the terminal."""
    from wordlens.tui.app import WordLensApp

    def refuse(self, *args, **kwargs):
        raise AssertionError("the explorer was opened")

    monkeypatch.setattr(WordLensApp, "run", refuse)


def run(capsys, *argv) -> tuple[int, str, str]:
    """main(argv) in-process: (exit code, stdout, stderr); argparse's SystemExit becomes its code."""
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exit:
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv) -> dict:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def assert_one_line_error(code: int, out: str, err: str, *mentions: str) -> None:
    """Exit status 2, nothing on stdout, one 'wordlens: error:' line naming each mention."""
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("wordlens: error: ")
    for mention in mentions:
        assert mention in lines[0], lines[0]
