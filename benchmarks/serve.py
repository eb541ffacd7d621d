"""A class on one machine: N headless Chromium pages on one `wordlens serve` with the default models.

    make bench-serve     (or: .venv/bin/python benchmarks/serve.py [N ...]; default N = 1 4 8 16 30)
    .venv/bin/python benchmarks/serve.py --table benchmarks/serve_results.json   (the README's table)
    .venv/bin/python benchmarks/serve.py --whole-processes 1 4 8   (the baseline: a whole explorer per page)

For each N, a fresh `wordlens serve --text SENTENCE` and N pages opened at once. Per N it reports:
the PSS of every process serve started for the sessions (explorers, the session forker, the small
per-page clients; from /proc/PID/smaps_rollup, so shared pages are split between them, not counted N
times) in all and per session; serve's own PSS; the time from opening a page until its terminal shows
the analysed sentence (median, slowest); one edit's latency with all pages open (from the last key to
the new tokens on screen); and the sessions dropped (the page's WebSocket closed, or never analysed).
An N whose estimated memory (from the N before it) exceeds MemAvailable is skipped and said so.
Not part of `make bench`: it takes minutes. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from served_pages import CHROMIUM_FLAGS as BASE_FLAGS  # noqa: E402
from served_pages import TERMINAL_TEXT, TEXTUAL_JS, command_of, expose_terminals, free_port, parents, rollup_kb  # noqa: E402

SENTENCE = "France is a country, it is in Europe"
ANALYSED = "[CLS] france is a country , it is in europe [SEP]"
EDIT, EDITED = " today", "europe today [SEP]"
DEFAULT_COUNTS = (1, 4, 8, 16, 30)
RESULTS = Path(__file__).resolve().parent / "serve_results.json"  # what --table reads
ANALYSED_TIMEOUT_S = 600.0
CHROMIUM_FLAGS = [*BASE_FLAGS, "--disable-renderer-backgrounding", "--disable-background-timer-throttling"]


def pss_mb(pid: int) -> float:
    try:
        return rollup_kb(pid).get("Pss", 0) / 1024
    except OSError:
        return 0.0


def private_mb(pid: int) -> float:
    """Memory only this process holds (its private clean and dirty pages)."""
    try:
        rollup = rollup_kb(pid)
    except OSError:
        return 0.0
    return (rollup.get("Private_Clean", 0) + rollup.get("Private_Dirty", 0)) / 1024


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, parent in parents().items():
        children.setdefault(parent, []).append(pid)
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def mem_available_mb() -> float:
    match = re.search(r"^MemAvailable:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    return int(match.group(1)) / 1024 if match else 0.0


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def start_serve(port: int, workdir: Path, whole_processes: bool = False) -> subprocess.Popen:
    wordlens = Path(sys.executable).parent / "wordlens"
    environment = {**os.environ, "WORDLENS_SERVE_WHOLE_PROCESSES": "1" if whole_processes else "0"}
    process = subprocess.Popen(
        [str(wordlens), "serve", "--port", str(port), "--text", SENTENCE],
        stdout=(workdir / "serve.log").open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        env=environment)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    raise SystemExit("bench serve: wordlens serve did not listen within 120 s")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_class(count: int, chromium: str, workdir: Path, whole_processes: bool = False) -> dict:
    from playwright.sync_api import sync_playwright

    port = free_port()
    serve = start_serve(port, workdir, whole_processes)
    load_before = load()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.route(TEXTUAL_JS, expose_terminals)
            context.route(re.compile(r"^https?://(?!localhost[:/]).*"), lambda route: route.abort())
            closed: list[int] = []
            pages, opened = [], []
            for index in range(count):
                page = context.new_page()
                page.on("websocket", lambda ws, i=index: ws.on("close", lambda *_: closed.append(i)))
                opened.append(time.monotonic())
                page.goto(f"http://localhost:{port}/", wait_until="domcontentloaded")
                pages.append(page)
            analysed_s: dict[int, float] = {}
            deadline = time.monotonic() + ANALYSED_TIMEOUT_S
            while len(analysed_s) + len(set(closed) - set(analysed_s)) < count and time.monotonic() < deadline:
                for index, page in enumerate(pages):
                    if index not in analysed_s and index not in closed and ANALYSED in page.evaluate(TERMINAL_TEXT):
                        analysed_s[index] = time.monotonic() - opened[index]
                time.sleep(0.25)
            sessions = descendants(serve.pid)
            sessions_pss = sum(pss_mb(pid) for pid in sessions)
            explorers = forked_children(sessions) | {
                pid for pid in sessions if b"-m\0wordlens.tui.cli.main" in command_of(pid)}  # without a forker
            private = sorted(private_mb(pid) for pid in explorers)
            edit_ms = edit_latency(pages[0]) if 0 in analysed_s and 0 not in closed else None
            dropped = sorted(set(closed) | (set(range(count)) - set(analysed_s)))
            serve_pss = pss_mb(serve.pid)
            context.close()
            browser.close()
    finally:
        stop(serve)
    times = sorted(analysed_s.values())
    return {
        "sessions": count,
        "sessions_pss_mb": round(sessions_pss, 1),
        "per_session_pss_mb": round(sessions_pss / count, 1),
        "processes": len(sessions),
        "explorer_processes": len(explorers),
        "explorer_private_mb_median": round(statistics.median(private), 1) if private else None,
        "serve_pss_mb": round(serve_pss, 1),
        "analysed_median_s": round(statistics.median(times), 2) if times else None,
        "analysed_slowest_s": round(times[-1], 2) if times else None,
        "edit_latency_ms": edit_ms,
        "dropped": len(dropped),
        "load_before": load_before,
        "load_after": load(),
    }


def forked_children(pids: list[int]) -> set[int]:
    """The explorers the session forker forked (their command line is the forker's)."""
    forkers = {pid for pid in pids if b"-m\0wordlens.tui.serving.forker" in command_of(pid)}
    parent_of = parents()
    return {pid for pid in pids if parent_of.get(pid) in forkers}


def edit_latency(page) -> float | None:
    page.locator(".xterm-helper-textarea").focus()
    page.keyboard.press("End")
    page.keyboard.type(EDIT, delay=30)
    typed = time.monotonic()
    try:
        page.wait_for_function(f"({TERMINAL_TEXT})().includes({json.dumps(EDITED)})", timeout=120_000,
                               polling=20)
    except Exception:
        return None
    return round((time.monotonic() - typed) * 1000, 1)


def table(results: dict) -> str:
    """The README's table of a saved run (`benchmarks/serve.py --table FILE`)."""
    rows = ["| sessions | sessions' PSS in all | per session | serve itself | analysed, median / slowest "
            "| one edit, all open | dropped | load (1 min) before / after |",
            "|---|---|---|---|---|---|---|---|"]
    for run in results["runs"]:
        edit = "—" if run["edit_latency_ms"] is None else f"{run['edit_latency_ms']:,.0f} ms"
        rows.append(
            f"| {run['sessions']} | {run['sessions_pss_mb']:,.0f} MB | {run['per_session_pss_mb']:,.0f} MB "
            f"| {run['serve_pss_mb']:,.0f} MB | {run['analysed_median_s']} / {run['analysed_slowest_s']} s "
            f"| {edit} | {run['dropped']} | {run['load_before'][0]} / {run['load_after'][0]} |")
    for skipped in results["skipped"]:
        rows.append(f"| {skipped['sessions']} | not run: ~{skipped['estimated_mb']:,} MB estimated, "
                    f"{skipped['available_mb']:,} MB available | | | | | | |")
    runs = results["runs"]
    if len(runs) > 1:
        step = (runs[-1]["sessions_pss_mb"] - runs[0]["sessions_pss_mb"]) / (runs[-1]["sessions"] - runs[0]["sessions"])
        rows.append(f"\nEach session beyond the first adds {step:,.0f} MB of PSS (from {runs[0]['sessions']} to "
                    f"{runs[-1]['sessions']} sessions); an explorer's own memory (private pages, median): "
                    f"{runs[-1].get('explorer_private_mb_median')} MB.")
        fixed = runs[0]["sessions_pss_mb"] - step + runs[-1]["serve_pss_mb"]
        held = ", ".join(f"{gb} GB about {int((gb * 1024 - fixed) / step):,}" for gb in (4, 8, 16))
        rows.append(f"By memory alone (serve, plus the first session, plus the step for each), {held} sessions.")
    return "\n".join(rows)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--table"]:
        print(table(json.loads(Path(argv[1]).read_text())))
        return
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("bench serve: chromium is not installed")
    whole_processes = "--whole-processes" in argv  # the baseline: no session forker, a whole explorer per page
    counts = [int(arg) for arg in argv if arg != "--whole-processes"] or list(DEFAULT_COUNTS)
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"wordlens-bench-serve-{os.getpid()}"
    workdir.mkdir(parents=True, exist_ok=True)
    runs, skipped = [], []
    for count in counts:
        if runs:
            last = runs[-1]
            estimate = last["per_session_pss_mb"] * count * 1.2 + 500 * count / 4  # + Chromium's pages
            if estimate > mem_available_mb():
                skipped.append({"sessions": count, "estimated_mb": round(estimate), "available_mb":
                                round(mem_available_mb())})
                continue
        print(f"bench serve: {count} sessions…", file=sys.stderr, flush=True)
        runs.append(run_class(count, chromium, workdir, whole_processes))
        print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    results = {"machine": {"cpus": os.cpu_count(), "mem_total_mb": round(
        int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 1024)},
        "sentence": SENTENCE, "whole_processes": whole_processes, "runs": runs, "skipped": skipped}
    saved = RESULTS.with_name("serve_results_whole_processes.json") if whole_processes else RESULTS
    saved.write_text(json.dumps(results, indent=1))
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
