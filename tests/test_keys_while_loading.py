"""Keys pressed while the models load mean what they meant when they were pressed: a sentence
typed at launch, then tab and up x8 before the transformer's first analysis, leave the keyboard on
the attention pane and the focus on the word those keys reached once the transformer answers (it
used to land on whichever token had the word's index). The loads are held back by a gate in
the engine's loaders (Engine's public constructor)."""

from __future__ import annotations

import threading

import pytest

from wordlens.core.engine import Engine
from wordlens.tui.app import WordLensApp
from wordlens.tui.panes.attention import AttentionGrid

from tui_support import shows, wait_for

pytestmark = pytest.mark.anyio
SENTENCE = "france is a country , it is in europe"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def gated_engine(vectors, model, gate: threading.Event) -> Engine:
    def held(loaded):
        def load(progress):
            assert gate.wait(60), "the test never opened the gate"
            return loaded
        return load

    return Engine(held(vectors), held(model))


@pytest.mark.parametrize("ups", [8, 3])
async def test_tab_and_up_typed_while_loading_keep_their_meaning(tiny_vectors, tiny_model, ups):
    gate = threading.Event()
    app = WordLensApp(gated_engine(tiny_vectors, tiny_model, gate))
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press(*[{" ": "space", ",": "comma"}.get(c, c) for c in SENTENCE])
            await wait_for(pilot, lambda: app.view.analysis is not None and app.view.analysis.text == SENTENCE,
                           what="the words of the sentence")
            assert app.view.context is None  # the transformer is still loading
            await pilot.press("tab", *["up"] * ups)
            expected_word = max(0, 8 - ups)  # the cursor was on "europe", word 8
            assert app.view.focused_word == expected_word
            gate.set()
            await wait_for(pilot, lambda: shows(app, SENTENCE) and app.view.context is not None,
                           what="the transformer's analysis")
            await pilot.pause()
            assert isinstance(app.focused, AttentionGrid)
            assert app.view.focused_word == expected_word
            focused_token = app.view.context.tokens[app.view.focus]
            assert focused_token == SENTENCE.split()[expected_word]
    finally:
        gate.set()
