"""The `wordlens` command (main.py). Importing it defers numpy's import (tui/deferred_imports.py) before
main.py imports the engine: the explorer paints its first frame, then loads numpy; main() loads it
at once for every other command."""

from wordlens.tui.deferred_imports import defer_numpy

defer_numpy()
