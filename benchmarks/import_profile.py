"""Where "models ready" goes before any model runs: import times of what the two loaders import.

    .venv/bin/python benchmarks/import_profile.py      (not part of make bench)

Each group is imported in a fresh interpreter with `python -X importtime` (what an earlier group
already imported is imported first, untimed, as in the app, where both loaders share one
process). Prints JSON: per group its wall time, and the modules with the largest cumulative
import time (microseconds as Python reports them, converted to seconds).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

GROUPS = {
    "numpy": ("", "import numpy"),
    "torch": ("import numpy", "import torch"),
    "transformers": ("import numpy, torch", "import transformers"),
    "modeling_bert": (
        "import numpy, torch, transformers",
        "import transformers.models.bert.modeling_bert; from transformers import AutoModel, AutoTokenizer",
    ),
    "gensim": ("import numpy", "from gensim.models import KeyedVectors"),
    "textual": ("", "import textual.app, textual.widgets"),
}
TOP = 8


def profile(before: str, statement: str) -> dict:
    code = f"{before}\nimport time\nstarted = time.perf_counter()\n{statement}\nprint(time.perf_counter() - started)"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        rows.append((int(cumulative), name.rstrip()))
    top = sorted(rows, reverse=True)[:TOP]
    return {
        "wall_s": round(float(done.stdout.strip()), 2),
        "largest": [{"module": name.strip(), "depth": (len(name) - len(name.lstrip())) // 2,
                     "cumulative_s": round(micro / 1e6, 2)} for micro, name in top],
    }


def main() -> int:
    import os

    started = time.perf_counter()
    result = {name: profile(before, statement) for name, (before, statement) in GROUPS.items()}
    result["loadavg_1m"] = round(os.getloadavg()[0], 2)
    result["total_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps({"imports": result}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
