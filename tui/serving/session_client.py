"""One session's command under serve: hand this process's terminal pipes to the session forker.

`python -m wordlens.tui.serving.session_client SOCKET ARGS...` sends stdin, stdout, stderr (and the
loaded-signal pipe, if serve gave one) with ARGS and the environment to the forker, then waits for
the explorer's exit code and exits with it. Without a forker it runs the explorer itself.
Imports only the standard library: it starts in milliseconds.
"""

from __future__ import annotations

import json
import os
import socket
import sys

LOADED_FD = "WORDLENS_LOADED_FD"


def run(socket_path: str, argv: list[str]) -> int:
    targets = [0, 1, 2]
    if os.environ.get(LOADED_FD, "").isdigit():
        targets.append(int(os.environ[LOADED_FD]))
    request = {"argv": argv, "env": dict(os.environ), "cwd": os.getcwd(), "fds": targets,
               "nice": os.nice(0)}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        try:
            connection.connect(socket_path)
            socket.send_fds(connection, [json.dumps(request).encode()], targets)
        except OSError:
            os.execv(sys.executable, [sys.executable, "-m", "wordlens.tui.cli.main", *argv])
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while not answer.endswith(b"\n") and (chunk := connection.recv(64)):
            answer += chunk
    return int(answer) if answer.strip().lstrip(b"-").isdigit() else 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1], sys.argv[2:]))
