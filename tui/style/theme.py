"""`wordlens`: a theme for recordings that sit on light and dark pages alike.

A mid-grey background (neither the page's white nor its black), text and accents of middling
saturation, every colour a step of the xterm 256-colour cube so a 256-colour terminal shows the
same picture. The heat map's empty step (#262626, tui/colors.py) stays darker than the background.
"""

from __future__ import annotations

from textual.theme import Theme

WORDLENS_THEME = Theme(
    name="wordlens",
    primary="#5fafd7",  # 74
    secondary="#87af5f",  # 107
    accent="#ffaf00",  # 214
    warning="#ffaf00",  # 214
    error="#ff5f5f",  # 203
    success="#87d787",  # 114
    foreground="#e4e4e4",  # 254
    background="#3a3a3a",  # 237
    surface="#444444",  # 238
    panel="#4e4e4e",  # 239
    dark=True,
)

THEMES = (WORDLENS_THEME,)
