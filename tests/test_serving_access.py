"""serve's access token and loading turns, without a browser (tests/test_serve.py opens pages)."""

from __future__ import annotations

import asyncio
import os

import pytest

from wordlens.core.errors import WordlensError
from wordlens.tui.cli.serve import access_token
from wordlens.tui.serving.access import redacted, share_url, token_matches
from wordlens.tui.serving.loading_turns import LoadingTurns


def test_on_loopback_no_token_is_required_unless_one_is_given():
    assert access_token("localhost", None, no_token=False) is None
    assert access_token("127.0.0.1", None, no_token=False) is None
    assert access_token("localhost", "abc", no_token=False) == "abc"


def test_reachable_from_other_machines_a_new_token_is_required_unless_opted_out():
    first, second = access_token("0.0.0.0", None, False), access_token("0.0.0.0", None, False)
    assert first and second and first != second and len(first) >= 20
    assert access_token("192.168.1.5", "T0k-en", False) == "T0k-en"
    assert access_token("0.0.0.0", None, no_token=True) is None


def test_a_token_that_would_not_survive_a_url_is_refused():
    with pytest.raises(WordlensError, match="--token"):
        access_token("0.0.0.0", "a b&c", False)


def test_the_token_is_compared_whole_and_logged_cut():
    assert token_matches("secret-token", "secret-token")
    assert not token_matches("secret", "secret-token") and not token_matches(None, "secret-token")
    assert redacted("GET /?token=secret-token HTTP/1.1", "secret-token") == "GET /?token=secr… HTTP/1.1"
    assert share_url("10.0.0.7", 8000, "T") == "http://10.0.0.7:8000/?token=T"


def test_sessions_beyond_the_slots_wait_in_order_and_are_told_how_many_are_ahead():
    async def scenario():
        turns = LoadingTurns(slots=1)
        order: list[str] = []
        told: dict[str, list[int]] = {"b": [], "c": []}
        await turns.wait(lambda n: None)
        order.append("a")
        b = asyncio.create_task(turns.wait(told["b"].append))
        await asyncio.sleep(0)
        c = asyncio.create_task(turns.wait(told["c"].append))
        await asyncio.sleep(0.05)
        assert not b.done() and not c.done() and turns.loading == 1
        read_fd, write_fd = os.pipe()
        holding = asyncio.create_task(turns.hold_until_loaded(read_fd))
        os.write(write_fd, b"loaded\n")  # a's explorer has loaded: b's turn
        await holding
        await b
        order.append("b")
        assert not c.done()
        turns.end_turn()
        await c
        order.append("c")
        turns.end_turn()
        os.close(write_fd)
        return order, told, turns.loading

    order, told, loading = asyncio.run(scenario())
    assert order == ["a", "b", "c"] and loading == 0
    assert told["b"] == [0] and told["c"][0] == 1


def test_a_page_that_leaves_while_waiting_gives_up_its_place():
    async def scenario():
        turns = LoadingTurns(slots=1)
        await turns.wait(lambda n: None)
        leaving = asyncio.create_task(turns.wait(lambda n: None))
        told: list[int] = []
        staying = asyncio.create_task(turns.wait(told.append))
        await asyncio.sleep(0.05)
        leaving.cancel()
        await asyncio.gather(leaving, return_exceptions=True)
        turns.end_turn()
        await staying
        return told, turns.loading

    told, loading = asyncio.run(scenario())
    assert told[0] == 1 and loading == 1


def test_a_token_and_no_token_together_are_refused():
    with pytest.raises(WordlensError, match="--no-token"):
        access_token("0.0.0.0", "abc", no_token=True)
