"""The reader thread answers the newest request and drops the ones that were overtaken."""

from __future__ import annotations

import threading

from wordlens.tui.services.latest_only import LatestOnly


def test_requests_that_arrive_while_busy_collapse_into_the_newest():
    handled: list[int] = []
    busy, release, done = threading.Event(), threading.Event(), threading.Event()

    def handle(request: int) -> None:
        handled.append(request)
        if request == 0:
            busy.set()
            release.wait(5)
        if request == 3:
            done.set()

    runner = LatestOnly("test", handle)
    runner.submit(0)
    assert busy.wait(5)
    for request in (1, 2, 3):
        runner.submit(request)
    assert runner.has_newer()
    release.set()
    assert done.wait(5)
    assert handled == [0, 3]
    assert not runner.has_newer()


def test_busy_until_the_last_request_is_handled():
    release = threading.Event()
    runner = LatestOnly("test", lambda request: release.wait(5))
    assert not runner.busy
    runner.submit(1)
    assert runner.busy
    release.set()
    for _ in range(500):
        if not runner.busy:
            break
        threading.Event().wait(0.01)
    assert not runner.busy


def test_one_thread_serves_every_request():
    names: list[str] = []
    finished = threading.Semaphore(0)

    def handle(request: int) -> None:
        names.append(threading.current_thread().name)
        finished.release()

    runner = LatestOnly("the reader", handle)
    for request in range(3):
        runner.submit(request)
        assert finished.acquire(timeout=5)
    assert names == ["the reader"] * 3
