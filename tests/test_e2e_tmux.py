"""End to end, in a real terminal: the installed `wordlens` driven through tmux as a user would.

Keys go in with `tmux send-keys`; what the user would see comes back with `tmux capture-pane -p`.
Every wait polls the screen until a condition holds (fixed sleeps are never the check), with
generous timeouts: loading both models takes seconds on a small machine. Each test runs its own
tmux server on a private socket (-L), killed in the fixture's teardown.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

SENTENCE = "France is a country, it is in Europe"
TOKENS = "[CLS] france is a country , it is in europe [SEP]"
LOAD_TIMEOUT = 120.0
STEP_TIMEOUT = 60.0
EXIT_MARK = re.compile(r"WORDLENS-EXIT=(\d+)")


def _wordlens_command() -> str | None:
    beside = Path(sys.executable).parent / "wordlens"  # the venv's console script
    return str(beside) if beside.exists() else shutil.which("wordlens")


class Terminal:
    """One tmux server of our own, with one session running wordlens in a shell."""

    def __init__(self, wordlens: str) -> None:
        self.wordlens = wordlens
        self.socket = f"wordlens-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.session = "wordlens"
        self.screen = ""

    def tmux(self, *args: str, check: bool = True) -> str:
        # -f /dev/null: the user's ~/.tmux.conf must not change what the test sees.
        done = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args], capture_output=True, text=True,
                              env=_terminal_env())
        if check and done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def start(self, width: int, height: int, *args: str, cwd: Path | None = None) -> None:
        # As a user on an xterm-256color terminal with no COLORTERM; the echo tells how the process ended.
        # COLUMNS/LINES would override the real window size (see _terminal_env).
        line = " ".join(["env -u COLORTERM -u COLUMNS -u LINES TERM=xterm-256color", shlex.quote(self.wordlens),
                         *map(shlex.quote, args)])
        where = ["-c", str(cwd)] if cwd is not None else []
        self.tmux("new-session", "-d", "-x", str(width), "-y", str(height), "-s", self.session, *where,
                  f"{line}; echo WORDLENS-EXIT=$?; sleep 600")

    def capture(self) -> str:
        self.screen = self.tmux("capture-pane", "-p", "-t", self.session, check=False)
        return self.screen

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.session, "-l", text)

    def press(self, key: str) -> None:
        self.tmux("send-keys", "-t", self.session, key)

    def wait_for(
        self, condition: Callable[[str], bool], what: str, timeout: float = STEP_TIMEOUT, exiting: bool = False
    ) -> str:
        """Poll the screen until `condition(screen)` holds; fail with the last screen if it never does."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.capture()
            if condition(screen):
                return screen
            exited = EXIT_MARK.search(screen)
            if exited and not exiting:
                pytest.fail(f"wordlens exited ({exited.group(0)}) while waiting for {what}:\n{screen}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; "
                            f"tmux window {self.window_size()}; the screen:\n{screen}")
            time.sleep(0.05)

    def window_size(self) -> str:
        return self.tmux("display-message", "-p", "-t", self.session, "#{window_width}x#{window_height}",
                         check=False).strip()

    def kill(self) -> None:
        socket_path = self.tmux("display-message", "-p", "#{socket_path}", check=False).strip()
        self.tmux("kill-server", check=False)
        if socket_path:  # tmux leaves its socket file behind
            Path(socket_path).unlink(missing_ok=True)


def _terminal_env() -> dict[str, str]:
    """The environment for tmux, without COLUMNS and LINES.

    pytest imports readline, and GNU readline exports COLUMNS=80 LINES=24 into the C environment
    (not into os.environ) when stdin is not a terminal. Inherited by the tmux server and then by
    wordlens, they make Textual (shutil.get_terminal_size) draw 80x24 whatever the window's size.
    """
    return {name: value for name, value in os.environ.items() if name not in ("COLUMNS", "LINES")}


def header(screen: str) -> str:
    return screen.splitlines()[0] if screen else ""


def screen_width(screen: str) -> int:
    """The width the app drew at: its widest line (capture-pane drops trailing blanks)."""
    return max((len(line) for line in screen.splitlines()), default=0)


def models_loaded(screen: str) -> bool:
    line = header(screen)
    return "all-MiniLM-L6-v2" in line and "GloVe 6B 50d" in line and "loading" not in line


def analysis_shown(screen: str) -> bool:
    """The sentence's analysis fills every pane: tokens, attention grid, static list, comparison."""
    return (
        TOKENS in screen
        and re.search(r"self-attention · layer 1\b", screen) is not None
        and re.search(r"▶europe\b", screen) is not None  # the grid's focused row (cursor after "Europe")
        and re.search(r"european\s+0\.\d\d", screen) is not None  # static neighbours of "Europe"
        # a comparison row: a word, its static cosine and the attention paid to it
        and re.search(r"│ France\s+-?\d\.\d\d\b[^│]*\b\d\.\d\d\b", screen) is not None
    )


def test_type_a_sentence_explore_a_layer_and_quit(terminal):
    terminal.start(120, 36)
    terminal.wait_for(lambda screen: re.match(r"\s*wordlens\b", header(screen)) is not None, "the first frame")
    terminal.wait_for(models_loaded, "both models in the header", timeout=LOAD_TIMEOUT)

    terminal.type(SENTENCE)
    screen = terminal.wait_for(analysis_shown, "the analysis of the typed sentence")
    assert SENTENCE in screen  # the sentence line shows what was typed

    assert screen_width(screen) == 120, f"drawn {screen_width(screen)} wide in a {terminal.window_size()} window"

    terminal.press("Tab")  # from the sentence line to the attention grid
    # As a user would, look before the next key: the layer keys show in the footer once the sentence
    # line has lost the focus. (Sent back to back with Tab, "]" can still reach the sentence line,
    # because Widget.focus() only takes effect once the keys already queued are handled.)
    terminal.wait_for(lambda screen: "[ ] layer" in screen.splitlines()[-1], "the explore keys in the footer")
    terminal.type("]")  # next layer
    screen = terminal.wait_for(lambda screen: re.search(r"self-attention · layer 2\b", screen) is not None,
                               "layer 2 in the attention pane's title")
    assert "layer 1 " not in screen
    assert TOKENS in screen  # still the same sentence: "]" went to the grid, not the sentence line

    terminal.type("q")
    screen = terminal.wait_for(lambda screen: EXIT_MARK.search(screen) is not None, "WORDLENS-EXIT= after q",
                                exiting=True)
    assert EXIT_MARK.search(screen).group(1) == "0", screen


def test_small_terminal_shows_every_pane(terminal):
    terminal.start(80, 24)
    terminal.wait_for(lambda screen: re.match(r"\s*wordlens\b", header(screen)) is not None, "the first frame")
    terminal.type(SENTENCE)  # while the models may still be loading, as an impatient user would
    screen = terminal.wait_for(
        lambda screen: models_loaded(screen) and TOKENS in screen and "self-attention · layer 1" in screen,
        "the analysis of the typed sentence at 80x24", timeout=LOAD_TIMEOUT,
    )
    assert screen_width(screen) == 80, f"drawn {screen_width(screen)} wide in a {terminal.window_size()} window"
    for title in ("static neighbours", "self-attention", "static cosine vs attention"):
        assert title in screen, f"no {title!r} pane title at 80x24:\n{screen}"


def test_ctrl_s_and_x_reach_the_app_and_save_files(terminal, tmp_path):
    terminal.start(120, 36, "--text", SENTENCE, cwd=tmp_path)
    terminal.wait_for(analysis_shown, "the analysis of the sentence", timeout=LOAD_TIMEOUT)

    terminal.press("C-s")  # a terminal's flow control (XOFF) must not swallow it
    screen = terminal.wait_for(lambda screen: "screenshot saved" in screen, "the screenshot notification")
    [svg] = list(tmp_path.glob("*.svg"))
    assert svg.read_text(encoding="utf-8").startswith("<svg")

    terminal.press("Tab")
    terminal.wait_for(lambda screen: "[ ] layer" in screen.splitlines()[-1], "the explore keys in the footer")
    terminal.type("x")
    screen = terminal.wait_for(lambda screen: "exported to" in screen, "the export notification")
    names = {path.name for path in tmp_path.iterdir()} - {svg.name}
    assert {name.rsplit(".", 1)[1] for name in names} == {"json", "csv", "npz"}
    assert next(name for name in names if name.endswith(".json")) in screen


def test_ctrl_o_names_a_vectors_file_that_does_not_load_and_keeps_the_vectors(terminal, tmp_path):
    terminal.start(120, 36, "--text", SENTENCE)
    terminal.wait_for(analysis_shown, "the analysis of the sentence", timeout=LOAD_TIMEOUT)
    terminal.press("C-o")
    terminal.wait_for(lambda screen: "open models" in screen, "the open dialog")
    terminal.type(str(tmp_path / "missing.bin"))
    terminal.press("Enter")
    screen = terminal.wait_for(lambda screen: "vectors file not found" in screen, "the error notification")
    assert "still using GloVe 6B 50d" in screen and "GloVe 6B 50d, 400,000 words" in header(screen)
    terminal.type(" again")
    terminal.wait_for(lambda screen: f"{TOKENS[:-6]} again [SEP]" in screen, "the sentence still analysed")


def test_a_tape_plays_visibly_in_the_terminal(terminal, tmp_path):
    tape = tmp_path / "demo.tape"
    tape.write_text(f"delay 5ms\ntype {SENTENCE}\npress tab right_square_bracket\n", encoding="utf-8")
    terminal.start(120, 36, "play", str(tape))
    screen = terminal.wait_for(
        lambda screen: TOKENS in screen and re.search(r"self-attention · layer 2\b", screen) is not None,
        "the typed sentence's analysis at layer 2", timeout=LOAD_TIMEOUT,
    )
    assert SENTENCE in screen
    terminal.type("q")  # at its end a visible tape leaves the explorer to the user
    screen = terminal.wait_for(lambda screen: EXIT_MARK.search(screen) is not None, "WORDLENS-EXIT= after q",
                               exiting=True)
    assert EXIT_MARK.search(screen).group(1) == "0", screen
