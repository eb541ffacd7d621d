"""`wordlens serve`: the explorer in a web browser, through textual-serve.

Each browser tab that connects starts its own `wordlens` process (with the same models and
options) whose terminal output textual-serve streams to an xterm.js terminal in the page.
"""

from __future__ import annotations

import shlex
import sys

from wordlens.core.engine import Sources
from wordlens.core.errors import WordlensError

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def explorer_command(sources: Sources, text: str = "") -> str:
    """The shell command that opens the explorer with these sources, for textual-serve to run."""
    args = [sys.executable, "-m", "wordlens.tui.cli.main"]
    if sources.vectors:
        args += ["--vectors", sources.vectors]
    if sources.model:
        args += ["--model", sources.model]
    if sources.device != "auto":
        args += ["--device", sources.device]
    if sources.allow_pickle:
        args.append("--allow-pickle")
    if sources.trust_remote_code:
        args.append("--trust-remote-code")
    if text:
        args += ["--text", text]
    return shlex.join(args)


def serve(sources: Sources, host: str, port: int, text: str = "") -> None:
    from textual_serve.server import Server

    if host not in LOCAL_HOSTS:
        print(f"wordlens: serving on {host}: anyone who can reach this port can use the explorer "
              "(it runs on this machine)", file=sys.stderr)
    try:
        Server(explorer_command(sources, text), host=host, port=port, title="wordlens").serve()
    except OSError as error:  # the port is taken, or the address is not this machine's
        raise WordlensError(f"cannot serve on {host}:{port}: {error.strerror or error}") from None
