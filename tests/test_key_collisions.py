"""An explorer key must reach the explorer: a pane that binds the same key swallows it while it has focus
(the logit lens on `l` never opened from the grid, whose `l` moves right)."""

from __future__ import annotations

from textual.binding import Binding

from wordlens.tui.keys import APP_BINDINGS
from wordlens.tui.panes.attention import AttentionGrid, AttentionPane
from wordlens.tui.panes.static_neighbours import StaticNeighbours


def keys_of(bindings) -> set[str]:
    return {key.strip() for binding in bindings if isinstance(binding, Binding) for key in binding.key.split(",")}


def test_no_pane_binds_a_key_the_explorer_uses():
    explorer_keys = keys_of(binding for binding in APP_BINDINGS if binding.action.startswith("screen."))
    for pane in (AttentionGrid, AttentionPane, StaticNeighbours):
        assert not keys_of(pane.BINDINGS) & explorer_keys, pane.__name__
