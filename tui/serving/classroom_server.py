"""textual-serve's Server for a class: an access token, a cap on live sessions, loading in turns.

Each page's WebSocket starts one explorer process (textual-serve's AppService). This subclass
checks the token before anything is started, refuses pages beyond `max_sessions` with a page that
says so, lets explorers load `loading_slots` at a time (the others see "loading, N ahead of you"
in their terminal), and makes the heartbeat tolerant of a machine busy loading: the page's
WebSocket is closed only after `HEARTBEAT` seconds without an answer, not textual-serve's 15 / 2.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
from typing import Any

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from wordlens.tui.serving.access import redacted, token_matches
from wordlens.tui.serving.loaded_signal import LOADED_FD
from wordlens.tui.serving.loading_turns import LoadingTurns

HEARTBEAT = 60.0  # seconds between pings; aiohttp closes after half of it without a pong
TOKEN_ROUTE = "websocket_token"
HOST_HEADER = re.compile(r"[A-Za-z0-9.\-]+(:\d+)?|\[[0-9A-Fa-f:.]+\](:\d+)?")

FULL_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}: the class is full</title>
<style>body{{background:#0c181f;color:#eee;font-family:monospace;display:flex;align-items:center;
justify-content:center;height:100vh;margin:0}} main{{max-width:40em;text-align:center}}</style></head>
<body><main><h1>The class is full</h1>
<p>{title} is already open in {sessions} pages, as many as this machine is set to hold.</p>
<p>Try again in a minute, or ask your teacher.</p>
<p><button onclick="location.reload()">Try again</button></p></main></body></html>
"""
FORBIDDEN_TEXT = "wordlens serve: this page needs the class's link (with its ?token=...); ask your teacher\n"


class TokenRedactor(logging.Filter):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redacted(record.getMessage(), self.token)
        record.args = None
        return True


def textual_serve_environment(service_class: type[AppService]) -> dict[str, str]:
    """The environment textual-serve gives an app (its driver, colours), for the session forker:
    Textual reads it once, when imported."""
    service = service_class("", write_bytes=_nothing, write_str=_nothing, close=_nothing,
                            download_manager=None, debug=False)  # type: ignore[arg-type]
    environment = service._build_environment()
    for size in ("COLUMNS", "ROWS"):
        environment.pop(size, None)
    return environment


async def _nothing(*_: object) -> None:
    return None


class TurnTakingAppService(AppService):
    """An AppService whose explorer gets the write end of a pipe to say it has loaded, at lower priority
    than the server so a loading class cannot starve the server's answers."""

    loaded_write_fd: int | None = None

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        if self.loaded_write_fd is not None:
            environment[LOADED_FD] = str(self.loaded_write_fd)
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24):
        environment = self._build_environment(width=width, height=height)
        self._process = process = await asyncio.create_subprocess_shell(
            self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=environment,
            pass_fds=(self.loaded_write_fd,) if self.loaded_write_fd is not None else (),
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process


class ClassroomServer(Server):
    def __init__(self, command: str, *, host: str, port: int, title: str, token: str | None,
                 max_sessions: int | None, loading_slots: int) -> None:
        super().__init__(command, host=host, port=port, title=title)
        self.token = token
        self.max_sessions = max_sessions
        self.turns = LoadingTurns(loading_slots)
        self.sessions = 0

    def initialize_logging(self) -> None:
        super().initialize_logging()
        if self.token:
            redactor = TokenRedactor(self.token)
            for handler in logging.getLogger().handlers:
                handler.addFilter(redactor)

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.router.add_get("/ws/{token}", self.handle_websocket, name=TOKEN_ROUTE)
        return app

    @property
    def full(self) -> bool:
        return self.max_sessions is not None and self.sessions >= self.max_sessions

    def _allowed(self, given: str | None) -> bool:
        return self.token is None or token_matches(given, self.token)

    async def handle_index(self, request: web.Request) -> Any:
        if not self._allowed(request.query.get("token")):
            raise web.HTTPForbidden(text=FORBIDDEN_TEXT)
        if self.full:
            page = FULL_PAGE.format(title=html.escape(self.title), sessions=self.sessions)
            return web.Response(text=page, content_type="text/html", status=503, headers={"Retry-After": "60"})
        # The page's URLs name the host the browser reached, not the address listened on (0.0.0.0 is no
        # address to a student's browser); handle_index reads public_url before its first await.
        if HOST_HEADER.fullmatch(request.host):  # it goes into the page unescaped
            self.public_url = f"{request.scheme}://{request.host}"
        response = await super().handle_index(request)
        if self.token is not None:  # the page's WebSocket carries the token in its path
            body = response.text.replace(
                self._websocket_url(request, "websocket"), self._websocket_url(request, TOKEN_ROUTE))
            response.text = body
        return response

    def _websocket_url(self, request: web.Request, route: str) -> str:
        parts = {"token": self.token} if route == TOKEN_ROUTE else {}
        url = f"{self.public_url}{request.app.router[route].url_for(**parts)}"
        return ("wss:" if self.public_url.startswith("https") else "ws:") + url.split(":", 1)[1]

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if not self._allowed(request.match_info.get("token")):
            raise web.HTTPForbidden(text=FORBIDDEN_TEXT)
        websocket = web.WebSocketResponse(heartbeat=HEARTBEAT)
        await websocket.prepare(request)
        if self.full:
            await websocket.send_bytes(_terminal_text(
                f"The class is full ({self.sessions} pages open). Try again in a minute."))
            await websocket.close()
            return websocket
        self.sessions += 1
        try:
            await self._run_session(request, websocket)
        finally:
            self.sessions -= 1
        return websocket

    async def _run_session(self, request: web.Request, websocket: web.WebSocketResponse) -> None:
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        session = _Session(websocket)
        reading = asyncio.create_task(session.read_messages())
        waiting = asyncio.create_task(self.turns.wait(session.show_ahead))
        await asyncio.wait([reading, waiting], return_when=asyncio.FIRST_COMPLETED)
        if not waiting.done():  # the page closed while it waited
            waiting.cancel()
            await asyncio.gather(waiting, return_exceptions=True)
            return
        read_fd, write_fd = os.pipe()
        app_service = TurnTakingAppService(
            self.command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
            close=websocket.close, download_manager=self.download_manager, debug=self.debug)
        app_service.loaded_write_fd = write_fd
        holding: asyncio.Task[None] | None = None
        try:
            await app_service.start(width, height)
            holding = asyncio.create_task(self.turns.hold_until_loaded(read_fd))
            session.app_service = app_service
            await reading
        except Exception as error:
            logging.getLogger("textual-serve").exception(error)
        finally:
            os.close(write_fd)
            reading.cancel()
            await app_service.stop()
            if holding is None:
                os.close(read_fd)
                self.turns.end_turn()
            else:
                await holding


class _Session:
    """One page's WebSocket: its messages go to the explorer once it runs; until then pings are answered."""

    def __init__(self, websocket: web.WebSocketResponse) -> None:
        self.websocket = websocket
        self.app_service: AppService | None = None
        self._shown_ahead: int | None = None

    def show_ahead(self, count: int) -> None:
        if count != self._shown_ahead:
            self._shown_ahead = count
            asyncio.ensure_future(self.websocket.send_bytes(
                _terminal_text(f"wordlens: loading, {count} ahead of you", clear=True)))

    async def read_messages(self) -> None:
        async for message in self.websocket:
            if message.type != web.WSMsgType.TEXT:
                continue
            envelope = message.json()
            kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
            app = self.app_service
            if kind == "ping":
                await self.websocket.send_json(["pong", data])
            elif app is None:
                continue  # typing and resizing before the explorer starts: it starts at the page's size
            elif kind == "stdin":
                await app.send_bytes(data.encode("utf-8"))
            elif kind == "resize":
                await app.set_terminal_size(data["width"], data["height"])
            elif kind == "blur":
                await app.blur()
            elif kind == "focus":
                await app.focus()


def _terminal_text(text: str, clear: bool = False) -> bytes:
    return (b"\x1b[2J\x1b[H" if clear else b"") + b"\r\n  " + text.encode() + b"\r\n"
