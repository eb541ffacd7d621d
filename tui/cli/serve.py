"""`wordlens serve`: the explorer in a web browser, through textual-serve.

Each browser tab that connects starts its own `wordlens` process (with the same models and
options) whose terminal output textual-serve streams to an xterm.js terminal in the page.
Reachable from other machines (a --host that is not loopback), a page needs the class's access
token; see tui/serving/classroom_server.py for the token, --max-sessions and loading in turns.
"""

from __future__ import annotations

import os
import select
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wordlens.core.engine import Sources
from wordlens.core.errors import WordlensError
from wordlens.tui.serving.access import is_loopback, new_token, share_url

WHOLE_PROCESSES = "WORDLENS_SERVE_WHOLE_PROCESSES"  # "1": no session forker, every page a whole explorer
EXPLORER_NICENESS = 5  # explorers yield to the server, so its heartbeat answers while a class loads


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


def access_token(host: str, token: str | None, no_token: bool) -> str | None:
    """The token pages must carry: none on loopback or with --no-token, else the given or a new one."""
    if no_token:
        if token is not None:
            raise WordlensError("--token and --no-token: give one or the other")
        return None
    if token is not None:
        if not token.strip() or any(not (c.isalnum() or c in "-_.~") for c in token):
            raise WordlensError("--token: use letters, digits and - _ . ~ only (it goes in a URL)")
        return token
    return None if is_loopback(host) else new_token()


def serve(sources: Sources, host: str, port: int, text: str = "", *, token: str | None = None,
          no_token: bool = False, max_sessions: int | None = None) -> None:
    from wordlens.tui.serving.classroom_server import ClassroomServer

    required = access_token(host, token, no_token)
    if not is_loopback(host):
        if required is None:
            print(f"wordlens: serving on {host} with no token: anyone who can reach this port can use "
                  "the explorer (it runs on this machine)", file=sys.stderr)
        else:
            print(f"wordlens: share this link with the class (only pages opened with it get in):\n"
                  f"  {share_url(host, port, required)}", file=sys.stderr)
    with session_forker() as forker_socket:
        command = f"exec nice -n {EXPLORER_NICENESS} {session_command(forker_socket, sources, text)}"
        server = ClassroomServer(command, host=host, port=port, title="wordlens", token=required,
                                 max_sessions=max_sessions, loading_slots=os.cpu_count() or 1)
        try:
            server.serve()
        except OSError as error:  # the port is taken, or the address is not this machine's
            raise WordlensError(f"cannot serve on {host}:{port}: {error.strerror or error}") from None


def session_command(forker_socket: Path | None, sources: Sources, text: str) -> str:
    """Each page's command: a fork of the session forker when it runs, else a whole new explorer."""
    if forker_socket is None:
        return explorer_command(sources, text)
    arguments = shlex.split(explorer_command(sources, text))[3:]  # after python -m wordlens.tui.cli.main
    return shlex.join([sys.executable, "-m", "wordlens.tui.serving.session_client", str(forker_socket),
                       *arguments])


@contextmanager
def session_forker(timeout: float = 60.0) -> Iterator[Path | None]:
    """The session forker (tui/serving/forker.py) running on a private socket; None if it did not start."""
    from textual_serve.app_service import AppService

    from wordlens.tui.serving.classroom_server import textual_serve_environment

    if os.environ.get(WHOLE_PROCESSES) == "1":  # benchmarks/serve.py --whole-processes: the old way, to compare
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="wordlens-serve-"))
    socket_path = folder / "sessions"
    forker = subprocess.Popen(
        [sys.executable, "-m", "wordlens.tui.serving.forker", str(socket_path)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=textual_serve_environment(AppService))
    try:
        ready = forker.stdout is not None and _ready_within(forker, timeout)
        if not ready:
            print("wordlens: the session forker did not start; each page starts its own explorer",
                  file=sys.stderr)
        yield socket_path if ready else None
    finally:
        forker.terminate()
        try:
            forker.wait(timeout=5)
        except subprocess.TimeoutExpired:
            forker.kill()
        shutil.rmtree(folder, ignore_errors=True)


def _ready_within(forker: subprocess.Popen, timeout: float) -> bool:
    assert forker.stdout is not None
    ready, _, _ = select.select([forker.stdout], [], [], timeout)
    return bool(ready) and forker.stdout.readline().strip() == b"ready"
