"""Peak memory of a process that loads both bundled models through the Engine and analyses a sentence.

Peak resident set size from getrusage (ru_maxrss: kilobytes on Linux, bytes on macOS), in MB
(2**20 bytes). Run it as its own process (benchmarks/run.py does) so nothing else counts.
Prints JSON: {"rss_mb": ...}.
"""

from __future__ import annotations

import json
import resource
import sys

from common import loaded_engine

SENTENCE = "France is a country, it is in Europe"


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def main() -> int:
    engine = loaded_engine()
    analysis = engine.analyze(SENTENCE)
    if analysis.static is None or analysis.context is None:
        sys.exit("memory: the analysis is missing a part")
    print(json.dumps({"rss_mb": round(peak_rss_mb(), 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
