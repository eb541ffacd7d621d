"""End to end over a real SSH connection on loopback: an OpenSSH server of the test's own (free
port on 127.0.0.1, a temporary host key, a key pair made here), a client in tmux with
TERM=xterm-256color, wordlens on the far side. A sentence typed through SSH is analysed.

Skipped only when sshd, ssh or ssh-keygen is not installed (`.ci/run` installs openssh-server).
"""

from __future__ import annotations

import getpass
import os
import re
import shlex
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from test_e2e_tmux import (
    EXIT_MARK,
    LOAD_TIMEOUT,
    SENTENCE,
    analysis_shown,
    header,
    models_loaded,
)

pytestmark = pytest.mark.e2e

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, server: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"sshd exited with {server.returncode}: {server.stderr.read().decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"sshd did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


class SshServer:
    """sshd -D on 127.0.0.1:<free port>, configured only by files in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.user = getpass.getuser()
        self.client_key = folder / "client_key"
        host_key = folder / "host_key"
        for key in (host_key, self.client_key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        authorized = folder / "authorized_keys"
        authorized.write_text((folder / "client_key.pub").read_text())
        authorized.chmod(0o600)
        config = folder / "sshd_config"
        config.write_text("\n".join([
            f"Port {self.port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {host_key}",
            f"AuthorizedKeysFile {authorized}",
            f"PidFile {folder / 'sshd.pid'}",
            "StrictModes no",  # the temporary folder's owner and modes are the test's
            "UsePAM no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            "PermitRootLogin prohibit-password",
            "PrintMotd no",
            "PrintLastLog no",
            "LogLevel ERROR",
            "",
        ]))
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # the privilege separation folder
        self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_for_port(self.port, self.process)

    def client_command(self, remote: str) -> str:
        options = [
            "-tt", "-p", str(self.port), "-i", str(self.client_key),
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", f"UserKnownHostsFile={self.folder / 'known_hosts'}", "-o", "LogLevel=ERROR",
        ]
        return " ".join(["ssh", *map(shlex.quote, options), shlex.quote(f"{self.user}@127.0.0.1"), shlex.quote(remote)])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def ssh_server(tmp_path):
    missing = [name for name, found in (("sshd", SSHD), ("ssh", shutil.which("ssh")),
                                        ("ssh-keygen", shutil.which("ssh-keygen")), ("tmux", shutil.which("tmux")))
               if not found]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (Debian: openssh-server, openssh-client, tmux)")
    server = SshServer(tmp_path)
    try:
        yield server
    finally:
        server.stop()


def test_wordlens_over_ssh_types_a_sentence_and_quits(ssh_server, terminal):
    # The far side starts from sshd's clean environment: TERM comes from the client's pty request.
    remote = f"echo REMOTE-TERM=$TERM; sleep 1; exec {shlex.quote(terminal.wordlens)}"
    client = f"env -u COLUMNS -u LINES TERM=xterm-256color {ssh_server.client_command(remote)}"
    terminal.tmux("new-session", "-d", "-x", "100", "-y", "30", "-s", terminal.session,
                  f"{client}; echo WORDLENS-EXIT=$?; sleep 600")
    terminal.wait_for(lambda screen: "REMOTE-TERM=xterm-256color" in screen or header(screen).strip(),
                      "the remote shell or the first frame")
    terminal.wait_for(models_loaded, "both models loaded on the far side", timeout=LOAD_TIMEOUT)

    terminal.type(SENTENCE)
    screen = terminal.wait_for(analysis_shown, "the analysis of the sentence typed through SSH")
    assert SENTENCE in screen
    assert max(len(line) for line in screen.splitlines()) == 100  # drawn at the client's window size
    colours = terminal.tmux("capture-pane", "-p", "-e", "-t", terminal.session)
    assert re.search(r"\x1b\[[0-9;]*38;5;\d+", colours), "no 256-colour codes: TERM did not reach wordlens"

    terminal.press("C-q")
    screen = terminal.wait_for(lambda screen: EXIT_MARK.search(screen) is not None, "the SSH session to end",
                               exiting=True)
    assert EXIT_MARK.search(screen).group(1) == "0", screen
