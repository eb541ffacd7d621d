"""Long runs of the explorer's key fuzzer (tests/fuzz_support.py): random keys from each screen's
bindings, text, pastes and resizes, on a fresh app per seed.

    python benchmarks/key_fuzzer.py --keys 50000 --seed 100            # tiny models, seeds 100, 101...
    python benchmarks/key_fuzzer.py --keys 2000 --seed 7 --bundled     # the bundled GloVe and MiniLM

--keys is the total; each seed's run gets --per-seed of them (default 2,000). A failure is
printed with its seed and last steps (rerun it alone with --seed S --keys N --per-seed N) and the
next seed goes on. Prints JSON: {"key_fuzzer": {"keys", "seeds", "seconds", "screens", "models", "failures"}}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"


def tiny_engine_maker(folder: Path):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    sys.path.insert(0, str(TESTS))
    from wordlens.core.engine import Engine
    from wordlens.core.transformer.context_model import load_context_model
    from wordlens.core.vectors.static_vectors import StaticVectors

    from conftest import TINY_WORDS, build_tiny_bert, tiny_matrix, write_tiny_tokenizer

    write_tiny_tokenizer(folder)
    build_tiny_bert().save_pretrained(str(folder))
    model = load_context_model(folder, device="cpu")
    vectors = StaticVectors(list(TINY_WORDS), tiny_matrix(), name="tiny")
    return lambda: Engine.from_loaded(vectors, model)


def bundled_engine_maker():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import loaded_engine

    engine = loaded_engine()
    return lambda: engine


async def run(args) -> dict:
    sys.path.insert(0, str(TESTS))
    from wordlens.tui.app import WordLensApp

    from fuzz_support import FuzzFailure, fuzz_once

    with tempfile.TemporaryDirectory() as folder:
        make_engine = bundled_engine_maker() if args.bundled else tiny_engine_maker(Path(folder) / "tiny")
        out = Path(folder) / "out"
        out.mkdir()
        screens: Counter[str] = Counter()
        done, seeds, failures, restarts, quits = 0, [], [], 0, []
        start = time.monotonic()
        seed = args.seed
        while done < args.keys:
            keys = min(args.per_seed, args.keys - done)
            try:
                report = await fuzz_once(lambda: WordLensApp(make_engine(), text="the queen is in the bank"),
                                         seed, keys, out)
            except FuzzFailure as error:  # noted; the next seed runs on a fresh app
                failures.append({"seed": seed, "error": str(error)})
                print(error, file=sys.stderr, flush=True)
                seeds.append(seed)
                seed += 1
                done += keys // 2  # keys pressed before it failed: not known here; counted as half
                continue
            done += report.keys
            restarts += report.restarts
            quits += report.quits
            seeds.append(seed)
            screens.update(report.screens)
            print(f"seed {seed}: {report.keys} keys, {report.seconds:.0f} s {report.seconds_by_step()} "
                  f"(total {done})", file=sys.stderr, flush=True)
            seed += 1
        return {"key_fuzzer": {"keys": done, "seeds": seeds, "seconds": round(time.monotonic() - start, 1),
                               "screens": dict(screens), "models": "bundled" if args.bundled else "tiny",
                               "restarts": restarts, "quits": quits, "failures": failures}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=5000, help="keys in total (default 5000)")
    parser.add_argument("--seed", type=int, default=1, help="the first seed; each run takes the next (default 1)")
    parser.add_argument("--per-seed", type=int, default=2000, help="keys per seed, on a fresh app (default 2000)")
    parser.add_argument("--bundled", action="store_true", help="the bundled models instead of the tiny ones")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result))
    return 1 if result["key_fuzzer"]["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
