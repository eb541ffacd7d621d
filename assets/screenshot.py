"""Save an SVG (and PNG when rsvg-convert is installed) of wordlens on the bundled models.

usage: python assets/screenshot.py OUT.svg [--size 120x36] [--text TEXT] [--keys KEY ...]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
from pathlib import Path

from wordlens.core.engine import Engine, Sources
from wordlens.tui.app import WordLensApp


async def shoot(out: Path, size: tuple[int, int], text: str, keys: list[str]) -> None:
    app = WordLensApp(Engine.from_sources(Sources()), text=text)
    async with app.run_test(size=size) as pilot:
        while not (app.view.analysis and app.view.analysis.complete and app.view.analysis.text == text):
            await pilot.pause(0.05)
        for key in keys:
            await pilot.press(key)
        await pilot.pause(0.3)
        app.save_screenshot(str(out))
    if shutil.which("rsvg-convert"):
        subprocess.run(["rsvg-convert", str(out), "-o", str(out.with_suffix(".png"))], check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", default="120x36")
    parser.add_argument("--text", default="France is a country, it is in Europe")
    parser.add_argument("--keys", nargs="*", default=[])
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    asyncio.run(shoot(args.out, (width, height), args.text, args.keys))


if __name__ == "__main__":
    main()
