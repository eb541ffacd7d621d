"""The class's access token: who may open a page when serve is reachable from other machines."""

from __future__ import annotations

import hmac
import secrets
import socket

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
ANY_ADDRESS = frozenset({"", "0.0.0.0", "::"})
SHOWN_CHARACTERS = 4  # of a token in anything logged: enough to tell two apart, too few to use


def is_loopback(host: str) -> bool:
    return host in LOCAL_HOSTS or host.startswith("127.")


def new_token() -> str:
    return secrets.token_urlsafe(16)


def token_matches(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def redacted(text: str, token: str) -> str:
    """The text with the token cut to its first characters."""
    return text.replace(token, token[:SHOWN_CHARACTERS] + "…") if token else text


def share_url(host: str, port: int, token: str | None) -> str:
    """The link to give the class; for every address (0.0.0.0, ::), this machine's address on its network."""
    if host in ANY_ADDRESS:
        host = this_machines_address()
    address = f"[{host}]" if ":" in host else host
    return f"http://{address}:{port}/" + (f"?token={token}" if token else "")


def this_machines_address() -> str:
    """The address other machines reach this one at (the outgoing interface's; no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routes like the outside world, never answers
            return str(probe.getsockname()[0])
    except OSError:
        return socket.gethostname()
