"""Replay a tape (wordlens.core.tape) in the real explorer: headless to write screenshots,
or visible so a screen recorder can capture it.

Waits are on the app's state, never on guessed sleeps: `wait` and `screenshot` return once the
app shows a complete analysis of the sentence line's current text and no worker is running.
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
from pathlib import Path

from textual.keys import REPLACED_KEYS, Keys, _get_unicode_name_from_key
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerState

from wordlens.core.tape import (
    DEFAULT_DELAY,
    Caption,
    Delay,
    Press,
    Quit,
    Screenshot,
    Size,
    Sleep,
    Tape,
    TapeError,
    Type,
    Wait,
)
from wordlens.tui.demo.caption import Captions
from wordlens.tui.demo.cast import Recording, recording_driver
from wordlens.tui.uses_state import UsesStatus, uses_question

DEFAULT_SIZE = (120, 36)
SETTLE_TIMEOUT = 300.0  # seconds: loading the bundled models on a busy machine takes tens
_MODIFIERS = {"ctrl", "shift", "alt", "meta", "super", "hyper"}
_KEY_NAMES = {key.value for key in Keys}


def is_key_name(key: str) -> bool:
    """A key Textual knows: a character, a named key (tab, f1...), a character's name (comma)."""
    *modifiers, base = key.split("+") if len(key) > 1 else [key]
    if any(modifier not in _MODIFIERS for modifier in modifiers):
        return False
    if len(base) == 1 or base in _KEY_NAMES:
        return True
    try:
        return len(unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(base, base)))) == 1
    except KeyError:
        return False


def check_keys(tape: Tape) -> None:
    for step in tape.steps:
        if isinstance(step, Press):
            for key in step.keys:
                if not is_key_name(key):
                    raise TapeError(f"{tape.where(step)}: unknown key {key!r} (e.g. tab, enter, down, ctrl+s, b)")


def shows_current_analysis(app) -> bool:
    """The app shows the complete analysis of the sentence line's text and computes nothing."""
    analysis = app.view.analysis
    if analysis is None or not analysis.complete:
        return False
    if analysis.text != app.screen_stack[0].query_one("#text", Input).value:
        return False
    if app.computing or not shows_current_uses(app):
        return False
    if not all(getattr(screen, "settled", True) for screen in app.screen_stack):  # a lesson step being placed
        return False
    return not any(worker.state in (WorkerState.PENDING, WorkerState.RUNNING) for worker in app.workers)


def shows_current_uses(app) -> bool:
    """The uses pane, when shown with its index ready, holds the answer for the focused token here."""
    uses = app.uses
    if not uses.shown or uses.status is not UsesStatus.READY or uses.index is None:
        return True
    question = uses_question(app.view)
    if question is None or question.layer not in uses.index.layers:
        return True
    return uses.answer is not None and uses.answer.question == question


FOCUS_POLLS = 250  # x 20 ms: 5 s at most


class TapePlayer:
    """Runs a tape's steps through a Pilot; `error` holds what stopped it, if anything."""

    def __init__(self, tape: Tape, screenshots: Path | None, speed: float = 1.0, headless: bool = True,
                 recording: Recording | None = None) -> None:
        self.tape = tape
        self.screenshots = screenshots
        self.speed = speed
        self.headless = headless
        self.recording = recording  # drawn into a recording: sized and ended as a headless replay is
        self.error: TapeError | None = None
        self.saved: list[Path] = []
        self.captions: Captions | None = None

    @property
    def unattended(self) -> bool:
        """No terminal to hand back to a viewer: the replay resizes itself and quits at the end."""
        return self.headless or self.recording is not None

    async def __call__(self, pilot: Pilot) -> None:
        app = pilot.app
        try:
            await self._play(pilot)
        except TapeError as error:
            self.error = error
            app.exit(return_code=2)
            return
        if self.unattended:
            app.exit()

    async def _play(self, pilot: Pilot) -> None:
        delay = DEFAULT_DELAY
        self.captions = Captions(pilot.app)
        # The pilot may start before the first screen has focused its sentence line; a key sent
        # then reaches no widget and is lost (the tape's first typed character was).
        for _ in range(FOCUS_POLLS):
            if pilot.app.focused is not None:
                break
            await pilot.pause(0.02)
        for step in self.tape.steps:
            if pilot.app.return_code is not None:  # the app is leaving (a load failed, q was pressed)
                return
            where = self.tape.where(step)
            if isinstance(step, Size):
                await self._resize(pilot, step.columns, step.rows)
            elif isinstance(step, Delay):
                delay = step.seconds
            elif isinstance(step, Type):
                for character in step.text:
                    await pilot.press(character)
                    await self._sleep(delay)
            elif isinstance(step, Press):
                await self._wait(pilot, where)
                await pilot.press(*step.keys)
            elif isinstance(step, Wait):
                await self._wait(pilot, where)
            elif isinstance(step, Sleep):
                await self._sleep(step.seconds)
            elif isinstance(step, Screenshot):
                await self._screenshot(pilot, step.name, where)
            elif isinstance(step, Caption):
                self.captions.show(step.text)
                await pilot.pause()
            elif isinstance(step, Quit):
                pilot.app.exit()
                return

    async def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds / self.speed)

    async def _wait(self, pilot: Pilot, where: str) -> None:
        app = pilot.app
        deadline = time.monotonic() + SETTLE_TIMEOUT
        building = None
        await pilot.pause()
        while not shows_current_analysis(app):
            if app.return_code is not None:
                return
            if app.uses.status is UsesStatus.LOADING and (app.uses.stage, app.uses.fraction) != building:
                # a uses index being built (minutes, once) moves on: the timeout is for a stuck app
                building = (app.uses.stage, app.uses.fraction)
                deadline = time.monotonic() + SETTLE_TIMEOUT
            if time.monotonic() > deadline:
                raise TapeError(f"{where}: the app did not show the analysis within {SETTLE_TIMEOUT:.0f}s")
            await pilot.pause(0.02)
        await pilot.wait_for_scheduled_animations()

    async def _resize(self, pilot: Pilot, columns: int, rows: int) -> None:
        if self.unattended:
            if self.recording is not None:
                self.recording.resize(columns, rows)
            await pilot.resize_terminal(columns, rows)
        else:
            # Ask the terminal to resize itself (xterm's window operation; many terminals
            # ignore it): Textual then receives the new size as usual.
            pilot.app._driver.write(f"\x1b[8;{rows};{columns}t")
            await pilot.pause()

    async def _screenshot(self, pilot: Pilot, name: str, where: str) -> None:
        await self._wait(pilot, where)
        if self.screenshots is None:
            return
        await pilot.pause()
        path = self.screenshots / f"{name}.svg"
        try:
            pilot.app.save_screenshot(filename=path.name, path=str(self.screenshots))
        except OSError as error:
            raise TapeError(f"{where}: cannot write {path}: {error.strerror or error}") from None
        self.saved.append(path)


def play(app, tape: Tape, screenshots: Path | None = None, speed: float = 1.0, cast: Path | None = None) -> TapePlayer:
    """Replay `tape` in `app`: headless (writing screenshots) when `screenshots` is given, into an
    asciicast recording when `cast` is (screenshots too, if also given), else in this terminal.
    Returns the player: its `error` and `saved` screenshots."""
    check_keys(tape)
    if speed <= 0:
        raise TapeError("--speed must be above 0")
    for folder in (screenshots, cast.parent if cast is not None else None):
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise TapeError(f"cannot create {folder}: {error.strerror or error}") from None
    if cast is not None:
        return _record(app, tape, screenshots, speed, cast)
    player = TapePlayer(tape, screenshots, speed, headless=screenshots is not None)
    if player.headless:
        app.run(headless=True, size=tape.size or DEFAULT_SIZE, auto_pilot=player)
    else:
        size = tape.size
        if size is not None:
            print(f"\x1b[8;{size[1]};{size[0]}t", end="", flush=True)
        app.run(auto_pilot=player)
    return player


def _record(app, tape: Tape, screenshots: Path | None, speed: float, cast: Path) -> TapePlayer:
    """Replay on a driver that draws into a recording, then write it to `cast` (asciicast v2)."""
    columns, rows = tape.size or DEFAULT_SIZE
    recording = Recording(columns, rows, title=Path(tape.name).stem)
    player = TapePlayer(tape, screenshots, speed, headless=False, recording=recording)
    app.driver_class = recording_driver(recording)
    app.run(size=(columns, rows), auto_pilot=player)
    try:
        recording.write(cast)
    except OSError as error:
        raise TapeError(f"cannot write {cast}: {error.strerror or error}") from None
    return player
