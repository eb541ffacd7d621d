"""Each speed figure beside its floor (what it cannot go below, measured in the same run) and the
target for their ratio (issue 20). Read from the merged results of benchmarks/run.py; used by
run.py (printed as JSON under "floors") and by speed_table.py (README's table)."""

from __future__ import annotations

FIGURES = (
    # (name, what, benchmark, figure, floor, ratio, target ratio, how the target reads)
    ("first_paint", "first paint, tmux 120x36, from the spawn", "startup", "first_paint_s", "floor_paint_s",
     "first_paint_ratio", 1.3, "a minimal Textual app showing one line, same tmux harness"),
    ("models_ready", "both models loaded, every pane filled (second launch)", "startup", "models_ready_s",
     "floor_load_s", "models_ready_ratio", 1.3,
     "a bare script importing torch and reading GloVe's matrix and word list, the tokenizer, the safetensors"),
    ("edit_p95", "keystroke -> every pane, p95", "edit_latency_ms", "p95", "floor_p50", "analysis_multiple", 1.5,
     "the debounce + the engine's in-process analysis of the same texts (median); "
     "ratio = (p95 - debounce) / analysis"),
    ("long_edit", "512 tokens: edit -> grid, median", "long_input", "edit_to_grid_ms", "analysis_ms",
     "edit_to_grid_ratio", 1.2, "the in-process analysis of the same texts (median)"),
)


def floor_ratios(results: dict) -> list[dict]:
    """One row per figure measured in `results`: figure, floor, ratio, target, met, by how much."""
    rows = []
    for name, what, bench, figure, floor, ratio, target, floor_is in FIGURES:
        part = results.get(bench)
        if not part or ratio not in part:
            continue
        value = part[ratio]
        rows.append({
            "name": name, "figure_is": what, "figure": part[figure], "floor": part[floor], "floor_is": floor_is,
            "ratio": value, "target": target, "met": value <= target,
            "over_target_pct": round((value / target - 1) * 100, 1),
        })
    ann = results.get("ann")
    if ann and ann.get("build_s") is not None:
        rows.append({
            "name": "ann_build", "figure_is": "3,000,000 x 300 approximate index build (s)", "figure": ann["build_s"],
            "floor": None, "floor_is": "none: an absolute target", "ratio": None, "target": 200,
            "met": ann["build_s"] <= 200 and ann["recall_at_10"] >= 0.95,
            "over_target_pct": round((ann["build_s"] / 200 - 1) * 100, 1), "recall_at_10": ann["recall_at_10"],
            "cpu_s": ann.get("build_cpu_s"),  # user + sys: a shared machine's wall time says little
        })
    return rows
