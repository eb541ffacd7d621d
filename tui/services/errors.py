"""How a background service words an error for the user: ours as written, a third party's by type."""

from __future__ import annotations

from wordlens.core.errors import WordlensError, first_line


def describe(error: Exception) -> str:
    if isinstance(error, WordlensError):
        return str(error)
    return f"{type(error).__name__}: {first_line(error)}"
