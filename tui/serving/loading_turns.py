"""Sessions take turns to load: at most `slots` explorers start at once, the others wait in order.

An explorer's turn ends when it says its models are loaded (it writes to, or closes, the pipe it
was given: see tui/serving/loaded_signal.py), when it exits, or after `longest_turn` seconds.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable


class LoadingTurns:
    def __init__(self, slots: int, longest_turn: float = 120.0) -> None:
        self.slots, self.longest_turn = max(1, slots), longest_turn
        self._loading = 0
        self._waiting: list[asyncio.Future[None]] = []

    @property
    def loading(self) -> int:
        return self._loading

    async def wait(self, ahead: Callable[[int], object]) -> None:
        """Wait for a turn, telling `ahead` how many wait before this one whenever it changes."""
        if self._loading < self.slots and not self._waiting:
            self._loading += 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            while not turn.done():
                ahead(self._waiting.index(turn))
                await asyncio.wait([turn], timeout=1.0)
        except asyncio.CancelledError:
            if turn in self._waiting:
                self._waiting.remove(turn)
            elif turn.done() and not turn.cancelled():
                self.end_turn()  # the turn was given to a page that has gone: pass it on
            raise

    def end_turn(self) -> None:
        while self._waiting:
            turn = self._waiting.pop(0)
            if not turn.done():
                turn.set_result(None)  # the slot passes over: _loading stays
                return
        self._loading -= 1

    async def hold_until_loaded(self, read_fd: int) -> None:
        """Hold the turn until the explorer writes to (or closes) the pipe's other end."""
        loop = asyncio.get_running_loop()
        signalled = loop.create_future()
        loop.add_reader(read_fd, lambda: signalled.done() or signalled.set_result(None))
        try:
            await asyncio.wait_for(signalled, self.longest_turn)
        except asyncio.TimeoutError:
            pass
        finally:
            loop.remove_reader(read_fd)
            os.close(read_fd)
            self.end_turn()
