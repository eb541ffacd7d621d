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
from contextlib import contextmanager
from pathlib import Path

import pytest
from served_pages import (
    CHROMIUM_FLAGS,
    TERMINAL_TEXT,
    TEXTUAL_JS,
    command_of,
    expose_terminals,
    free_port,
    parents,
    rollup_kb,
)

pytestmark = pytest.mark.e2e

START_TIMEOUT = 60.0
SENTENCE = "france is a country"


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


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


@contextmanager
def serving(tmp_path, vectors_file, tiny_model_dir, *options: str):
    """`wordlens serve` on a free port with the tiny models; yields its URL, its log and its process."""
    wordlens = Path(sys.executable).parent / "wordlens"
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(wordlens), "serve", "--port", str(port), "--vectors", str(vectors_file),
             "--model", str(tiny_model_dir), *options],
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "cache")},
        )
    try:
        wait_for_port(port, process, log)
        yield f"http://localhost:{port}", log, process
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the server and the explorers it started for the pages
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def server(tmp_path, vectors_file, tiny_model_dir):
    with serving(tmp_path, vectors_file, tiny_model_dir) as (url, log, _):
        yield url, log


@contextmanager
def browser_context(tmp_path):
    if chromium() is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=chromium(), headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 900},
        )
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, url: str):
    """A page at url whose terminals can be read; returns it and the HTTP response."""
    page = browser.new_page()
    page.route(TEXTUAL_JS, expose_terminals)
    page.route(re.compile(r"^https?://(?!localhost[:/]).*"), lambda route: route.abort())  # no web fonts
    return page, page.goto(url, wait_until="domcontentloaded")


def explorers_of(server: subprocess.Popen) -> list[int]:
    """The explorers serve runs for its pages: the session forker's children (or whole explorer processes)."""
    parent_of = parents()
    forkers = {pid for pid, parent in parent_of.items()
               if parent == server.pid and b"wordlens.tui.serving.forker" in command_of(pid)}
    return [pid for pid, parent in parent_of.items()
            if parent in forkers or (parent == server.pid and b"wordlens.tui.cli.main" in command_of(pid))]


def test_the_served_page_shows_the_explorer_and_answers_typing(server, tmp_path):
    url, log = server
    with browser_context(tmp_path) as browser:
        try:
            page, _ = open_page(browser, url)
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


TOKEN = "class-of-2026-secret"


def status_of(url: str, headers: dict[str, str] | None = None) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


WEBSOCKET_UPGRADE = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                     "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


def test_without_the_token_pages_and_websockets_get_403_and_no_explorer_starts(tmp_path, vectors_file,
                                                                               tiny_model_dir):
    with serving(tmp_path, vectors_file, tiny_model_dir, "--token", TOKEN) as (url, log, process):
        assert status_of(f"{url}/") == 403
        assert status_of(f"{url}/?token=not-the-token") == 403
        assert status_of(f"{url}/ws", WEBSOCKET_UPGRADE) == 403
        assert status_of(f"{url}/ws/not-the-token", WEBSOCKET_UPGRADE) == 403
        with browser_context(tmp_path) as browser:
            page, response = open_page(browser, url)
            assert response.status == 403 and "token" in page.content()
            time.sleep(2)  # an explorer would have been started at once
            assert explorers_of(process) == []

            page, response = open_page(browser, f"{url}/?token={TOKEN}")
            assert response.status == 200
            try:
                page.wait_for_function(f"({TERMINAL_TEXT})().includes('static neighbours')", timeout=60_000)
                page.locator(".xterm-helper-textarea").focus()
                page.keyboard.type(SENTENCE, delay=20)
                page.wait_for_function(f"({TERMINAL_TEXT})().includes('[CLS] {SENTENCE} [SEP]')", timeout=60_000)
            except Exception:
                print(log.read_text())
                raise
            assert len(explorers_of(process)) == 1
        assert TOKEN not in log.read_text()  # the access log shows its first characters only
        assert f"?token={TOKEN[:4]}…" in log.read_text()


def test_beyond_max_sessions_a_page_says_the_class_is_full_and_starts_no_explorer(tmp_path, vectors_file,
                                                                                 tiny_model_dir):
    with serving(tmp_path, vectors_file, tiny_model_dir, "--max-sessions", "2") as (url, log, process):
        with browser_context(tmp_path) as browser:
            try:
                students = [open_page(browser, url)[0] for _ in range(2)]
                for page in students:
                    page.wait_for_function(f"({TERMINAL_TEXT})().includes('static neighbours')", timeout=60_000)
                assert len(explorers_of(process)) == 2

                page, response = open_page(browser, url)
                assert response.status == 503 and "The class is full" in page.content()
                time.sleep(2)
                assert len(explorers_of(process)) == 2

                students[0].close()  # a student leaves: trying again gets in once their explorer has ended
                deadline = time.monotonic() + 30
                while (response := page.goto(url, wait_until="domcontentloaded")).status == 503:
                    assert time.monotonic() < deadline, "the page that left still counts as a session"
                    time.sleep(0.5)
                page.wait_for_function(f"({TERMINAL_TEXT})().includes('static neighbours')", timeout=60_000)
            except Exception:
                print(log.read_text())
                raise


def test_two_sessions_share_the_imported_modules_and_the_mapped_files(tmp_path, vectors_file, tiny_model_dir):
    """Each explorer is a fork of the session forker, which imported torch, Textual and wordlens once: those
    pages are shared (each process's PSS holds a third of them: forker and two explorers), not copied; and
    both map the one cached input table of the model (core/transformer/input_table_cache.py)."""
    with serving(tmp_path, vectors_file, tiny_model_dir) as (url, log, process):
        with browser_context(tmp_path) as browser:
            try:
                pages = [open_page(browser, url)[0] for _ in range(2)]
                for page in pages:  # the header names the model once it has loaded
                    page.wait_for_function(f"({TERMINAL_TEXT})().includes('layers × ')", timeout=60_000)
            except Exception:
                print(log.read_text())
                raise
            explorers = explorers_of(process)
            assert len(explorers) == 2
            tables = str(tmp_path / "cache" / "wordlens" / "input_tables")
            for pid in explorers:
                # the loader maps the input table just after announcing the model
                wait_until(lambda pid=pid: any(tables in mapping["name"] for mapping in mappings(pid)), 30,
                           f"explorer {pid} never mapped the cached input table")
                memory = rollup_kb(pid)
                shared_anonymous_mb = (memory["Anonymous"] - memory["Pss_Anon"]) / 1024
                assert shared_anonymous_mb > 50, memory  # torch alone is ~140 MB of it
                for shared_file in ("libtorch_cpu", tables):
                    mapped = [mapping for mapping in mappings(pid) if shared_file in mapping["name"]]
                    assert mapped, shared_file
                    rss = sum(mapping["Rss"] for mapping in mapped)
                    pss = sum(mapping["Pss"] for mapping in mapped)
                    assert pss <= rss / 2, (shared_file, pss, rss)  # split between (at least) the two explorers


def wait_until(condition, seconds: float, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what or condition
        time.sleep(0.1)


def mappings(pid: int) -> list[dict]:
    found: list[dict] = []
    for line in (Path("/proc") / str(pid) / "smaps").read_text().splitlines():
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            parts = line.split(None, 5)
            found.append({"name": parts[5] if len(parts) > 5 else ""})
        elif (field := re.match(r"^(Rss|Pss):\s+(\d+) kB", line)) and found:
            found[-1][field[1]] = int(field[2])
    return found
