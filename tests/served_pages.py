"""Driving `wordlens serve` from headless Chromium and reading its processes from /proc: shared by the serve
tests (tests/test_serve.py) and the classroom benchmark (benchmarks/serve.py).

The page's terminal is xterm.js drawing on a canvas, so its text is read from the terminal's own buffer:
textual.js is served with one change (`expose_terminals`), keeping a reference to each terminal it creates.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TEXTUAL_JS = re.compile(r".*/static/js/textual\.js$")
TERMINAL_TEXT = """() => {
    const terminal = (window.__wordlensTerminals || [])[0];
    if (!terminal) return "";
    const buffer = terminal.terminal.buffer.active;
    const lines = [];
    for (let row = 0; row < buffer.length; row++) {
        const line = buffer.getLine(row);
        if (line) lines.push(line.translateToString(true));
    }
    return lines.join("\\n");
}"""
_TERMINAL_CREATION = re.compile(r"new (\w+)\((\w+),\{ping:(\w+)\}\)")


def expose_terminals(route) -> None:
    """Serve textual.js keeping each terminal it creates in window.__wordlensTerminals (a Playwright route)."""
    script = route.fetch().text()
    if not _TERMINAL_CREATION.search(script):
        raise RuntimeError("textual-serve's textual.js no longer creates its terminals as expected")
    script = _TERMINAL_CREATION.sub(
        r"((window.__wordlensTerminals=window.__wordlensTerminals||[]).push(new \1(\2,{ping:\3})),"
        r"window.__wordlensTerminals[window.__wordlensTerminals.length-1])",
        script, count=1,
    )
    route.fulfill(body=script, content_type="application/javascript")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def parents() -> dict[int, int]:
    """Every live process's parent: {pid: ppid}."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = int(re.search(r"^PPid:\s+(\d+)", (entry / "status").read_text(), re.M)[1])
            except (OSError, TypeError):
                continue
    return found


def command_of(pid: int) -> bytes:
    """The process's command line, its arguments separated by NUL bytes (b"" once it is gone)."""
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def rollup_kb(pid: int) -> dict[str, int]:
    """The process's /proc smaps_rollup in kB (Rss, Pss, Private_Clean, ...); OSError once it is gone."""
    text = (Path("/proc") / str(pid) / "smaps_rollup").read_text()
    return {name: int(value) for name, value in re.findall(r"^(\w+):\s+(\d+) kB", text, re.M)}
