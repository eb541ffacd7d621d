"""The one layer numbering every screen, table, message and the README use (docs/ARCHITECTURE.md,
"Layer numbering"). Arrays and JSON index from 0; people read from 1:

- attention layer index i (0-based, `attention[i]`) is "layer i+1"; head j of it is "head j+1",
  written short `L{i+1} H{j+1}`;
- hidden state k (`hidden_states[k]`) is "embeddings" for k = 0, else "after layer k" (the output of
  layer k), so a hidden state's number is the layer that made it.
"""

from __future__ import annotations


def layer_name(layer: int) -> str:
    """'layer 4' for attention layer index 3."""
    return f"layer {layer + 1}"


def head_name(layer: int, head: int) -> str:
    """'L4 H5' for attention layer index 3, head index 4."""
    return f"L{layer + 1} H{head + 1}"


def head_long_name(layer: int, head: int) -> str:
    """'layer 4, head 5' for attention layer index 3, head index 4."""
    return f"layer {layer + 1}, head {head + 1}"


def hidden_state_name(index: int) -> str:
    """'embeddings' for hidden state 0, 'after layer k' for hidden state k."""
    return "embeddings" if index == 0 else f"after layer {index}"


def hidden_state_short_name(index: int) -> str:
    """'emb' for hidden state 0, else its layer's number: for a table's narrow first column."""
    return "emb" if index == 0 else str(index)


def layers_range(layers: int) -> str:
    """'layers 1–6' for a model of 6 attention layers."""
    return f"layers 1–{layers}"


def heads_range(heads: int) -> str:
    """'heads 1–12' for a layer of 12 heads."""
    return f"heads 1–{heads}"


def head_pair(layer: int, head: int) -> str:
    """'4:5' for attention layer index 3, head index 4: as --ablate takes a head."""
    return f"{layer + 1}:{head + 1}"


def hidden_state_brief_name(index: int) -> str:
    """'embeddings', else 'after L4': where a line has no room for 'after layer 4'."""
    return "embeddings" if index == 0 else f"after L{index}"
