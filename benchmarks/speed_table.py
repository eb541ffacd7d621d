"""Write README.md's table of speed figures against their floors from benchmarks/results.json.

    .venv/bin/python benchmarks/run.py startup.py edit_latency.py long_input.py
    .venv/bin/python benchmarks/speed_table.py            (--check: exit 1 if README differs)

Every number in the table between the README's `speed-table` markers comes from results.json
(benchmarks/floors.py pairs each figure with its floor and target); nothing is typed by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from floors import floor_ratios

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
START, END = "<!-- speed-table:start (benchmarks/speed_table.py) -->", "<!-- speed-table:end -->"
UNITS = {"first_paint": "s", "models_ready": "s", "edit_p95": "ms", "long_edit": "ms", "ann_build": "s"}


def _amount(value: float, unit: str) -> str:
    return f"{value:.2f} s" if unit == "s" else f"{value:.0f} ms"


def table(results: dict) -> str:
    environment = results["environment"]
    machine = (f"measured on {environment['cpus']} cores ({environment['platform']}, Python {environment['python']}), "
               f"{environment.get('date', 'date not recorded')}, load average {environment['loadavg_1m_at_start']} "
               "at the start")
    lines = [
        f"Each figure beside its floor, both measured in one run, interleaved ({machine}; the ratio is what "
        "carries to another machine):",
        "",
        "| figure | wordlens | its floor, same run | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in floor_ratios(results):
        unit = UNITS[row["name"]]
        if row["ratio"] is None:
            cpu = f"{row['cpu_s']:.0f} s of CPU, " if row.get("cpu_s") is not None else ""
            lines.append(f"| {row['figure_is']} | {_amount(row['figure'], unit)} "
                         f"({cpu}recall@10 {row['recall_at_10']}) "
                         f"| {row['floor_is']} | — | ≤ {row['target']} s | {'yes' if row['met'] else 'no'} |")
            continue
        how = "debounce + 1.5× analysis" if row["name"] == "edit_p95" else f"≤ {row['target']}×"
        verdict = "yes" if row["met"] else f"no ({row['over_target_pct']:+.0f} %)"
        lines.append(f"| {row['figure_is']} | {_amount(row['figure'], unit)} | {_amount(row['floor'], unit)}: "
                     f"{row['floor_is']} | {row['ratio']:.2f}× | {how} | {verdict} |")
    return "\n".join(lines + where_the_time_goes(results))


def where_the_time_goes(results: dict) -> list[str]:
    """The stages behind the figures over target (startup_stages.py, edit_latency.py's stages_ms)."""
    lines = []
    stages = results.get("startup_stages", {}).get("median_s")
    if stages:
        torch_s = stages["torch_imported"] - stages["torch_import_start"]
        lines.append(
            f"A launch, headless, median of {results['startup_stages']['runs']} (`benchmarks/startup_stages.py`, "
            f"seconds from the spawn): wordlens's modules imported {stages['imported']:.2f}, first frame "
            f"{stages['first_frame']:.2f}, the panes' frame {stages['panes_frame']:.2f}, loaders started "
            f"{stages['loading']:.2f}; GloVe read {stages['vectors_loaded']:.2f}; torch's import "
            f"{stages['torch_import_start']:.2f} to {stages['torch_imported']:.2f} ({torch_s:.2f} s), the "
            f"transformer loaded {stages['model_loaded']:.2f} and taken by the App {stages['model_ready']:.2f}, "
            f"its first analysis returned {stages['analysed']:.2f}, every pane filled {stages['panes_filled']:.2f}.")
    edit = results.get("edit_latency_ms", {}).get("stages_ms")
    if edit:
        names = {"edited": "the debounce fired", "analysed": "the analysis returned",
                 "read": "the focused token's reading returned", "view_set": "the App set the new view",
                 "painted": "the frame painted"}
        steps = ", ".join(f"{names[stage]} {times['p50']:.1f} ({times['p95']:.1f})" for stage, times in edit.items())
        lines.append(f"A keystroke (`benchmarks/edit_latency.py`, ms from the key, p50 (p95)): {steps}.")
    return [part for line in lines for part in ("", line)]


def with_table(readme: str, text: str) -> str:
    if START not in readme or END not in readme:
        sys.exit(f"speed_table: README.md has no {START} … {END} markers")
    before, rest = readme.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{text}\n{END}{after}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=HERE / "results.json")
    parser.add_argument("--check", action="store_true", help="only say whether README's table is current")
    args = parser.parse_args()
    results = json.loads(args.results.read_text(encoding="utf-8"))
    readme = README.read_text(encoding="utf-8")
    updated = with_table(readme, table(results))
    if args.check:
        return 0 if updated == readme else 1
    README.write_text(updated, encoding="utf-8")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
