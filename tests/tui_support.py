"""Shared by the Pilot tests: wait for the app without fixed sleeps."""

from __future__ import annotations

import time

import pytest
from textual.widgets import Input


async def wait_for(pilot, predicate, timeout: float = 10, what: str = "") -> None:
    """Let the app run until `predicate()` holds; fail (not hang) if it never does."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what or predicate}")
        await pilot.pause(0.05)


def notifications(app) -> str:
    """The titles and texts of the notifications (toasts) on screen now."""
    return "\n".join(f"{notice.title}: {notice.message}" for notice in app._notifications._notifications.values())


def text_input(app) -> Input:
    return app.query_one("#text", Input)


def shows(app, text: str) -> bool:
    """The analysis on screen is complete and is of `text`, which is the Input's value."""
    analysis = app.view.analysis
    return analysis is not None and analysis.complete and analysis.text == text == text_input(app).value


async def move_focus_to(pilot, app, token: int) -> None:
    delta = token - app.view.focus
    await pilot.press(*(["down"] * delta if delta > 0 else ["up"] * -delta))
    assert app.view.focus == token


async def move_target_to(pilot, app, token: int) -> None:
    delta = token - app.view.target
    await pilot.press(*(["right"] * delta if delta > 0 else ["left"] * -delta))
    assert app.view.target == token
