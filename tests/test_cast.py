"""`wordlens play TAPE --cast OUT.cast`: an asciicast v2 recording of the replay, read back through a terminal
emulator (pyte) to the screen the tape's last screenshot shows."""

from __future__ import annotations

import html
import json
import re

import pyte

from wordlens.core.tape import parse_tape
from wordlens.tui.app import WordLensApp
from wordlens.tui.demo.play import play

TAPE = ("size 90x26\ndelay 0ms\ntype france is a country, it is in europe\ncaption it and france, recorded\n"
        "press tab up*3\nscreenshot last\n")


def read_cast(path):
    header, *events = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    return header, events


def final_screen(header, events) -> list[str]:
    screen = pyte.Screen(header["width"], header["height"])
    stream = pyte.Stream(screen)
    for _, kind, data in events:
        if kind == "o":
            stream.feed(data)
        elif kind == "r":
            columns, rows = (int(n) for n in data.split("x"))
            screen.resize(rows, columns)
    return screen.display


def svg_lines(path) -> str:
    """The screen's characters in a Textual SVG screenshot (its text clipped to screen lines, not the title)."""
    svg = path.read_text(encoding="utf-8")
    pieces = re.findall(r'clip-path="url\(#[^)]*-line-\d+\)">(.*?)</text>', svg, re.S)
    return html.unescape("".join(pieces)).replace("\xa0", " ")


def test_the_cast_replays_to_the_last_screenshot(tmp_path, tiny_engine):
    cast = tmp_path / "demo.cast"
    player = play(WordLensApp(tiny_engine), parse_tape(TAPE, "demo.tape"), screenshots=tmp_path, speed=1, cast=cast)
    assert player.error is None, player.error
    header, events = read_cast(cast)
    assert header["version"] == 2 and (header["width"], header["height"]) == (90, 26)
    assert isinstance(header["timestamp"], int)
    times = [event[0] for event in events]
    assert times == sorted(times) and all(event[1] in ("o", "r") for event in events)
    assert len([event for event in events if event[1] == "o"]) > 3  # frames, not one dump
    shown = final_screen(header, events)
    assert any("it and france, recorded" in line for line in shown)
    # the same characters as the screenshot, line by line (the SVG drops the trailing blanks)
    assert "".join("".join(shown).split()) == "".join(svg_lines(tmp_path / "last.svg").split())


def test_the_cli_writes_the_cast(tmp_path, capsys, tiny_model_dir, vectors_file):
    from wordlens.tui.cli.main import main

    tape = tmp_path / "demo.tape"
    tape.write_text("size 80x24\ndelay 0ms\ntype it\ncaption hello\nwait\n", encoding="utf-8")
    cast = tmp_path / "out" / "demo.cast"
    code = main(["play", str(tape), "--cast", str(cast), "--model", str(tiny_model_dir),
                 "--vectors", str(vectors_file)])
    assert code == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip() == str(cast)
    header, events = read_cast(cast)
    assert header["width"] == 80 and any("hello" in line for line in final_screen(header, events))
