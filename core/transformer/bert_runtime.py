"""A plain BERT encoder run with torch alone: wordlens's fast way to load a BERT model folder.

Importing transformers' modeling code costs 2-3 s on a laptop-class CPU (it pulls in
torch.distributed, sympy and scipy), more than torch itself. A BERT encoder is a few dozen lines
of tensor arithmetic, so for a folder this module fully understands (a standard BERT config, one
safetensors file, a standard BERT tokenizer.json) wordlens runs it here, with the same operations
in the same order as transformers' `BertModel` with eager attention; tests hold the two equal.
Every other folder goes through transformers.

torch is imported inside the functions: importing this module must stay free.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wordlens.core.errors import LoadError, first_line
from wordlens.core.progress import Progress
from wordlens.core.transformer.context_model import NO_HEADS_OFF, HeadInputs, HeadsOff
from wordlens.core.transformer.tokens import RustTokenizer

WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
ACTIVATIONS = ("gelu", "relu")
BERT_TOKENIZER_CLASSES = (None, "BertTokenizer", "BertTokenizerFast")
# transformers' BertTokenizer rebuilds the normalizer from tokenizer_config.json with these defaults.
NORMALIZER_DEFAULTS = {"do_lower_case": True, "strip_accents": None, "tokenize_chinese_chars": True}


@dataclass(frozen=True)
class BertShape:
    layers: int
    heads: int
    hidden_size: int
    intermediate_size: int
    vocabulary_size: int
    token_types: int
    max_positions: int
    layer_norm_eps: float
    activation: str


def load_plain_bert(folder: Path, device: str, progress: Progress) -> tuple[RustTokenizer, BertNetwork] | None:
    """The folder's tokenizer and encoder when it is a standard BERT this module runs exactly as
    transformers would; None otherwise (transformers then loads it)."""
    config = _read_json(folder / "config.json")
    tokenizer_config = _read_json(folder / "tokenizer_config.json") or {}
    if not config or not (folder / WEIGHTS_FILE).is_file() or not (folder / TOKENIZER_FILE).is_file():
        return None
    shape = plain_bert_shape(config, tokenizer_config)
    if shape is None:
        return None
    progress("loading the tokenizer", 0.5)
    tokenizer = load_bert_tokenizer(folder / TOKENIZER_FILE, tokenizer_config)
    if tokenizer is None:
        return None
    progress("loading the weights", 0.6)
    weights = load_bert_weights(folder, shape, device)
    model_max_length = int(tokenizer_config.get("model_max_length") or 0)
    return RustTokenizer(tokenizer, model_max_length), BertNetwork(weights, shape, device)


def plain_bert_shape(config: dict[str, Any], tokenizer_config: dict[str, Any]) -> BertShape | None:
    """The model's shape when this module runs a folder with these configs exactly as transformers
    would, else None (transformers then loads it, and gives its own errors for broken files)."""
    plain = (
        config.get("model_type") == "bert"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and config.get("hidden_act", "gelu") in ACTIVATIONS
        and not config.get("is_decoder")
        and not config.get("add_cross_attention")
        and not config.get("auto_map")
        and not config.get("chunk_size_feed_forward")
        and tokenizer_config.get("tokenizer_class") in BERT_TOKENIZER_CLASSES
        and not tokenizer_config.get("auto_map")
    )
    if not plain:
        return None
    try:
        hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
        shape = BertShape(
            layers=int(config["num_hidden_layers"]),
            heads=heads,
            hidden_size=hidden,
            intermediate_size=int(config["intermediate_size"]),
            vocabulary_size=int(config["vocab_size"]),
            token_types=int(config.get("type_vocab_size", 2)),
            max_positions=int(config.get("max_position_embeddings", 512)),
            layer_norm_eps=float(config.get("layer_norm_eps", 1e-12)),
            activation=config.get("hidden_act", "gelu"),
        )
    except (KeyError, TypeError, ValueError):
        return None
    return shape if hidden % heads == 0 else None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def load_bert_tokenizer(path: Path, tokenizer_config: dict[str, Any]) -> Any | None:
    """The folder's `tokenizers.Tokenizer`, with the file's own padding and truncation switched off
    (wordlens truncates per call); None unless it is the standard BERT pipeline that transformers
    would rebuild identically from tokenizer_config.json."""
    from tokenizers import Tokenizer

    try:
        text = path.read_text(encoding="utf-8")
        description = json.loads(text)
    except (OSError, ValueError):
        return None
    settings = {**NORMALIZER_DEFAULTS, **tokenizer_config}
    if not isinstance(description, dict) or not _is_standard_bert_pipeline(description, settings):
        return None
    try:
        tokenizer = Tokenizer.from_str(text)
    except Exception:  # tokenizers raises a bare Exception for a file it cannot read
        return None
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def _is_standard_bert_pipeline(description: dict[str, Any], settings: dict[str, Any]) -> bool:
    normalizer = description.get("normalizer") or {}
    pre_tokenizer = description.get("pre_tokenizer") or {}
    model = description.get("model") or {}
    post_processor = description.get("post_processor") or {}
    return (
        normalizer.get("type") == "BertNormalizer"
        and normalizer.get("lowercase") == settings["do_lower_case"]
        and normalizer.get("strip_accents") == settings["strip_accents"]
        and normalizer.get("handle_chinese_chars") == settings["tokenize_chinese_chars"]
        and normalizer.get("clean_text", True) is True
        and pre_tokenizer.get("type") == "BertPreTokenizer"
        and model.get("type") == "WordPiece"
        and post_processor.get("type") in ("TemplateProcessing", "BertProcessing")
    )


def load_bert_weights(folder: Path, shape: BertShape, device: str) -> dict[str, Any]:
    """The encoder's tensors by their BertModel names (a task model's `bert.` prefix removed),
    checked against the config; a LoadError names what does not fit."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = folder / WEIGHTS_FILE
    try:
        stored = load_file(str(path), device=device)
    except (SafetensorError, OSError, ValueError) as error:
        raise LoadError(f"could not load the model from {folder}: {first_line(error)}") from error
    weights = {name.removeprefix("bert."): tensor for name, tensor in stored.items()}
    expected = expected_weight_shapes(shape)
    return checked_weights(folder, weights, expected)


def checked_weights(folder: Path, weights: dict[str, Any], expected: dict[str, tuple[int, ...]]) -> dict[str, Any]:
    """The `expected` tensors as float32; a LoadError names the first missing one or wrong shape."""
    missing = [name for name in expected if name not in weights]
    if missing:
        raise LoadError(
            f"{folder.name}: {len(missing)} of the model's weights are not in its checkpoint (e.g. {missing[0]}); "
            "the weights do not fit config.json"
        )
    for name, size in expected.items():
        if tuple(weights[name].shape) != size:
            raise LoadError(
                f"{folder.name}: weight {name} has shape {tuple(weights[name].shape)} where config.json implies "
                f"{size}; the weights do not fit config.json"
            )
    return {name: weights[name].float() for name in expected}


def expected_weight_shapes(shape: BertShape) -> dict[str, tuple[int, ...]]:
    hidden, intermediate = shape.hidden_size, shape.intermediate_size
    expected: dict[str, tuple[int, ...]] = {
        "embeddings.word_embeddings.weight": (shape.vocabulary_size, hidden),
        "embeddings.position_embeddings.weight": (shape.max_positions, hidden),
        "embeddings.token_type_embeddings.weight": (shape.token_types, hidden),
        "embeddings.LayerNorm.weight": (hidden,),
        "embeddings.LayerNorm.bias": (hidden,),
    }
    per_layer = {
        **{f"attention.self.{projection}": (hidden, hidden) for projection in ("query", "key", "value")},
        "attention.output.dense": (hidden, hidden),
        "intermediate.dense": (intermediate, hidden),
        "output.dense": (hidden, intermediate),
    }
    norms = ("attention.output.LayerNorm", "output.LayerNorm")
    for layer in range(shape.layers):
        prefix = f"encoder.layer.{layer}."
        for name, (outputs, inputs) in per_layer.items():
            expected[f"{prefix}{name}.weight"] = (outputs, inputs)
            expected[f"{prefix}{name}.bias"] = (outputs,)
        for name in norms:
            expected[f"{prefix}{name}.weight"] = (hidden,)
            expected[f"{prefix}{name}.bias"] = (hidden,)
    return expected


class BertNetwork:
    """The encoder's forward pass on loaded weights: attentions and hidden states of every layer."""

    def __init__(self, weights: dict[str, Any], shape: BertShape, device: str) -> None:
        self.weights = weights
        self.shape = shape
        self.device = device
        self.max_positions = shape.max_positions
        self.name = "BertModel"

    def input_embeddings(self) -> Any:
        return self.weights["embeddings.word_embeddings.weight"]

    def __call__(
        self, input_ids: Any, token_type_ids: Any, attention_mask: Any, *,
        heads_off: HeadsOff = NO_HEADS_OFF, capture: list[HeadInputs] | None = None,
    ) -> tuple[list[Any], list[Any]]:
        """(attentions per layer (batch, heads, T, T), hidden states: embeddings then each layer).
        `capture`: each layer's HeadInputs (of the first sentence) appended; `heads_off`: those
        heads' context vectors zeroed before the output projection (context_model.Network)."""
        additive_mask = self._additive_mask(attention_mask)
        hidden = self._embed(input_ids, token_type_ids)
        hidden_states, attentions = [hidden], []
        for layer in range(self.shape.layers):
            prefix = f"encoder.layer.{layer}."
            off = sorted(head for off_layer, head in heads_off if off_layer == layer)
            attended, attention = self._self_attention(prefix, hidden, additive_mask, off, capture)
            hidden = self._feed_forward(prefix, attended)
            hidden_states.append(hidden)
            attentions.append(attention)
        return attentions, hidden_states

    def _additive_mask(self, attention_mask: Any) -> Any | None:
        """0 where a key may be attended, the dtype's minimum at padding; None without padding."""
        import torch

        if bool(attention_mask.all()):
            return None
        blocked = (attention_mask == 0)[:, None, None, :]
        mask = torch.zeros(blocked.shape, dtype=torch.float32, device=attention_mask.device)
        return mask.masked_fill(blocked, torch.finfo(torch.float32).min)

    def _embed(self, input_ids: Any, token_type_ids: Any) -> Any:
        from torch.nn import functional

        w = self.weights
        positions = input_ids.new_tensor(range(input_ids.shape[1]))[None, :]
        embeddings = functional.embedding(input_ids, w["embeddings.word_embeddings.weight"])
        embeddings = embeddings + functional.embedding(token_type_ids, w["embeddings.token_type_embeddings.weight"])
        embeddings = embeddings + functional.embedding(positions, w["embeddings.position_embeddings.weight"])
        return self._layer_norm(embeddings, "embeddings.LayerNorm")

    def _self_attention(
        self, prefix: str, hidden: Any, additive_mask: Any | None, heads_off: list[int],
        capture: list[HeadInputs] | None,
    ) -> tuple[Any, Any]:
        """(the attention block's output, its attention weights)."""
        import torch
        from torch.nn import functional

        batch, length = hidden.shape[:2]
        head_size = self.shape.hidden_size // self.shape.heads

        def heads_of(projection: str) -> Any:
            projected = self._linear(f"{prefix}attention.self.{projection}", hidden)
            return projected.view(batch, length, -1, head_size).transpose(1, 2)

        query, key, value = heads_of("query"), heads_of("key"), heads_of("value")
        scale = head_size**-0.5
        if capture is not None:
            capture.append(HeadInputs(layer_input=hidden[0], queries=query[0], keys=key[0], scale=scale))
        scores = torch.matmul(query, key.transpose(2, 3)) * scale
        if additive_mask is not None:
            scores = scores + additive_mask
        attention = functional.softmax(scores, dim=-1)
        context = torch.matmul(attention, value)
        if heads_off:
            context[:, heads_off] = 0.0
        context = context.transpose(1, 2).contiguous().reshape(batch, length, -1)
        attended = self._linear(f"{prefix}attention.output.dense", context)
        return self._layer_norm(attended + hidden, f"{prefix}attention.output.LayerNorm"), attention

    def _feed_forward(self, prefix: str, attended: Any) -> Any:
        from torch.nn import functional

        expanded = self._linear(f"{prefix}intermediate.dense", attended)
        expanded = functional.gelu(expanded) if self.shape.activation == "gelu" else functional.relu(expanded)
        output = self._linear(f"{prefix}output.dense", expanded)
        return self._layer_norm(output + attended, f"{prefix}output.LayerNorm")

    def _linear(self, name: str, values: Any) -> Any:
        from torch.nn import functional

        return functional.linear(values, self.weights[f"{name}.weight"], self.weights[f"{name}.bias"])

    def _layer_norm(self, values: Any, name: str) -> Any:
        from torch.nn import functional

        return functional.layer_norm(values, (self.shape.hidden_size,), self.weights[f"{name}.weight"],
                                     self.weights[f"{name}.bias"], self.shape.layer_norm_eps)
