"""`wordlens serve`: the explorer in a web page, loaded in headless Chromium.

The page's terminal is xterm.js drawing on a canvas, so its text is read from the terminal's own
buffer (what it draws): textual.js is served with one change, keeping a reference to each
terminal it creates. A typed sentence must come back analysed (its tokens shown).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
START_TIMEOUT = 60.0
SENTENCE = "france is a country"
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


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"wordlens serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"wordlens serve did not listen on port {port} within {START_TIMEOUT}s:\n{log.read_text()}")


def expose_terminals(route) -> None:
    """Serve textual.js keeping each terminal it creates in window.__wordlensTerminals."""
    script = route.fetch().text()
    creation = re.compile(r"new (\w+)\((\w+),\{ping:(\w+)\}\)")
    assert creation.search(script), "textual-serve's textual.js no longer creates its terminals as expected"
    script = creation.sub(
        r"((window.__wordlensTerminals=window.__wordlensTerminals||[]).push(new \1(\2,{ping:\3})),"
        r"window.__wordlensTerminals[window.__wordlensTerminals.length-1])",
        script, count=1,
    )
    route.fulfill(body=script, content_type="application/javascript")


@pytest.fixture
def server(tmp_path, vectors_file, tiny_model_dir):
    wordlens = Path(sys.executable).parent / "wordlens"
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(wordlens), "serve", "--port", str(port), "--vectors", str(vectors_file),
             "--model", str(tiny_model_dir)],
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")},
        )
    try:
        wait_for_port(port, process, log)
        yield f"http://localhost:{port}", log
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the server and the explorer it started for the page
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_the_served_page_shows_the_explorer_and_answers_typing(server, tmp_path):
    if chromium() is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    url, log = server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=chromium(), headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 900},
        )
        try:
            page = browser.new_page()
            page.route(re.compile(r".*/static/js/textual\.js$"), expose_terminals)
            page.route(re.compile(r"^https?://(?!localhost[:/]).*"), lambda route: route.abort())  # no web fonts
            page.goto(url, wait_until="domcontentloaded")

            page.wait_for_function(f"({TERMINAL_TEXT})().includes('static neighbours')", timeout=60_000)
            assert re.match(r"\s*wordlens\b", page.evaluate(TERMINAL_TEXT))  # the header's first line

            page.locator(".xterm-helper-textarea").focus()
            page.keyboard.type(SENTENCE, delay=20)
            page.wait_for_function(f"({TERMINAL_TEXT})().includes('[CLS] {SENTENCE} [SEP]')", timeout=60_000)
            header = page.evaluate(TERMINAL_TEXT).splitlines()[0]
            assert "tiny" in header and "2 layers × 4 heads" in header, header  # the models the server was given
            page.screenshot(path=str(tmp_path / "served.png"))
        except Exception:
            print(log.read_text())
            raise
        finally:
            browser.close()
