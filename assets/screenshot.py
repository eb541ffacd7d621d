"""Regenerate assets/screenshots/*.svg (and .png, drawn by chromium, else rsvg-convert) from the tapes in assets/demos.

usage: python assets/screenshot.py [TAPE ...] [--out DIR]

Every tape is replayed headless in the real explorer on the models it names (`model NAME`; else the
bundled ones; each loaded once for all its tapes), exactly as `wordlens play TAPE --screenshots DIR`
would. A tape that fails is reported and the others still run; the exit status is 1 if any failed.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from wordlens.core.engine import Engine, Sources
from wordlens.core.errors import WordlensError
from wordlens.core.tape import read_tape
from wordlens.tui.config import Config
from wordlens.tui.demo.play import play
from wordlens.tui.launch import make_app

HERE = Path(__file__).resolve().parent
FAST = 50.0  # typing delays and sleeps are for viewers: screenshots do not need them
# Not the user's config: the pictures are the same on every machine, in the theme made for them.
PICTURES = Config(theme="wordlens")


def regenerate(tapes: list[Path], out: Path) -> list[str]:
    """Play each tape; return one message per failure."""
    engines: dict[str | None, Engine] = {}
    failures = []
    for tape_path in tapes:
        try:
            tape = read_tape(tape_path)
            engine = engines.setdefault(tape.model, Engine.from_sources(Sources(model=tape.model)))
            app = make_app(engine, PICTURES)
            player = play(app, tape, screenshots=out, speed=FAST)
            if player.error is not None:
                raise player.error
        except WordlensError as error:
            failures.append(str(error))
            print(f"FAILED {tape_path.name}: {error}", file=sys.stderr)
            continue
        for svg in player.saved:
            print(svg)
            to_png(svg)
    return failures


CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
]


def to_png(svg: Path) -> None:
    """Chromium draws Textual's SVG faithfully; rsvg-convert drops the spaces that start a
    styled run of text ("it  nearest" becomes "itnearest"), so it is only the fallback."""
    png = svg.with_suffix(".png")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:
        width, height = _svg_size(svg)
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(
                [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
                 f"--window-size={width},{height}", svg.resolve().as_uri()],
                check=True, capture_output=True,
            )
    elif shutil.which("rsvg-convert"):
        subprocess.run(["rsvg-convert", str(svg), "-o", str(png)], check=True)


def _svg_size(svg: Path) -> tuple[int, int]:
    """The pixel size of the SVG's viewBox, rounded up."""
    match = re.search(r'viewBox="([\d. ]+)"', svg.read_text(encoding="utf-8"))
    _, _, width, height = (float(number) for number in match.group(1).split())
    return math.ceil(width), math.ceil(height)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tapes", nargs="*", type=Path, help="tapes to play (default: assets/demos/*.tape)")
    parser.add_argument("--out", type=Path, default=HERE / "screenshots")
    args = parser.parse_args()
    tapes = args.tapes or sorted((HERE / "demos").glob("*.tape"))
    return 1 if regenerate(tapes, args.out) else 0


if __name__ == "__main__":
    sys.exit(main())
