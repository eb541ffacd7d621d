"""Tapes: small scripts that drive the explorer for demos and screenshots (`wordlens play`).

One command per line; blank lines and lines starting with `#` are ignored.

    size 120x36          terminal size, columns x rows
    delay 40ms           pause after each character that `type` types (default 40ms)
    type France is ...   type the rest of the line; "a JSON string" keeps edge spaces
    press tab down*3 b   press keys (Textual key names); KEY*N presses it N times
    wait                 until the app shows the analysis of the current text
    sleep 1.5s           pause for the viewer (durations: 250ms, 1.5s, 2s)
    screenshot NAME      waits like `wait`, then saves NAME.svg (with --screenshots)
    caption TEXT         a caption over the screen until the next one ("a JSON string" too; none: no caption)
    model NAME           the transformer the tape is made for (as --model takes it), before the first key
    quit                 leave the app (a headless replay always does at the end)

Parsing is pure: a bad line raises TapeError naming the file and line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from wordlens.core.errors import WordlensError

DEFAULT_DELAY = 0.04
MAX_REPEAT = 200


class TapeError(WordlensError):
    """A tape that cannot be read or replayed; the message names the file and line."""


@dataclass(frozen=True)
class Step:
    line: int  # 1-based line in the tape


@dataclass(frozen=True)
class Size(Step):
    columns: int
    rows: int


@dataclass(frozen=True)
class Delay(Step):
    seconds: float


@dataclass(frozen=True)
class Type(Step):
    text: str


@dataclass(frozen=True)
class Press(Step):
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Wait(Step):
    pass


@dataclass(frozen=True)
class Sleep(Step):
    seconds: float


@dataclass(frozen=True)
class Screenshot(Step):
    name: str


@dataclass(frozen=True)
class Caption(Step):
    text: str  # "" takes the caption away


@dataclass(frozen=True)
class Model(Step):
    source: str


@dataclass(frozen=True)
class Quit(Step):
    pass


@dataclass(frozen=True)
class Tape:
    name: str  # how errors refer to the tape, e.g. its path
    steps: tuple[Step, ...]

    def where(self, step: Step) -> str:
        return f"{self.name}:{step.line}"

    @property
    def size(self) -> tuple[int, int] | None:
        """The size the tape asks for before its first key, if any."""
        for step in self.steps:
            if isinstance(step, Size):
                return step.columns, step.rows
            if isinstance(step, (Type, Press)):
                return None
        return None

    @property
    def model(self) -> str | None:
        """The transformer the tape says it is made for (`model NAME`), None: the bundled one."""
        return next((step.source for step in self.steps if isinstance(step, Model)), None)


_KEY = re.compile(r"^(?:[a-z0-9_]+(?:\+[a-z0-9_]+)*|[^\s])$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)$")
_SIZE = re.compile(r"^(\d+)x(\d+)$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def read_tape(path: str | Path) -> Tape:
    """Read and parse a tape file; a missing or unreadable file is a TapeError too."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TapeError(f"no such tape: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise TapeError(f"cannot read tape {path}: {error}") from None
    return parse_tape(source, str(path))


def parse_tape(source: str, name: str = "<tape>") -> Tape:
    steps: list[Step] = []
    for number, raw in enumerate(source.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        command, _, argument = line.partition(" ")
        argument = argument.strip()
        parse = _COMMANDS.get(command.lower())
        if parse is None:
            raise TapeError(f"{name}:{number}: unknown command {command!r} (known: {', '.join(_COMMANDS)})")
        try:
            steps.append(parse(number, argument))
        except ValueError as error:
            raise TapeError(f"{name}:{number}: {command}: {error}") from None
    tape = Tape(name, tuple(steps))
    _check_order(tape)
    return tape


def _size(line: int, argument: str) -> Size:
    match = _SIZE.match(argument)
    if not match:
        raise ValueError(f"expected COLUMNSxROWS such as 120x36, got {argument!r}")
    columns, rows = int(match[1]), int(match[2])
    if not (20 <= columns <= 1000 and 5 <= rows <= 500):
        raise ValueError(f"{columns}x{rows} is out of range (20-1000 columns, 5-500 rows)")
    return Size(line, columns, rows)


def parse_duration(text: str) -> float:
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"expected a duration such as 40ms or 1.5s, got {text!r}")
    value = float(match[1])
    return value / 1000 if match[2] == "ms" else value


def _delay(line: int, argument: str) -> Delay:
    return Delay(line, parse_duration(argument))


def _sleep(line: int, argument: str) -> Sleep:
    return Sleep(line, parse_duration(argument))


def _text(argument: str) -> str:
    """The argument as written, or the JSON string it quotes."""
    if not argument.startswith('"'):
        return argument
    try:
        text = json.loads(argument)
    except json.JSONDecodeError:
        raise ValueError(f"not a valid quoted string: {argument}") from None
    if not isinstance(text, str):
        raise ValueError(f"not a valid quoted string: {argument}")
    return text


def _type(line: int, argument: str) -> Type:
    text = _text(argument)
    if not text:
        raise ValueError("nothing to type")
    if any(ord(character) < 32 for character in text):
        raise ValueError("control characters cannot be typed: use press (e.g. press enter)")
    return Type(line, text)


def _press(line: int, argument: str) -> Press:
    keys: list[str] = []
    for word in argument.split():
        key, star, count = word.rpartition("*") if "*" in word[1:] else (word, "", "")
        if star:
            if not count.isdigit() or not 1 <= int(count) <= MAX_REPEAT:
                raise ValueError(f"{word!r}: the repeat count must be 1-{MAX_REPEAT}")
        if not _KEY.match(key):
            raise ValueError(f"{key!r} is not a key name (e.g. tab, enter, down, ctrl+s, b)")
        keys.extend([key] * (int(count) if star else 1))
    if not keys:
        raise ValueError("no key given")
    return Press(line, tuple(keys))


def _no_argument(kind: type[Step]):
    def parse(line: int, argument: str) -> Step:
        if argument:
            raise ValueError(f"takes no argument, got {argument!r}")
        return kind(line)

    return parse


def _screenshot(line: int, argument: str) -> Screenshot:
    name = argument.removesuffix(".svg")
    if not _NAME.match(name):
        raise ValueError(f"expected a file name of letters, digits, '-', '_' or '.', got {argument!r}")
    return Screenshot(line, name)


def _caption(line: int, argument: str) -> Caption:
    text = _text(argument)
    if any(ord(character) < 32 and character != "\n" for character in text):
        raise ValueError("a caption holds no control characters (a newline, \\n in a quoted string, is allowed)")
    return Caption(line, text)


def _model(line: int, argument: str) -> Model:
    if not argument or len(argument.split()) != 1:
        raise ValueError(f"expected one model name or path, such as smollm2, got {argument!r}")
    return Model(line, argument)


def _check_order(tape: Tape) -> None:
    """A `model` line comes before the first key: the models are loaded before a tape plays."""
    typed = False
    for step in tape.steps:
        if isinstance(step, (Type, Press)):
            typed = True
        elif isinstance(step, Model) and typed:
            raise TapeError(f"{tape.where(step)}: model: must come before the first type or press")
    models = {step.source for step in tape.steps if isinstance(step, Model)}
    if len(models) > 1:
        raise TapeError(f"{tape.name}: a tape is made for one model, it names {', '.join(sorted(models))}")


_COMMANDS = {
    "size": _size,
    "delay": _delay,
    "type": _type,
    "press": _press,
    "wait": _no_argument(Wait),
    "sleep": _sleep,
    "screenshot": _screenshot,
    "caption": _caption,
    "model": _model,
    "quit": _no_argument(Quit),
}
