"""Issue 20: the explorer's first frame is the model bar and the sentence line; the panes and the
footer join in the next frame, and only then do the loaders start (torch's import holds the GIL
for long stretches, so loading earlier would hold back the rest of the explorer)."""

from __future__ import annotations

import pytest
from textual.widgets import Footer

from wordlens.core.engine import Engine
from wordlens.tui.app import WordLensApp

from tui_support import shows, wait_for

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_the_loaders_start_once_the_panes_and_the_footer_are_shown(tiny_vectors, tiny_model):
    shown_when_loading: list[bool] = []

    def recorded(loaded):
        def load(progress):
            explorer = app.explorer
            shown_when_loading.append(explorer.query_one("#panes").display and explorer.query_one(Footer).display)
            return loaded
        return load

    app = WordLensApp(Engine(recorded(tiny_vectors), recorded(tiny_model)), text="the queen")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.models.ready and shows(app, "the queen"), what="both models and the analysis")
    assert shown_when_loading == [True, True]
