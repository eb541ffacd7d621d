"""Recording a replay as an asciicast v2 file (asciinema's format), without a screen recorder.

The explorer runs on a driver that draws to no terminal: everything Textual would write to one is kept
with the time it was written. The file is a header line (JSON: version 2, width, height, timestamp, ...)
and then one event per line, `[seconds, "o", data]` (output) or `[seconds, "r", "COLSxROWS"]` (a resize).
`asciinema play OUT.cast` replays it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from textual.drivers.headless_driver import HeadlessDriver

# What a terminal would be told as the app starts and leaves (the alternate screen, cursor hidden/shown).
ENTER = "\x1b[?1049h\x1b[?25l"
LEAVE = "\x1b[?25h\x1b[?1049l"


class Recording:
    """The events of one replay, timed from its start."""

    def __init__(self, columns: int, rows: int, title: str = "") -> None:
        self.columns, self.rows, self.title = columns, rows, title
        self.started = time.time()
        self._clock = time.monotonic()
        self.events: list[tuple[float, str, str]] = []

    def output(self, data: str) -> None:
        if data:
            self.events.append((time.monotonic() - self._clock, "o", data))

    def resize(self, columns: int, rows: int) -> None:
        self.events.append((time.monotonic() - self._clock, "r", f"{columns}x{rows}"))

    def header(self) -> dict:
        header = {"version": 2, "width": self.columns, "height": self.rows, "timestamp": int(self.started),
                  "env": {"TERM": "xterm-256color", "SHELL": "/bin/sh"}}
        if self.title:
            header["title"] = self.title
        return header

    def write(self, path: Path) -> None:
        lines = [json.dumps(self.header())]
        lines += [json.dumps([round(at, 6), kind, data]) for at, kind, data in self.events]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def recording_driver(recording: Recording) -> type[HeadlessDriver]:
    """A driver class that draws into `recording`: Textual renders to it as to a terminal (it is not headless)."""

    class RecordingDriver(HeadlessDriver):
        @property
        def is_headless(self) -> bool:
            return False

        def _get_terminal_size(self) -> tuple[int, int]:
            return self._size if self._size is not None else (recording.columns, recording.rows)

        def write(self, data: str) -> None:
            recording.output(data)

        def flush(self) -> None:
            pass

        def start_application_mode(self) -> None:
            recording.output(ENTER)
            super().start_application_mode()

        def stop_application_mode(self) -> None:
            recording.output(LEAVE)

    return RecordingDriver
