"""The explorer's side of serve's loading turns: say once that the models are loaded.

serve hands each explorer it starts the write end of a pipe, named by WORDLENS_LOADED_FD; writing
to it ends this session's loading turn. A plain `wordlens` has no such variable: nothing happens.
"""

from __future__ import annotations

import os

LOADED_FD = "WORDLENS_LOADED_FD"


def announce_loaded() -> None:
    fd = os.environ.pop(LOADED_FD, None)
    if fd is None:
        return
    try:
        os.write(int(fd), b"loaded\n")
        os.close(int(fd))
    except (OSError, ValueError):
        pass  # serve has gone, or the variable is not ours: the turn ends with the process anyway
