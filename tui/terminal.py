"""What reaches the real terminal, and what comes from it, made safe for any text.

- Control characters inside the text of a widget (a word of a vectors file, a model's token) would
  be obeyed by the terminal: ESC starts a command that can clear the screen or retitle the window.
  `ControlCharacters` takes them out of every line Textual draws.
- Bytes that are not UTF-8 typed or pasted into the terminal stop Textual's input thread (its
  decoder is strict); `tolerate_invalid_utf8_input` makes it decode them as U+FFFD.
"""

from __future__ import annotations

import codecs
import functools
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
    return _CONTROL.search(" ".join(texts)) is not None


def tolerate_invalid_utf8_input() -> None:
    """Make Textual's Linux driver decode its input with errors='replace' instead of failing."""
    try:
        from textual.drivers import linux_driver
    except ImportError:  # Windows: another driver, which decodes by itself
        return
    linux_driver.getincrementaldecoder = _replacing_incremental_decoder


def _replacing_incremental_decoder(encoding: str):
    return functools.partial(codecs.getincrementaldecoder(encoding), errors="replace")
