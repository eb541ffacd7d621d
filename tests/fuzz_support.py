"""A seeded key fuzzer for the explorer: random keys, text, pastes and resizes through Pilot.

The keys come from the bindings of whatever screen is on top (its widgets', its own and the App's,
found at run time), so a screen added later is fuzzed with its own keys without a change here.
A run is reproducible from its seed; a failure names the seed and the last steps.

Used by tests/test_key_fuzzer.py (a short run in CI) and benchmarks/key_fuzzer.py (long runs).
"""

from __future__ import annotations

import random
import time
import unicodedata
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

from textual import events
from textual.binding import Binding
from textual.keys import _character_to_key  # the name Pilot gives a typed character

# Never pressed: they end the run (quitting is tested elsewhere), or suspend the process.
ENDING_ACTIONS = frozenset({"quit", "app.quit", "suspend_process", "app.suspend_process"})
ENDING_KEYS = frozenset({"ctrl+q", "ctrl+c", "ctrl+z"})
# Keys every screen may receive although no binding names them: what a user's fingers find.
COMMON_KEYS = ("tab", "shift+tab", "escape", "enter", "up", "down", "left", "right", "home", "end", "pageup",
               "pagedown", "backspace", "delete", "space", "ctrl+p", "f1", "ctrl+a", "ctrl+e", "ctrl+k")
# Text a user may type or paste: the tiny models' words, markup look-alikes, wide and combining
# characters, digits and punctuation.
WORDS = ("the", "queen", "bank", "river", "france", "is", "a", "country", "it", "walks", "quickly", "café",
         "東京", "naïve", "[CLS]", "[SEP]", "[bold]", "[/]", "[link=x]", "0", "12", "-", ",", ".", "?", "'",
         "king", "woman", "man", "zzzz", "e\u0301", "\U0001f600", "~/", "/tmp/x", "..")
CHARACTERS = "abcdefghijklmnopqrstuvwxyz 0123456789.,;:!?'\"-[]()/\\{}<>=+*&^%$#@~`|é東"


@dataclass
class FuzzReport:
    seed: int
    keys: int = 0
    steps: int = 0
    seconds: float = 0.0
    screens: Counter[str] = field(default_factory=Counter)  # steps taken on each screen class
    trail: deque[str] = field(default_factory=lambda: deque(maxlen=40))  # the last steps, for a failure
    timing: Counter[str] = field(default_factory=Counter)  # seconds spent in each kind of step
    quits: list[str] = field(default_factory=list)  # the last steps before each of those quits
    restarts: int = 0  # times the keys quit the app (the palette's quit command) and a fresh one went on

    def describe(self) -> str:
        return (f"seed {self.seed}: {self.keys} keys in {self.steps} steps, {self.seconds:.0f} s; "
                f"screens: {dict(self.screens)}; seconds by step: "
                f"{self.seconds_by_step()}; restarts {self.restarts}\nlast steps:\n  " + "\n  ".join(self.trail))

    def seconds_by_step(self) -> dict[str, float]:
        return {kind: round(seconds, 1) for kind, seconds in self.timing.items()}


class FuzzFailure(AssertionError):
    pass


def binding_keys(screen, app) -> list[str]:
    """Every key bound on `screen`: its widgets' bindings (focused or not), its own, the App's."""
    keys: set[str] = set()

    def add(bindings) -> None:
        for binding in bindings:
            if isinstance(binding, tuple):
                binding = Binding(*binding)
            if binding.action in ENDING_ACTIONS:
                continue
            keys.update(key.strip() for key in binding.key.split(","))

    for node in [*screen.query("*"), screen, app]:
        for cls in type(node).__mro__:
            add(cls.__dict__.get("BINDINGS", ()))
    keys.update(screen.active_bindings)  # after a keymap, the keys as remapped
    return sorted(keys - ending_keys(screen))


def app_keys(app) -> list[str]:
    """The keys of the App's own bindings (the explorer's keys), without those that quit."""
    keys = {key.strip() for binding in type(app).BINDINGS if isinstance(binding, Binding)
            and binding.action not in ENDING_ACTIONS for key in binding.key.split(",")}
    return sorted(keys - ENDING_KEYS)


def ending_keys(screen) -> set[str]:
    """The keys that would quit from here (a letter such as q, typed outside a text field)."""
    bound = screen.active_bindings.items()
    return ENDING_KEYS | {key for key, active in bound if active.binding.action in ENDING_ACTIONS}


def key_event(key: str) -> events.Key:
    """A Key event as Pilot makes it: a name such as `space` or `left_square_bracket`, or a character."""
    if len(key) == 1:
        return events.Key(_character_to_key(key), key)
    try:
        return events.Key(key, unicodedata.lookup(key.replace("_", " ")))
    except KeyError:
        return events.Key(key, None)


def random_text(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
    return "".join(rng.choice(CHARACTERS) for _ in range(rng.randint(1, 12)))


def as_keys(text: str) -> list[str]:
    """Text as Pilot key names: a character that names a key (space, brackets...) by that name."""
    return [_character_to_key(character) if not character.isalnum() else character for character in text]


class KeyFuzzer:
    """Drives one running app (under `app.run_test()`) with seeded random input."""

    def __init__(self, app, pilot, rng: random.Random, report: FuzzReport, output_folder: Path | None = None) -> None:
        self.app, self.pilot = app, pilot
        self.rng, self.report = rng, report
        if output_folder is not None:  # ctrl+s and x write files: not into the working directory
            app.output_folder = output_folder
        # A tour first: each of the App's own keys is visited once, in a seeded order, between the
        # random steps, so every screen a key opens is reached in every run (not only by chance).
        self.tour = app_keys(app)
        rng.shuffle(self.tour)

    def _alive(self) -> bool:
        return self.app.is_running and self.app.return_code is None

    async def run(self, keys: int) -> None:
        """Steps until the report counts `keys` keys, or the app has quit."""
        while self.report.keys < keys and self._alive():
            await self.step()

    async def step(self) -> None:
        rng, app = self.rng, self.app
        screen = app.screen
        self.report.screens[type(screen).__name__] += 1
        self.report.steps += 1
        started, choice = time.monotonic(), rng.random()
        if self.tour and rng.random() < 0.3:
            kind = "visit"
            await self._visit(self.tour.pop())
        elif choice < 0.08:
            kind = "visit"
            await self._visit()
        elif choice < 0.85:
            if choice < 0.55:
                kind, keys = "binding", [rng.choice(binding_keys(screen, app)) for _ in range(rng.randint(1, 3))]
            elif choice < 0.70:
                kind, keys = "common", [rng.choice(COMMON_KEYS)]
            else:
                ending = ending_keys(screen)
                kind, keys = "text", [key for key in as_keys(random_text(rng)) if key not in ending]
            self.report.trail.append(f"{type(screen).__name__}: press {' '.join(keys)}")
            self.report.keys += len(keys)
            await self._press(keys)
        elif choice < 0.92:
            kind = "paste"
            await self._paste(random_text(rng) * rng.choice((1, 1, 3, 50)))
        else:
            kind = "resize"
            await self._resize(rng.randint(30, 200), rng.randint(8, 60))
        self.report.timing[kind] += time.monotonic() - started

    async def _press(self, keys: list[str]) -> None:
        """The keys of a step in one burst, as a terminal delivers fast typing or a held key: each
        posted to the App as the driver posts a key, then one wait until the app is idle (Pilot's
        press waits after every key: ten times slower, and never a burst)."""
        if len(keys) == 1 or self.rng.random() < 0.2:
            await self.pilot.press(*keys)
            return
        for key in keys:
            self.app.post_message(key_event(key))
        await self.pilot.pause()

    async def _visit(self, key: str | None = None) -> None:
        """Back to the explorer's grid (where letters are keys, not text), then one of its keys:
        most of them open a screen, so every screen is reached often."""
        app = self.app
        for _ in range(5):
            if app.screen is app.explorer:
                break
            await self.pilot.press("escape")
        if app.screen is not app.explorer:
            return
        app.explorer.action_explore()
        if key is None:
            key = self.rng.choice(binding_keys(app.screen, app))
        self.report.trail.append(f"visit: escape to the grid, press {key}")
        self.report.keys += 1
        await self.pilot.press(key)

    async def _paste(self, text: str) -> None:
        focused = self.app.focused
        self.report.trail.append(f"{type(self.app.screen).__name__}: paste {text[:40]!r} ({len(text)} chars) "
                                 f"into {type(focused).__name__}")
        self.report.keys += 1
        if focused is not None:
            focused.post_message(events.Paste(text))
            await self.pilot.pause()

    async def _resize(self, width: int, height: int) -> None:
        self.report.trail.append(f"{type(self.app.screen).__name__}: resize {width}x{height}")
        await self.pilot.resize_terminal(width, height)


async def back_to_the_sentence(pilot, app, text: str, timeout: float = 30) -> None:
    """Close every screen over the explorer, type `text` into the sentence line and wait for its
    analysis: the app still answers after the fuzz."""
    from tui_support import shows, text_input, wait_for

    for _ in range(20):
        if app.screen is app.explorer:
            break
        app.screen.dismiss() if hasattr(app.screen, "dismiss") else app.pop_screen()
        await pilot.pause()
    assert app.screen is app.explorer, f"could not close {type(app.screen).__name__}"
    await pilot.resize_terminal(120, 36)
    app.explorer.action_edit()
    line = text_input(app)
    line.value = ""
    await pilot.press(*as_keys(text))
    await wait_for(pilot, lambda: shows(app, text), timeout=timeout, what=f"the analysis of {text!r}")


def failures_in_notices(app) -> list[str]:
    """Error notices that mean a computation crashed (not a user's bad input, such as a path
    that does not open)."""
    crashed = ("could not compute", "could not analyse")
    return [f"{notice.title}: {notice.message}" for notice in app.notices
            if notice.severity == "error" and notice.title.startswith(crashed)]


async def fuzz_once(make_app, seed: int, keys: int, output_folder: Path, size=(120, 36),
                    sentence: str = "the queen is in the bank") -> FuzzReport:
    """One seeded run: raises FuzzFailure naming the seed on an exception, a traceback, a crashed
    computation or an app that no longer answers a sentence. A quit the keys reached on their own
    (the palette's "quit" command) is no failure: a fresh app takes the remaining keys."""
    rng, report = random.Random(seed), FuzzReport(seed)
    start = time.monotonic()
    while report.keys < keys:
        app = make_app()
        try:
            await _drive(app, KeyFuzzer, rng, report, keys, output_folder, size, sentence)
        except Exception as error:
            raise FuzzFailure(f"key fuzzer failed ({report.describe()})\n{type(error).__name__}: {error}") from error
        if app.return_code not in (None, 0):
            raise FuzzFailure(f"key fuzzer: the app exited with {app.return_code} ({report.describe()})")
        if report.keys < keys:
            report.restarts += 1
            report.quits.append(" | ".join(list(report.trail)[-2:]))
            report.trail.append("(the app quit: a fresh app goes on)")
    report.seconds = time.monotonic() - start
    return report


async def _drive(app, fuzzer_class, rng, report, keys, output_folder, size, sentence) -> None:
    from tui_support import shows, wait_for

    async with app.run_test(size=size) as pilot:
        fuzzer = fuzzer_class(app, pilot, rng, report, output_folder)
        await wait_for(pilot, lambda: app.view.analysis is not None, timeout=60, what="a first analysis")
        await fuzzer.run(keys)
        if app.is_running:
            await back_to_the_sentence(pilot, app, sentence)
            assert shows(app, sentence)
        crashed = failures_in_notices(app)
        if crashed:
            raise FuzzFailure("a computation failed:\n" + "\n".join(crashed))
