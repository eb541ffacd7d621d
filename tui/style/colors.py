"""The heat colour map for attention weights and cosines.

Every step is a colour of the xterm 256-colour cube, so a terminal without truecolor (SSH
without COLORTERM) shows exactly the same 11 distinguishable steps as one with it.
"""

from __future__ import annotations

import math
from functools import cache

from rich.color import Color
from rich.style import Style

# Step 0 is "nothing" (a dark grey that still differs from the background); then dark violet
# to bright yellow, in rising lightness so the order reads even in greyscale.
HEAT_RAMP = (
    "#262626",  # 235
    "#00005f",  # 17
    "#5f0087",  # 54
    "#87005f",  # 89
    "#af005f",  # 125
    "#d7005f",  # 161
    "#ff5f00",  # 202
    "#ff8700",  # 208
    "#ffaf00",  # 214
    "#ffd700",  # 220
    "#ffff87",  # 228
)
LEVELS = len(HEAT_RAMP) - 1


def heat_level(value: float) -> int:
    """0 for (near) zero, then 1..10 on a square-root scale so small weights stay visible."""
    if not value > 0.002:  # also catches NaN
        return 0
    return max(1, min(LEVELS, math.ceil(math.sqrt(min(value, 1.0)) * LEVELS)))


@cache
def _level_style(level: int) -> Style:
    background = Color.parse(HEAT_RAMP[level])
    foreground = Color.parse("#000000" if level >= 6 else "#e4e4e4")
    return Style(color=foreground, bgcolor=background)


# With NO_COLOR set the same 11 steps are drawn as glyphs of rising ink.
GLYPH_RAMP = " ·:-=+*#%@█"


def glyph(value: float) -> str:
    return GLYPH_RAMP[heat_level(value)]


def heat_style(value: float) -> Style:
    return _level_style(heat_level(value))


def level_style(level: int) -> Style:
    return _level_style(level)


BAR_EIGHTHS = " ▏▎▍▌▋▊▉█"


def bar(fraction: float, width: int) -> str:
    """A horizontal bar of `width` cells filled to `fraction` (0..1), with eighth-cell precision."""
    if not fraction > 0:
        return " " * width
    eighths = round(min(fraction, 1.0) * width * 8)
    full, rest = divmod(eighths, 8)
    text = "█" * full + (BAR_EIGHTHS[rest] if rest else "")
    return text.ljust(width)


def heat_cells(values, cell_width: int, no_color: bool) -> list[tuple[str, Style]]:
    """One (text, style) cell per value in 0..1: a colour step, or its glyph under NO_COLOR."""
    if no_color:
        return [(glyph(float(value)) * cell_width, Style()) for value in values]
    return [(" " * cell_width, heat_style(float(value))) for value in values]
