"""Startup time of the installed `wordlens`, in a real terminal (tmux), as a user sees it.

Two figures, both measured from just before the process is spawned (so they include the process
start: the Python interpreter, the imports and Textual's first layout):

- first_paint_s: the first `tmux capture-pane` that shows wordlens's header line;
- models_ready_s: the first capture where both models are loaded and every pane shows the
  analysis of the sentence given with --text (header summaries of both models, the token strip,
  the attention grid with its layer title, the static neighbours and the comparison table).

The screen is polled about every 10 ms, so each figure is late by at most one poll plus one
capture. One warm-up launch (page cache), then N measured launches; medians and every sample.
Each figure's floor is measured in the same run, interleaved with it (see main): first paint
against a minimal Textual app showing one line, models ready against a bare script reading the
same files; their ratios are printed beside them.
Prints JSON: {"startup": {"first_paint_s", "models_ready_s", "floor_paint_s", "floor_load_s",
"first_paint_ratio", "models_ready_ratio", "samples": {...}, ...}}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from common import compile_wordlens

SENTENCE = "France is a country, it is in Europe"
WIDTH, HEIGHT = 120, 36
POLL_SECONDS = 0.010  # overridable with --poll-ms
TIMEOUT_SECONDS = 120.0

# The header line (ModelBar) is the first line of the screen and starts with "wordlens".
FIRST_PAINT = re.compile(r"\A\s*wordlens\b")
# Each of these appears only once both models are loaded and the analysis of SENTENCE is rendered.
# They check structure and content rather than exact labels, which are still being polished.
READY_MARKERS = {
    # header: both model summaries, nothing loading any more
    "header": re.compile(r"\A[^\n]*wordlens(?![^\n]*loading)[^\n]*GloVe 6B 50d[^\n]*all-MiniLM-L6-v2"),
    # token strip: the transformer's word pieces
    "tokens": re.compile(re.escape("[CLS] france is a country , it is in europe [SEP]")),
    # static neighbours of the focused word ("Europe": the cursor is at the end)
    "static": re.compile(r"european\s+0\.\d\d"),
    # the attention pane's title names the layer only when there is a contextual analysis
    "attention title": re.compile(r"self-attention · layer 1\b"),
    # the attention grid's focused row
    "attention grid": re.compile(r"▶europe\b"),
    # a comparison row: a word, its static cosine and its attention weight
    "comparison": re.compile(r"│ France\s+-?\d\.\d\d\b[^│]*\b\d\.\d\d\b"),
}
EXIT_MARK = re.compile(r"WORDLENS-EXIT=(\d+)")


def wordlens_command() -> str:
    """The installed console script next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "wordlens"
    if beside.exists():
        return str(beside)
    found = shutil.which("wordlens")
    if found is None:
        sys.exit("startup: the `wordlens` command is not installed")
    return found


class Tmux:
    """A private tmux server (its own socket), so nothing touches the user's sessions."""

    def __init__(self) -> None:
        self.socket = f"wordlens-bench-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def __call__(self, *args: str, check: bool = True) -> str:
        # -f /dev/null: no user tmux.conf. No COLUMNS/LINES: they would override the window's size
        # (Textual sizes itself with shutil.get_terminal_size, which reads them first).
        env = {name: value for name, value in os.environ.items() if name not in ("COLUMNS", "LINES")}
        done = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args], capture_output=True, text=True,
                              env=env)
        if check and done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def capture(self, session: str) -> str:
        return self("capture-pane", "-p", "-t", session, check=False)

    def kill_server(self) -> None:
        socket_path = self("display-message", "-p", "#{socket_path}", check=False).strip()
        self("kill-server", check=False)
        if socket_path:  # tmux leaves its socket file behind
            Path(socket_path).unlink(missing_ok=True)


def launch(tmux: Tmux, command: str, session: str, poll: float = POLL_SECONDS,
           first_paint_marker: re.Pattern = FIRST_PAINT, ready_markers: dict | None = None,
           arguments: str = f"--text {shlex.quote(SENTENCE)}") -> dict:
    """One launch: (first paint, ready) in seconds from just before the spawn."""
    ready_markers = READY_MARKERS if ready_markers is None else ready_markers
    shell_line = f"env -u COLUMNS -u LINES {command} {arguments}; " \
                 "echo WORDLENS-EXIT=$?; sleep 60"
    first_paint = ready = None
    screen = ""
    start = time.perf_counter()
    tmux("new-session", "-d", "-x", str(WIDTH), "-y", str(HEIGHT), "-s", session, shell_line)
    while True:
        poll_start = time.perf_counter()
        screen = tmux.capture(session)
        now = time.perf_counter() - start
        if first_paint is None and first_paint_marker.search(screen):
            first_paint = now
        if first_paint is not None and all(marker.search(screen) for marker in ready_markers.values()):
            ready = now
            break
        exited = EXIT_MARK.search(screen)
        if exited or now > TIMEOUT_SECONDS:
            tmux("kill-session", "-t", session, check=False)
            why = f"exited with {exited.group(1)}" if exited else f"not ready after {TIMEOUT_SECONDS:.0f} s"
            missing = [name for name, marker in ready_markers.items() if not marker.search(screen)]
            raise RuntimeError(f"wordlens {why}; missing {missing}; screen:\n{screen}")
        time.sleep(max(0.0, poll - (time.perf_counter() - poll_start)))
    # Quit as a user would (ctrl+q) and wait for the process to end before the next launch.
    tmux("send-keys", "-t", session, "C-q")
    deadline = time.perf_counter() + 30
    exit_code = None
    while time.perf_counter() < deadline:
        exited = EXIT_MARK.search(tmux.capture(session))
        if exited:
            exit_code = int(exited.group(1))
            break
        time.sleep(0.05)
    tmux("kill-session", "-t", session, check=False)
    drawn = max(len(line) for line in screen.splitlines())
    if ready_markers and drawn != WIDTH:  # the floor's one line leaves the rest blank
        raise RuntimeError(f"wordlens drew {drawn} columns in a {WIDTH}-column window:\n{screen}")
    if exit_code != 0:
        raise RuntimeError(f"wordlens did not quit cleanly on ctrl+q (exit code {exit_code})")
    return {"first_paint_s": first_paint, "models_ready_s": ready, "exit_code": exit_code, "screen": screen}


FLOOR_APP = Path(__file__).resolve().parent / "floor_app.py"
FLOOR_LOAD = Path(__file__).resolve().parent / "floor_load.py"
FLOOR_PAINT = re.compile(r"wordlens floor: one line")


def floor_paint(tmux: Tmux, session: str, poll: float) -> float:
    """First paint of a minimal Textual app showing one line, in the same harness."""
    result = launch(tmux, shlex.quote(sys.executable), session, poll=poll, first_paint_marker=FLOOR_PAINT,
                    ready_markers={}, arguments=shlex.quote(str(FLOOR_APP)))
    return result["first_paint_s"]


FLOOR_LOADED = re.compile(r"floor_load: [\d.]+ MB")


def floor_load(tmux: Tmux, session: str, poll: float) -> float:
    """From the spawn to the last line of a bare script reading the same files wordlens loads, in
    the same tmux harness: a tmux session is its own scheduling group (the kernel's autogroup), so
    a process spawned outside tmux got a smaller share of a busy machine than wordlens did."""
    result = launch(tmux, shlex.quote(sys.executable), session, poll=poll, first_paint_marker=FLOOR_LOADED,
                    ready_markers={}, arguments=shlex.quote(str(FLOOR_LOAD)))
    return result["first_paint_s"]


def ratio(figure: float, floor: float) -> float:
    return round(figure / floor, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured launches of each (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="launches not counted (default 1)")
    parser.add_argument("--poll-ms", type=float, default=POLL_SECONDS * 1000, help="capture interval (default 10)")
    parser.add_argument("--show-screen", action="store_true", help="print the last ready screen to stderr")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("startup: tmux is not installed")
    command = shlex.quote(wordlens_command())
    compile_wordlens()
    tmux = Tmux()
    names = ("first_paint_s", "models_ready_s", "floor_paint_s", "floor_load_s")
    samples: dict[str, list[float]] = {name: [] for name in names}
    poll = args.poll_ms / 1000
    try:
        # A keeper session starts the private server before any clock runs, so the server's own
        # start-up is not counted; each launch is then one new session on that server.
        tmux("new-session", "-d", "-x", "20", "-y", "5", "-s", "keeper", "sleep 3600")
        last = None
        for index in range(args.warmup + args.runs):
            # Interleaved, the order swapped every run, so drift in the machine's load hits both.
            measured: dict[str, float] = {}
            for step in ("wordlens", "floors") if index % 2 == 0 else ("floors", "wordlens"):
                if step == "wordlens":
                    last = launch(tmux, command, f"launch{index}", poll=poll)
                    measured["first_paint_s"] = last["first_paint_s"]
                    measured["models_ready_s"] = last["models_ready_s"]
                else:
                    measured["floor_paint_s"] = floor_paint(tmux, f"floor{index}", poll)
                    measured["floor_load_s"] = floor_load(tmux, f"load{index}", poll)
            counted = index >= args.warmup
            print(f"startup: {'run' if counted else 'warm-up'} {index - args.warmup + 1 if counted else index + 1}: "
                  + ", ".join(f"{name} {value:.3f}" for name, value in measured.items()), file=sys.stderr)
            if counted:
                for name in names:
                    samples[name].append(round(measured[name], 4))
        if args.show_screen and last is not None:
            print(last["screen"], file=sys.stderr)
    finally:
        tmux.kill_server()
    medians = {name: round(statistics.median(values), 4) for name, values in samples.items()}
    report = {
        "startup": {
            **medians,
            "first_paint_ratio": ratio(medians["first_paint_s"], medians["floor_paint_s"]),
            "models_ready_ratio": ratio(medians["models_ready_s"], medians["floor_load_s"]),
            "samples": samples,
            "runs": args.runs,
            "warmup": args.warmup,
            "terminal": f"tmux {WIDTH}x{HEIGHT}",
            "text": SENTENCE,
            "note": "from just before the spawn: includes the process start, imports and first layout "
                    "(wordlens's modules byte-compiled first, as an installed package's are); "
                    f"polled every {args.poll_ms:g} ms. Floors, interleaved with wordlens's launches: "
                    "floor_paint_s a minimal Textual app showing one line (floor_app.py) in the same tmux "
                    "harness; floor_load_s a bare script importing torch and reading GloVe's matrix and "
                    "word list, the tokenizer and the safetensors (floor_load.py), spawn to its last line, in tmux too",
        }
    }
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
