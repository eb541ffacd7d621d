"""The session forker: one process imports what every explorer imports, once; each session is a fork of it.

A session's command is the small client in session_client.py: it sends its stdin, stdout and
stderr (textual-serve's pipes) over a unix socket with the explorer's arguments and environment;
the forker forks, and the child puts those descriptors in place and runs `wordlens` main. The
imported modules (torch alone is ~140 MB of private memory in every process) are then pages the
children share copy-on-write: gc.freeze() keeps the collector from writing to them.

Nothing here runs a torch operation: that would start its thread pools, which a fork does not copy.
"""

from __future__ import annotations

import gc
import json
import os
import selectors
import signal
import socket
import sys
from pathlib import Path

MAX_FDS = 8
MAX_REQUEST = 1 << 20
PRELOADED = (
    "numpy", "torch", "tokenizers", "safetensors.torch",
    "textual.app", "textual.drivers.web_driver",
    "wordlens.core.engine", "wordlens.core.transformer.bert_runtime", "wordlens.core.transformer.llama_runtime",
    "wordlens.core.vectors.static_vectors", "wordlens.core.vectors.vocabulary_index",
    "wordlens.tui.app", "wordlens.tui.launch", "wordlens.tui.cli.main",
)


def preload() -> None:
    import importlib

    for name in PRELOADED:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()


def serve_sessions(socket_path: Path) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(socket_path))
    os.chmod(socket_path, 0o600)
    listener.listen(64)
    sessions: dict[int, socket.socket] = {}  # child pid -> its client's connection
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: end_sessions(sessions))
    selector.register(wake_read, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select(timeout=1.0):
            if key.fileobj is listener:
                connection, _ = listener.accept()
                pid = start_session(connection, [listener, selector, wake_read, wake_write, *sessions.values()])
                if pid is None:
                    connection.close()
                else:
                    sessions[pid] = connection
            else:
                os.read(wake_read, 4096)
        reap(sessions)


def end_sessions(sessions: dict[int, socket.socket]) -> None:
    """serve is stopping: so do the explorers (each would also end when its page's pipes close)."""
    for pid in sessions:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    os._exit(0)


def reap(sessions: dict[int, socket.socket]) -> None:
    while sessions:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = sessions.pop(pid, None)
        if connection is not None:
            try:
                connection.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
            except OSError:
                pass  # the client has gone; its pipes went with the child
            connection.close()


def start_session(connection: socket.socket, forkers_own: list) -> int | None:
    """Fork an explorer for the client on this connection; the child keeps none of the forker's sockets
    (another client's connection left open in it would keep that client waiting)."""
    try:
        message, fds, _, _ = socket.recv_fds(connection, MAX_REQUEST, MAX_FDS)
        request = json.loads(message)
    except (OSError, ValueError):
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        for own in [connection, *forkers_own]:
            if isinstance(own, int):
                os.close(own)
            else:
                own.close()
        run_explorer(request, fds)  # never returns
    for fd in fds:
        os.close(fd)
    return pid


def run_explorer(request: dict, fds: list[int]) -> None:
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        import fcntl

        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 256) for fd in fds]  # above every target
        for fd in fds:
            os.close(fd)
        for fd, target in zip(high, request["fds"], strict=True):
            os.dup2(fd, target)  # inheritable, as the client's were
            os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        os.nice(max(0, int(request.get("nice", 0)) - os.nice(0)))
        from wordlens.tui.cli.main import main

        sys.argv = ["wordlens", *request["argv"]]
        code = main(request["argv"])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main() -> None:
    socket_path = Path(sys.argv[1])
    preload()
    print("ready", flush=True)
    serve_sessions(socket_path)


if __name__ == "__main__":
    main()
