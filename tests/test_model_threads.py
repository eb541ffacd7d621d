"""The engine looks up the new tokens' input-table neighbours beside the forward pass, in another
thread: the lookup must not wait for the forward pass to end (it once took the forward pass's
lock, and a 512-token edit's neighbours waited ~0.2 s for it)."""

from __future__ import annotations

import threading

from wordlens.core.measures.static_vs_context import embedding_neighbours
from wordlens.core.transformer.context_model import load_context_model

HANG_GUARD_SECONDS = 10  # only so that a regression fails instead of hanging the suite
HELD_SECONDS = 6 * HANG_GUARD_SECONDS  # the forward pass outlasts any wait for the lookup


class HeldNetwork:
    """A model's network that stays inside its forward pass until released."""

    def __init__(self, network) -> None:
        self._network = network
        self.entered, self.release = threading.Event(), threading.Event()

    def __getattr__(self, name):
        return getattr(self._network, name)

    def __call__(self, *args, **kwargs):
        self.entered.set()
        self.release.wait(HELD_SECONDS)
        return self._network(*args, **kwargs)


def test_input_table_neighbours_are_found_while_a_forward_pass_runs(tiny_model_dir):
    model = load_context_model(tiny_model_dir, device="cpu")  # its own: its network is replaced below
    token = next(token for token in model.vocabulary() if token.isalpha())
    expected = embedding_neighbours(model, token, topn=3)  # the table's unit rows exist from here on
    held = HeldNetwork(model.network)
    model.network = held
    forward = threading.Thread(target=model.run, args=(model.encode("the queen walks"),))
    forward.start()
    try:
        assert held.entered.wait(HANG_GUARD_SECONDS), "the forward pass never started"
        found: list = []
        lookup = threading.Thread(target=lambda: found.append(embedding_neighbours(model, token, topn=3)))
        lookup.start()
        lookup.join(HANG_GUARD_SECONDS)
        found_in_time, forward_was_running = list(found), forward.is_alive()
    finally:
        held.release.set()
        forward.join(HELD_SECONDS)
    assert forward_was_running
    assert found_in_time == [expected], "the lookup waited for the forward pass"
