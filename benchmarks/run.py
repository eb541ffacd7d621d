"""Run every benchmark, each in its own fresh process, and merge their JSON into results.json.

    make bench            (or: .venv/bin/python benchmarks/run.py [SCRIPT.py ...] for only those)

Same inputs every run; each script reports medians / percentiles of what it measured just now.
Nothing is cached between runs: results.json is only written, never read. The one exception
is an input, not a result: ann.py's synthetic 3,000,000 x 300 vectors (3.4 GB) are written once to
benchmarks/.cache/ and reused; its index is rebuilt every run (build_s), so ann.py alone takes
~3 minutes on two busy cores, the exact scans it compares with included. uses.py reads the uses
index from ~/.cache/wordlens when a valid one is there (the explorer and `wordlens index` build
it once) and only then reports no build_s.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("startup.py", "startup_stages.py", "edit_latency.py", "neighbours.py", "long_input.py", "memory.py",
           "mechanism.py", "decoder.py", "map.py", "ann.py", "uses.py")


def run(script: str) -> dict:
    """Run one benchmark in a new interpreter; its last stdout line is its JSON."""
    print(f"bench: {script}…", file=sys.stderr, flush=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(HERE / script)], stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"bench: {script} failed with exit code {done.returncode}")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if not lines:
        sys.exit(f"bench: {script} printed nothing")
    result = json.loads(lines[-1])
    print(f"bench: {script} done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return result


def environment() -> dict:
    import textual

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "textual": textual.__version__,
        # Other work on the machine skews every figure: this says how busy it was at the start.
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main() -> int:
    from floors import floor_ratios

    chosen = sys.argv[1:] or SCRIPTS  # e.g. run.py startup.py edit_latency.py: only those
    unknown = [script for script in chosen if script not in SCRIPTS]
    if unknown:
        sys.exit(f"bench: no benchmark {', '.join(unknown)}; choose from {', '.join(SCRIPTS)}")
    results: dict = {"environment": environment()}
    for script in chosen:
        results.update(run(script))
    results["floors"] = floor_ratios(results)  # each figure / its floor measured in the same run
    text = json.dumps(results, indent=2, ensure_ascii=False)
    (HERE / "results.json").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
