"""SmolLM2 (`--model smollm2`): its one-time conversion, a cached launch, edit latency against the
bare forward pass, and memory with the encoder open too.

1. conversion_s: a child process converts the packaged GGUF file into a fresh, empty cache folder
   (XDG_CACHE_HOME set to a temporary directory), as a user's first `--model smollm2` does.
2. cached_load_s: a child process loads the model from the user's cache (converted first if it is
   not there yet, not timed): load_context_model alone, and the process's whole run (imports too).
3. edit_latency_ms: edit_latency.py's measurement (a key handed to the driver -> the first frame in
   which every pane, the next-token reading included, shows the new text), with SmolLM2 as the
   transformer and the bundled GloVe; forward_ms: the model's own forward pass (ContextModel.run)
   on every text typed there, in the same process. The target: edit p95 <= 1.5 x forward p95.
4. rss_mb: resident set size (VmRSS) with GloVe + SmolLM2 loaded, then with the bundled encoder
   opened beside them in the same process (the explorer holds one transformer; a user comparing
   the two runs this).

Prints JSON: {"decoder": {...}}.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

LOAD = (
    "import time, json; t = time.perf_counter();"
    "from wordlens.core.transformer.context_model import load_context_model;"
    "load_context_model('smollm2', device='cpu');"
    "print(json.dumps({'load_s': time.perf_counter() - t}))"
)


def child_load(environment: dict[str, str]) -> tuple[float, float]:
    """(seconds inside load_context_model, seconds of the whole child process)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", LOAD], env=environment, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["load_s"], time.perf_counter() - started


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def percentiles(values: list[float]) -> dict[str, float]:
    array = np.array(values)
    return {
        "p50": round(float(np.percentile(array, 50)), 2),
        "p95": round(float(np.percentile(array, 95)), 2),
        "n": int(array.size),
    }


def main() -> int:
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with tempfile.TemporaryDirectory(prefix="wordlens-bench-cache-") as empty_cache:
        conversion_s, _ = child_load({**environment, "XDG_CACHE_HOME": empty_cache})
    child_load(environment)  # the user's cache exists from here on
    cached = [child_load(environment) for _ in range(3)]

    os.environ.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    from edit_latency import SENTENCES, WARMUP_TEXT, measure

    from wordlens.core.engine import Engine, Sources
    from wordlens.tui.launch import interactive

    engine = Engine.from_sources(interactive(Sources(model="smollm2")))
    engine.load_vectors()
    engine.load_model()
    engine.analyze(WARMUP_TEXT)
    rss_decoder = rss_mb()
    edits = asyncio.run(measure(engine))
    model = engine.model
    forward = []
    for sentence in SENTENCES:
        for end in range(1, len(sentence) + 1):
            encoding = model.encode(sentence[:end])
            started = time.perf_counter()
            model.run(encoding)
            forward.append((time.perf_counter() - started) * 1000)

    from wordlens.core.transformer.context_model import load_context_model

    encoder = load_context_model(None, device="cpu")
    encoder.run(encoder.encode(WARMUP_TEXT))
    rss_both = rss_mb()
    edit, bare = percentiles(edits), percentiles(forward)
    report = {
        "decoder": {
            "model": model.info.name,
            "conversion_s": round(conversion_s, 1),
            "cached_load_s": round(float(np.median([load for load, _ in cached])), 2),
            "cached_process_s": round(float(np.median([whole for _, whole in cached])), 2),
            "edit_latency_ms": edit,
            "forward_ms": bare,
            "edit_p95_over_forward_p95": round(edit["p95"] / bare["p95"], 2),
            "rss_mb": {"glove_and_smollm2": round(rss_decoder), "plus_encoder": round(rss_both)},
            "torch_threads": engine.sources.torch_threads,
        }
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
