"""What reaches the real terminal, and what comes from it, made safe for any text.

- Control characters inside the text of a widget (a word of a vectors file, a model's token) would
  be obeyed by the terminal: ESC starts a command that can clear the screen or retitle the window.
  `ControlCharacters` takes them out of every line Textual draws.
- What comes from the terminal goes through `TerminalInputDecoder` (installed in Textual's drivers
  by `make_terminal_input_safe`): bytes that are not UTF-8, which would stop Textual's input thread
  (its decoder is strict), become U+FFFD; an ESC inside a bracketed paste, which Textual's parser
  takes for the paste's end (the rest of the paste then arrives as keys, a tab there moving the
  focus), becomes SUB, a control character like any other in the pasted text.
"""

from __future__ import annotations

import codecs
import functools
import importlib
import re

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ControlCharacters(LineFilter):
    """Drops C0/C1 control characters and DEL from drawn text (they occupy no cell, so the
    layout does not move). Textual's own control segments (cursor moves) are kept."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if not any(not control and _CONTROL.search(text) for text, _, control in segments):
            return segments
        kept = []
        for segment in segments:
            if segment.control:
                kept.append(segment)
            elif text := _CONTROL.sub("", segment.text):
                kept.append(Segment(text, segment.style))
        return kept


CONTROL_CHARACTERS = ControlCharacters()


def has_control_characters(texts) -> bool:
    """Whether any of `texts` (a vocabulary) holds a control character: one C-level scan.
    The filter costs every frame a full-screen pass, so it is only switched on when needed."""
    from wordlens.core.vectors.vocabulary_index import WordList

    text = texts.joined(" ") if isinstance(texts, WordList) else " ".join(texts)  # a mapped vocabulary: one decode
    return _CONTROL.search(text) is not None


def make_terminal_input_safe() -> None:
    """Make Textual's terminal drivers (Linux, inline and the browser's for `wordlens serve`)
    decode their input with `TerminalInputDecoder`."""
    for name in ("linux_driver", "linux_inline_driver", "web_driver"):
        try:
            driver = importlib.import_module(f"textual.drivers.{name}")
        except ImportError:  # Windows: no termios, another driver, which decodes by itself
            continue
        driver.getincrementaldecoder = _terminal_input_decoder


def _terminal_input_decoder(encoding: str):
    if codecs.lookup(encoding).name != "utf-8":
        return functools.partial(codecs.getincrementaldecoder(encoding), errors="replace")
    return TerminalInputDecoder


class TerminalInputDecoder(codecs.IncrementalDecoder):
    """UTF-8, with bytes that are not UTF-8 as U+FFFD and ESC inside a bracketed paste as SUB.

    A multi-byte character or a paste's end marker split across two reads is joined: the end
    of a read that may begin the marker is held until the next read (the terminal always sends
    the marker, so it comes)."""

    def __init__(self, errors: str = "replace") -> None:
        super().__init__(errors)
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._escapes = PastedEscapes()

    def decode(self, data: bytes, final: bool = False) -> str:
        return self._escapes.feed(self._utf8.decode(data, final), final)

    def reset(self) -> None:
        self._utf8.reset()
        self._escapes = PastedEscapes()


PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
ESC = "\x1b"
SUB = "\x1a"  # ASCII's "substitute character", for one that cannot be kept


class PastedEscapes:
    """Text read from the terminal, with each ESC between a paste's start and end marker as SUB.

    Outside a paste nothing changes (an ESC there is the escape key or starts a key's sequence)."""

    def __init__(self) -> None:
        self.in_paste = False
        self._recent = ""  # the end of the text passed outside a paste: a start marker may span reads
        self._held = ""  # inside a paste: the end of a read that may be the start of the end marker

    def feed(self, text: str, final: bool = False) -> str:
        text, self._held = self._held + text, ""
        out: list[str] = []
        while text:
            if not self.in_paste:
                text = self._pass_until_paste(text, out)
            else:
                text = self._paste_until_end(text, out, final)
        return "".join(out)

    def _pass_until_paste(self, text: str, out: list[str]) -> str:
        window = self._recent + text
        found = window.find(PASTE_START)
        if found < 0:
            out.append(text)
            self._recent = window[-(len(PASTE_START) - 1):]
            return ""
        after_marker = found + len(PASTE_START) - len(self._recent)
        out.append(text[:after_marker])
        self.in_paste, self._recent = True, ""
        return text[after_marker:]

    def _paste_until_end(self, text: str, out: list[str], final: bool) -> str:
        escape = text.find(ESC)
        if escape < 0:
            out.append(text)
            return ""
        rest = text[escape:]
        if rest.startswith(PASTE_END):
            out.append(text[:escape + len(PASTE_END)])
            self.in_paste = False
            return text[escape + len(PASTE_END):]
        if PASTE_END.startswith(rest) and not final:
            out.append(text[:escape])
            self._held = rest
            return ""
        out.append(text[:escape] + SUB)
        return text[escape + 1:]
