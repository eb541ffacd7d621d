"""Where startup's time goes: each stage of a launch, in seconds from just before the process is spawned.

    .venv/bin/python benchmarks/startup_stages.py [--runs N]      (also part of make bench)

startup.py measures what a user sees in tmux; this says why those figures are what they are. Each
launch is a fresh interpreter running the explorer headless (120x36) on the bundled models with
startup.py's sentence, and it records when:

- `imported`: wordlens's App module is imported (the interpreter, Textual and wordlens's own modules);
- `first_frame`: the first frame is written (the model bar and the sentence line);
- `panes_frame`: the next frame, the one that shows the panes and the footer;
- `loading`: the loaders start (after that frame, so torch's import cannot hold it up);
- `vectors_loaded`: GloVe's matrix and vocabulary are read;
- `torch_import_start` / `torch_imported`: the transformer loader's `import torch`;
- `model_loaded`: the transformer is loaded (tokenizer, weights, warm-up pass);
- `model_ready`: the App has taken the transformer's ModelReady (and asked for the analysis);
- `analysed`: the analyser thread's first analysis with the transformer returned;
- `panes_filled`: the first frame in which every pane shows the sentence's analysis (models ready).

One warm-up launch (page cache), then N measured; medians and every sample.
Prints JSON: {"startup_stages": {"median_s": {...}, "samples_s": {...}, "runs": N}}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import compile_wordlens

HERE = Path(__file__).resolve().parent
STAGES = ("imported", "first_frame", "panes_frame", "loading", "vectors_loaded", "torch_import_start", "torch_imported",
          "model_loaded", "model_ready", "analysed", "panes_filled")

CHILD = r'''
import builtins, json, os, sys, time
spawned = float(os.environ["WORDLENS_SPAWNED"])
marks = {}
def mark(name):
    marks.setdefault(name, round(time.time() - spawned, 4))

real_import = builtins.__import__
def timed_import(name, *args, **kwargs):
    if name == "torch" and "torch" not in sys.modules:
        mark("torch_import_start")
        module = real_import(name, *args, **kwargs)
        mark("torch_imported")
        return module
    return real_import(name, *args, **kwargs)
builtins.__import__ = timed_import

import asyncio
from wordlens.core.engine import Engine, Sources
from wordlens.tui.app import WordLensApp
from wordlens.tui.launch import interactive
from wordlens.tui.services.model_loader import ModelLoader
mark("imported")
sys.path.insert(0, os.environ["WORDLENS_BENCHMARKS"])
from edit_latency import every_pane_current

def after(cls, method, stage, before=False):
    original = getattr(cls, method)
    def wrapped(*args, **kwargs):
        if before:
            mark(stage)
        result = original(*args, **kwargs)
        mark(stage) if not before else None
        return result
    setattr(cls, method, wrapped)

after(Engine, "load_vectors", "vectors_loaded")
after(Engine, "load_model", "model_loaded")
after(ModelLoader, "load", "loading", before=True)
real_ready = WordLensApp.on_model_ready
def on_model_ready(self, message):
    real_ready(self, message)
    if self.engine.model is not None:
        mark("model_ready")
WordLensApp.on_model_ready = on_model_ready
real_analyze = Engine.analyze
def analyze(self, *args, **kwargs):
    result = real_analyze(self, *args, **kwargs)
    if result.context is not None:
        mark("analysed")
    return result
Engine.analyze = analyze
text = os.environ["WORDLENS_TEXT"]

async def main():
    app = WordLensApp(Engine.from_sources(interactive(Sources())), text=text)
    display = app._display
    def timed_display(screen, renderable):
        display(screen, renderable)
        mark("first_frame")
        if app.explorer.query_one("#panes").display:
            mark("panes_frame")
        if every_pane_current(app) == text:
            mark("panes_filled")
    app._display = timed_display
    async with app.run_test(size=(120, 36)) as pilot:
        deadline = time.time() + 120
        while "panes_filled" not in marks and time.time() < deadline:
            await asyncio.sleep(0.002)
asyncio.run(main())
print(json.dumps(marks))
'''


def launch(text: str) -> dict[str, float]:
    env = {**os.environ, "WORDLENS_TEXT": text, "WORDLENS_BENCHMARKS": str(HERE),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env["WORDLENS_SPAWNED"] = repr(time.time())
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        sys.exit(f"startup_stages: the launch failed:\n{done.stderr[-2000:]}")
    marks = json.loads(done.stdout.strip().splitlines()[-1])
    missing = [stage for stage in STAGES if stage not in marks]
    if missing:
        sys.exit(f"startup_stages: the launch never reached {', '.join(missing)}")
    return marks


def main() -> int:
    from startup import SENTENCE

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    compile_wordlens()
    launch(SENTENCE)  # warm-up: the page cache
    samples = [launch(SENTENCE) for _ in range(runs)]
    report = {
        "startup_stages": {
            "median_s": {stage: round(statistics.median(s[stage] for s in samples), 4) for stage in STAGES},
            "samples_s": {stage: [s[stage] for s in samples] for stage in STAGES},
            "runs": runs,
            "terminal": "headless 120x36",
        }
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
