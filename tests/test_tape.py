"""Tapes: the parser (pure) names the bad line; a replay drives the real app headless."""

from __future__ import annotations

import html
import re

import pytest

from wordlens.core.tape import (
    DEFAULT_DELAY,
    Caption,
    Delay,
    Press,
    Quit,
    Screenshot,
    Size,
    Sleep,
    TapeError,
    Type,
    Wait,
    parse_tape,
    read_tape,
)
from wordlens.tui.app import WordLensApp
from wordlens.tui.demo.play import check_keys, is_key_name, play

from cli_support import assert_one_line_error, run


def svg_text(path) -> str:
    """The text an SVG screenshot shows, its pieces joined, non-breaking spaces made plain."""
    svg = html.unescape(path.read_text(encoding="utf-8")).replace("\xa0", " ")
    return "".join(re.findall(r">([^<>]*)</text>", svg))


def test_every_command_parses_with_its_line_number():
    tape = parse_tape(
        "# a demo\n"
        "size 100x30\n"
        "\n"
        "delay 20ms\n"
        "type France is a country, it is in Europe\n"
        'type "  two spaces #not a comment"\n'
        "press tab down*3 b ctrl+s\n"
        "wait\n"
        "sleep 1.5s\n"
        "screenshot it-france.svg\n"
        "quit\n",
        "demo.tape",
    )
    assert tape.steps == (
        Size(2, 100, 30),
        Delay(4, 0.02),
        Type(5, "France is a country, it is in Europe"),
        Type(6, "  two spaces #not a comment"),
        Press(7, ("tab", "down", "down", "down", "b", "ctrl+s")),
        Wait(8),
        Sleep(9, 1.5),
        Screenshot(10, "it-france"),
        Quit(11),
    )
    assert tape.size == (100, 30)
    assert DEFAULT_DELAY > 0


@pytest.mark.parametrize(
    "line, message",
    [
        ("foo bar", "demo.tape:3: unknown command 'foo'"),
        ("size big", "demo.tape:3: size: expected COLUMNSxROWS"),
        ("size 5x5", "demo.tape:3: size: 5x5 is out of range"),
        ("sleep 3 minutes", "demo.tape:3: sleep: expected a duration"),
        ("type", "demo.tape:3: type: nothing to type"),
        ('type "unclosed', "demo.tape:3: type: not a valid quoted string"),
        ("press", "demo.tape:3: press: no key given"),
        ("press down*0", "demo.tape:3: press: 'down*0': the repeat count"),
        ("press shift tab", None),  # two plain keys: valid syntax
        ("screenshot ../escape", "demo.tape:3: screenshot: expected a file name"),
        ("wait 2s", "demo.tape:3: wait: takes no argument"),
    ],
)
def test_a_bad_line_is_named_by_file_and_line(line, message):
    source = "size 80x24\n# comment\n" + line + "\n"
    if message is None:
        parse_tape(source, "demo.tape")
        return
    with pytest.raises(TapeError) as raised:
        parse_tape(source, "demo.tape")
    assert str(raised.value).startswith(message)


def test_unknown_key_names_are_caught_before_replaying():
    assert all(is_key_name(key) for key in ["tab", "b", "B", "comma", "full_stop", "ctrl+s", "shift+tab", "f1", "?"])
    assert not any(is_key_name(key) for key in ["tabb", "ctrl+nothing", "hyper+"])
    with pytest.raises(TapeError, match=r"^t:2: unknown key 'tabb'"):
        check_keys(parse_tape("type hi\npress tabb\n", "t"))


def test_reading_a_missing_tape_is_a_tape_error(tmp_path):
    with pytest.raises(TapeError, match="no such tape"):
        read_tape(tmp_path / "missing.tape")


def test_the_cli_names_the_bad_line_in_one_line(tmp_path, capsys):
    tape = tmp_path / "tape.txt"
    tape.write_text("size 80x24\n" * 6 + "foo\n", encoding="utf-8")
    code, out, err = run(capsys, "play", tape, "--screenshots", tmp_path / "shots")
    assert_one_line_error(code, out, err, f"{tape}:7: unknown command 'foo'")


def test_the_cli_refuses_a_missing_tape_in_one_line(tmp_path, capsys):
    code, out, err = run(capsys, "play", tmp_path / "nope.tape")
    assert_one_line_error(code, out, err, "no such tape", "nope.tape")


def test_a_headless_replay_types_presses_and_saves_screenshots_of_the_analysis(tmp_path, tiny_engine):
    tape = parse_tape(
        "size 100x30\n"
        "delay 0ms\n"
        "type france is a country, it is in europe\n"
        "screenshot typed\n"
        "press tab up*3\n"
        "screenshot it\n",
        "demo.tape",
    )
    app = WordLensApp(tiny_engine)
    player = play(app, tape, screenshots=tmp_path / "shots")
    assert player.error is None
    assert [path.name for path in player.saved] == ["typed.svg", "it.svg"]
    typed = svg_text(tmp_path / "shots" / "typed.svg")
    it = svg_text(tmp_path / "shots" / "it.svg")
    # both models' answers are on screen: the token strip and the comparison pane
    assert "[SEP]" in typed
    assert "static nearest" in typed
    assert app.view.analysis.text == "france is a country, it is in europe"
    assert app.view.analysis.context.tokens[app.view.focus] == "it"
    assert "▶it" in it


def test_a_replay_error_stops_the_app_and_names_the_line(tmp_path, tiny_engine):
    shots = tmp_path / "shots"
    shots.mkdir()
    (shots / "taken.svg").mkdir()  # a folder where the screenshot file should go
    tape = parse_tape("type it\nscreenshot taken\n", "demo.tape")
    player = play(WordLensApp(tiny_engine), tape, screenshots=shots)
    assert player.error is not None
    assert str(player.error).startswith("demo.tape:2: cannot write")


def test_a_screenshot_waits_for_the_uses_index_and_its_answer(tmp_path, tiny_engine, monkeypatch):
    """`u` builds the corpus's index (here from an empty cache); the screenshot shows its uses."""
    from test_uses_index import TINY_CORPUS

    from wordlens.core.uses.corpus import corpus_of_files

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    corpus_path = tmp_path / "tiny.txt"
    corpus_path.write_text(TINY_CORPUS, encoding="utf-8")
    tape = parse_tape("size 120x36\ndelay 0ms\ntype money in the bank\npress escape\npress u\nscreenshot uses\n",
                      "u.tape")
    app = WordLensApp(tiny_engine, uses_corpus=corpus_of_files([corpus_path]))
    player = play(app, tape, screenshots=tmp_path / "shots")
    assert player.error is None
    answer = app.uses.answer
    assert answer is not None and answer.question.focus == app.view.focus and answer.uses
    shot = svg_text(tmp_path / "shots" / "uses.svg")
    assert "nearest uses of" in shot and f"{answer.uses[0].cosine:4.2f}" in shot


def test_caption_and_model_parse():
    tape = parse_tape('model smollm2\nsize 80x24\ncaption One vector per word\ntype it\ncaption "two\\nlines"\n'
                      "caption\n", "demo.tape")
    assert tape.model == "smollm2" and tape.size == (80, 24)
    assert [step.text for step in tape.steps if isinstance(step, Caption)] == ["One vector per word", "two\nlines", ""]
    assert parse_tape("type it\n").model is None


@pytest.mark.parametrize("source, message", [
    ("type it\nmodel smollm2\n", "demo.tape:2: model: must come before the first type or press"),
    ("model a\nmodel b\n", "demo.tape: a tape is made for one model"),
    ("model\n", "demo.tape:1: model: expected one model name"),
    ('caption "a\\tb"\n', "demo.tape:1: caption: a caption holds no control characters"),
])
def test_a_bad_caption_or_model_line_is_named(source, message):
    with pytest.raises(TapeError) as raised:
        parse_tape(source, "demo.tape")
    assert str(raised.value).startswith(message)


def test_a_caption_stays_over_every_screen_until_the_next(tmp_path, tiny_engine):
    tape = parse_tape(
        "size 100x30\ndelay 0ms\ntype france is a country\ncaption the first caption\nscreenshot first\n"
        "press tab question_mark\nscreenshot over-help\npress escape\ncaption\nscreenshot none\n",
        "demo.tape",
    )
    player = play(WordLensApp(tiny_engine), tape, screenshots=tmp_path)
    assert player.error is None, player.error
    assert "the first caption" in svg_text(tmp_path / "first.svg")
    over_help = svg_text(tmp_path / "over-help.svg")
    assert "the first caption" in over_help and "wordlens keys" in over_help
    assert "the first caption" not in svg_text(tmp_path / "none.svg")
