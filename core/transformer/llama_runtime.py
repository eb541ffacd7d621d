"""A Llama-family decoder run with torch alone (SmolLM2 and its kind), like bert_runtime.py for BERT.

For a folder this module fully understands (a standard `llama` config with the default rotary
embedding and SiLU, one safetensors file, a tokenizer.json) wordlens runs the decoder here, with the
same operations in the same order as transformers' `LlamaForCausalLM` with eager attention; tests
hold the two equal. It also gives what the encoder cannot: next-token logits from any hidden state
(the final norm, then the output layer: the model's own prediction at the last layer, the logit lens
before it), and the attention arithmetic of every head (`HeadInputs`) for the mechanism screen.

torch is imported inside the functions: importing this module must stay free.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wordlens.core.errors import LoadError, first_line
from wordlens.core.progress import Progress
from wordlens.core.transformer.bert_runtime import TOKENIZER_FILE, WEIGHTS_FILE, _read_json, checked_weights
from wordlens.core.transformer.context_model import HeadInputs, HeadsOff
from wordlens.core.transformer.tokens import RustTokenizer


@dataclass(frozen=True)
class LlamaShape:
    layers: int
    heads: int
    key_value_heads: int
    hidden_size: int
    head_dim: int
    intermediate_size: int
    vocabulary_size: int
    max_positions: int
    rms_norm_eps: float
    rope_theta: float
    attention_bias: bool
    mlp_bias: bool
    tied_embeddings: bool


def llama_shape(config: dict[str, Any]) -> LlamaShape | None:
    """The decoder's shape when this module runs a folder with this config exactly as transformers
    would, else None (transformers then loads it)."""
    rope = config.get("rope_parameters") or config.get("rope_scaling") or {}
    rope_type = rope.get("rope_type", rope.get("type", "default")) if isinstance(rope, dict) else None
    plain = (
        config.get("model_type") == "llama"
        and config.get("hidden_act", "silu") == "silu"
        and rope_type in (None, "default")
        and not config.get("auto_map")
        and int(config.get("pretraining_tp", 1) or 1) == 1
    )
    if not plain:
        return None
    try:
        hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
        key_value_heads = int(config.get("num_key_value_heads") or heads)
        theta = rope.get("rope_theta") if isinstance(rope, dict) else None
        shape = LlamaShape(
            layers=int(config["num_hidden_layers"]),
            heads=heads,
            key_value_heads=key_value_heads,
            hidden_size=hidden,
            head_dim=int(config.get("head_dim") or hidden // heads),
            intermediate_size=int(config["intermediate_size"]),
            vocabulary_size=int(config["vocab_size"]),
            max_positions=int(config.get("max_position_embeddings", 2048)),
            rms_norm_eps=float(config.get("rms_norm_eps", 1e-6)),
            rope_theta=float(theta or config.get("rope_theta", 10000.0)),
            attention_bias=bool(config.get("attention_bias", False)),
            mlp_bias=bool(config.get("mlp_bias", False)),
            tied_embeddings=bool(config.get("tie_word_embeddings", False)),
        )
    except (KeyError, TypeError, ValueError):
        return None
    return shape if heads % key_value_heads == 0 else None


def load_plain_llama(folder: Path, device: str, progress: Progress) -> tuple[RustTokenizer, LlamaNetwork] | None:
    """The folder's tokenizer and decoder when it is a standard Llama this module runs exactly as
    transformers would; None otherwise. A LoadError when its files are there but broken."""
    config = _read_json(folder / "config.json")
    if not config or not (folder / WEIGHTS_FILE).is_file() or not (folder / TOKENIZER_FILE).is_file():
        return None
    shape = llama_shape(config)
    if shape is None:
        return None
    tokenizer_config = _read_json(folder / "tokenizer_config.json") or {}
    progress("loading the tokenizer", 0.5)
    tokenizer = load_llama_tokenizer(folder / TOKENIZER_FILE)
    progress("loading the weights", 0.6)
    weights = load_llama_weights(folder, shape, device)
    model_max_length = int(tokenizer_config.get("model_max_length") or 0)
    if model_max_length > 10**7:  # transformers' "no limit" sentinel
        model_max_length = 0
    return RustTokenizer(tokenizer, model_max_length), LlamaNetwork(weights, shape, device)


def load_llama_tokenizer(path: Path) -> Any:
    """The folder's `tokenizers.Tokenizer` with its own padding and truncation switched off."""
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_str(path.read_text(encoding="utf-8"))
    except Exception as error:  # tokenizers raises a bare Exception for a file it cannot read
        raise LoadError(f"could not read the tokenizer {path}: {first_line(error)}") from error
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def load_llama_weights(folder: Path, shape: LlamaShape, device: str) -> dict[str, Any]:
    """The decoder's tensors by their LlamaModel names (a causal LM's `model.` prefix removed; the
    output layer as `lm_head.weight`, the input table when they are tied), checked against the config."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = folder / WEIGHTS_FILE
    try:
        stored = load_file(str(path), device=device)
    except (SafetensorError, OSError, ValueError) as error:
        raise LoadError(f"could not load the model from {folder}: {first_line(error)}") from error
    weights = {name.removeprefix("model."): tensor for name, tensor in stored.items()}
    if "lm_head.weight" not in weights and "embed_tokens.weight" in weights and shape.tied_embeddings:
        weights["lm_head.weight"] = weights["embed_tokens.weight"]
    expected = expected_llama_shapes(shape)
    return checked_weights(folder, weights, expected)


def expected_llama_shapes(shape: LlamaShape) -> dict[str, tuple[int, ...]]:
    hidden, inner = shape.hidden_size, shape.intermediate_size
    queries, keys = shape.heads * shape.head_dim, shape.key_value_heads * shape.head_dim
    expected: dict[str, tuple[int, ...]] = {
        "embed_tokens.weight": (shape.vocabulary_size, hidden),
        "norm.weight": (hidden,),
        "lm_head.weight": (shape.vocabulary_size, hidden),
    }
    for layer in range(shape.layers):
        prefix = f"layers.{layer}."
        projections = {
            "self_attn.q_proj": (queries, hidden),
            "self_attn.k_proj": (keys, hidden),
            "self_attn.v_proj": (keys, hidden),
            "self_attn.o_proj": (hidden, queries),
            "mlp.gate_proj": (inner, hidden),
            "mlp.up_proj": (inner, hidden),
            "mlp.down_proj": (hidden, inner),
        }
        for name, size in projections.items():
            expected[f"{prefix}{name}.weight"] = size
            with_bias = shape.attention_bias if name.startswith("self_attn") else shape.mlp_bias
            if with_bias:
                expected[f"{prefix}{name}.bias"] = (size[0],)
        expected[f"{prefix}input_layernorm.weight"] = (hidden,)
        expected[f"{prefix}post_attention_layernorm.weight"] = (hidden,)
    return expected


# The longest input wordlens runs a decoder on: every layer's attentions are kept, and SmolLM2's
# 30 x 9 heads of 256 x 256 float32 are 71 MB, near the bundled encoder's 75 MB at its 512 tokens.
MAX_TOKENS = 256


class LlamaNetwork:
    """The decoder's forward pass on loaded weights: attentions and hidden states of every layer
    (the last one after the final norm, as transformers gives them), and next-token logits."""

    def __init__(self, weights: dict[str, Any], shape: LlamaShape, device: str) -> None:
        self.weights = weights
        self.shape = shape
        self.device = device
        self.max_positions = min(shape.max_positions, MAX_TOKENS)
        self.name = "LlamaForCausalLM"
        self.scale = shape.head_dim**-0.5

    def input_embeddings(self) -> Any:
        return self.weights["embed_tokens.weight"]

    def __call__(
        self,
        input_ids: Any,
        token_type_ids: Any,
        attention_mask: Any,
        *,
        heads_off: HeadsOff = frozenset(),
        capture: list[HeadInputs] | None = None,
        past: KeysValues | None = None,
    ) -> tuple[list[Any], list[Any]]:
        """(attentions per layer (batch, heads, T, T), hidden states: the embeddings, each layer's
        output, the last after the final norm). token_type_ids are not read (a decoder has none).
        With `past` (one text, no padding): `input_ids` continue the `past.length` tokens whose keys
        and values it holds; only the new positions are computed (attention rows (new, past + new),
        hidden states and captures of the new positions), and `past` gains their keys and values."""
        from torch.nn import functional

        start = past.length if past is not None else 0
        if past is not None:
            additive_mask = self._continuation_mask(start, input_ids.shape[1], input_ids.device)
        else:
            additive_mask = self._additive_mask(attention_mask)
        cos, sin = self._rotary(start + input_ids.shape[1], input_ids.device)
        cos, sin = cos[:, :, start:], sin[:, :, start:]
        hidden = functional.embedding(input_ids, self.weights["embed_tokens.weight"])
        hidden_states, attentions = [hidden], []
        for layer in range(self.shape.layers):
            prefix = f"layers.{layer}."
            normed = self._rms_norm(hidden, f"{prefix}input_layernorm")
            off = sorted(head for (at, head) in heads_off if at == layer)
            attended, attention = self._self_attention(
                prefix, normed, additive_mask, cos, sin, off, capture, past.layer(layer) if past else None)
            hidden = hidden + attended
            hidden = hidden + self._feed_forward(prefix, self._rms_norm(hidden, f"{prefix}post_attention_layernorm"))
            hidden_states.append(hidden)
            attentions.append(attention)
        hidden_states[-1] = self._rms_norm(hidden, "norm")
        if past is not None:
            past.advance(input_ids.shape[1])
        return attentions, hidden_states

    def new_past(self) -> KeysValues:
        """An empty KeysValues, for a pass whose keys and values a later one will continue from."""
        return KeysValues(self.shape.layers)

    def next_token_logits(self, hidden: Any, *, normed: bool = False) -> Any:
        """(..., vocabulary) logits of the next token read from hidden states (..., hidden): the final
        norm (skipped when `normed`: the last hidden state already had it), then the output layer."""
        from torch.nn import functional

        values = hidden if normed else self._rms_norm(hidden, "norm")
        return functional.linear(values, self.weights["lm_head.weight"])

    def _additive_mask(self, attention_mask: Any) -> Any:
        """(batch, 1, T, T): 0 where a query may attend a key (itself and earlier, not padding),
        the dtype's minimum elsewhere."""
        import torch

        length = attention_mask.shape[1]
        allowed = torch.ones((length, length), dtype=torch.bool, device=attention_mask.device).tril()
        allowed = allowed[None, None] & attention_mask.bool()[:, None, None, :]
        mask = torch.zeros(allowed.shape, dtype=torch.float32, device=attention_mask.device)
        return mask.masked_fill(~allowed, torch.finfo(torch.float32).min)

    def _continuation_mask(self, start: int, length: int, device: Any) -> Any:
        """(1, 1, length, start + length): new position i may attend keys 0..start + i."""
        import torch

        allowed = torch.ones((length, start + length), dtype=torch.bool, device=device).tril(diagonal=start)
        mask = torch.zeros(allowed.shape, dtype=torch.float32, device=device)
        return mask.masked_fill(~allowed, torch.finfo(torch.float32).min)[None, None]

    def _rotary(self, length: int, device: Any) -> tuple[Any, Any]:
        """(cos, sin), each (1, 1, T, head_dim), of the default rotary embedding at positions 0..T-1."""
        import torch

        dim = self.shape.head_dim
        inverse = 1.0 / (self.shape.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        positions = torch.arange(length, device=device).float()
        frequencies = (inverse.to(device)[None, :, None] @ positions[None, None, :]).transpose(1, 2)
        angles = torch.cat((frequencies, frequencies), dim=-1)
        return angles.cos()[:, None], angles.sin()[:, None]

    def _self_attention(
        self, prefix: str, normed: Any, additive_mask: Any, cos: Any, sin: Any, heads_off: list[int],
        capture: list[HeadInputs] | None, past: LayerPast | None = None,
    ) -> tuple[Any, Any]:
        """(the attention block's output, its attention weights); with `past`, the earlier positions'
        keys and values come from it and the new ones are added to it."""
        import torch
        from torch.nn import functional

        batch, length = normed.shape[:2]
        head_dim, groups = self.shape.head_dim, self.shape.heads // self.shape.key_value_heads

        def heads_of(projection: str) -> Any:
            projected = self._linear(f"{prefix}self_attn.{projection}", normed)
            return projected.view(batch, length, -1, head_dim).transpose(1, 2)

        query_content, key_content, value = heads_of("q_proj"), heads_of("k_proj"), heads_of("v_proj")
        query = query_content * cos + _rotate_half(query_content) * sin
        key = key_content * cos + _rotate_half(key_content) * sin
        new_keys = key
        if past is not None:
            key, value = past.extended(key, value)
        key, value = _repeat_heads(key, groups), _repeat_heads(value, groups)
        scores = torch.matmul(query, key.transpose(2, 3)) * self.scale + additive_mask
        attention = functional.softmax(scores, dim=-1, dtype=torch.float32)
        context = torch.matmul(attention, value)
        if heads_off:
            context[:, heads_off] = 0.0
        if capture is not None:
            capture.append(HeadInputs(
                layer_input=normed[0],
                queries=query[0],
                keys=_repeat_heads(new_keys, groups)[0],
                scale=self.scale,
                queries_content=query_content[0],
                keys_content=_repeat_heads(key_content, groups)[0],
            ))
        context = context.transpose(1, 2).contiguous().reshape(batch, length, -1)
        return self._linear(f"{prefix}self_attn.o_proj", context), attention

    def _feed_forward(self, prefix: str, normed: Any) -> Any:
        from torch.nn import functional

        gate = functional.silu(self._linear(f"{prefix}mlp.gate_proj", normed))
        return self._linear(f"{prefix}mlp.down_proj", gate * self._linear(f"{prefix}mlp.up_proj", normed))

    def _linear(self, name: str, values: Any) -> Any:
        from torch.nn import functional

        return functional.linear(values, self.weights[f"{name}.weight"], self.weights.get(f"{name}.bias"))

    def _rms_norm(self, values: Any, name: str) -> Any:
        import torch

        variance = values.pow(2).mean(-1, keepdim=True)
        return self.weights[f"{name}.weight"] * (values * torch.rsqrt(variance + self.shape.rms_norm_eps))


class LayerPast:
    """One layer's keys (rotated) and values of the positions computed so far, per key/value head."""

    def __init__(self) -> None:
        self.keys: Any = None  # (batch, key_value_heads, length, head_dim)
        self.values: Any = None

    def extended(self, keys: Any, values: Any) -> tuple[Any, Any]:
        """The earlier keys and values followed by these new ones, kept for the next continuation."""
        import torch

        if self.keys is not None:
            keys, values = torch.cat((self.keys, keys), dim=2), torch.cat((self.values, values), dim=2)
        self.keys, self.values = keys, values
        return keys, values

    def cut(self, length: int) -> LayerPast:
        kept = LayerPast()
        if self.keys is not None:
            kept.keys, kept.values = self.keys[:, :, :length], self.values[:, :, :length]
        return kept


class KeysValues:
    """Every layer's LayerPast: what a decoder needs to continue a text without recomputing it."""

    def __init__(self, layers: int, length: int = 0, kept: list[LayerPast] | None = None) -> None:
        self.length = length  # positions held; grows by the new ones when a pass ends (see `advance`)
        self._layers = kept if kept is not None else [LayerPast() for _ in range(layers)]

    def layer(self, index: int) -> LayerPast:
        return self._layers[index]

    def advance(self, added: int) -> None:
        self.length += added

    def cut(self, length: int) -> KeysValues:
        """The first `length` positions only (a text that shares only those with this one)."""
        return KeysValues(len(self._layers), min(length, self.length), [layer.cut(length) for layer in self._layers])


def _rotate_half(values: Any) -> Any:
    import torch

    half = values.shape[-1] // 2
    return torch.cat((-values[..., half:], values[..., :half]), dim=-1)


def _repeat_heads(values: Any, groups: int) -> Any:
    """(batch, key_value_heads, T, d) -> (batch, heads, T, d): each key/value head once per query head
    of its group, in order (transformers' repeat_kv)."""
    return values if groups == 1 else values.repeat_interleave(groups, dim=1)
