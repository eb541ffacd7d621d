"""Contextual side: a Hugging Face tokenizer and transformer that return their attentions.

The model is loaded with eager attention (the fused SDPA kernels return no weights), from
safetensors only unless the user allows pickle-based weights, and never with remote code
unless the user asks for it.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wordlens.core.errors import InputError, LoadError, first_line
from wordlens.core.progress import Progress, no_progress
from wordlens.core.sources import BUNDLED_MODEL_NAME, bundled_model_folder
from wordlens.core.text import replace_lone_surrogates
from wordlens.core.views import causal_mask


@dataclass(frozen=True)
class ModelInfo:
    name: str
    layers: int
    heads: int
    hidden_size: int
    max_tokens: int
    source: str
    device: str
    causal: bool = False  # a decoder: each token attends only to itself and earlier tokens


@dataclass(frozen=True)
class Encoding:
    tokens: tuple[str, ...]
    offsets: np.ndarray  # (T, 2) character span of each token in the text
    special: np.ndarray  # (T,) bool, True for [CLS], [SEP], <s>, padding...
    truncated: bool  # True when the text had more tokens than the model takes
    model_inputs: dict[str, Any]


@dataclass(frozen=True)
class ModelOutput:
    attentions: np.ndarray  # (layers, heads, T, T), rows sum to 1
    hidden_states: np.ndarray  # (layers + 1, T, hidden), index 0 = embedding layer output


class ContextModel:
    def __init__(self, tokenizer: Any, model: Any, name: str, source: str, device: str) -> None:
        self.tokenizer = tokenizer
        self.model = model
        # Fast tokenizers refuse concurrent calls ("Already borrowed"); analyses run in threads.
        self._lock = threading.Lock()
        self._embedding_units: np.ndarray | None = None
        config = model.config
        max_positions = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", 512)
        max_tokens = min(int(tokenizer.model_max_length or max_positions), int(max_positions))
        warm = self.run(self.encode("wordlens warms the model up with a short sentence.", max_tokens=max_tokens))
        layers, heads = warm.attentions.shape[:2]
        self.info = ModelInfo(
            name=name,
            layers=layers,
            heads=heads,
            hidden_size=warm.hidden_states.shape[-1],
            max_tokens=max_tokens,
            source=source,
            device=device,
            causal=causal_mask(warm.attentions),
        )

    def input_embedding_units(self) -> np.ndarray:
        """(vocabulary, hidden) the model's input embedding table, rows scaled to unit length."""
        with self._lock:
            if self._embedding_units is None:
                table = self.model.get_input_embeddings().weight.detach().float().cpu().numpy()
                norms = np.linalg.norm(table, axis=1, keepdims=True)
                self._embedding_units = np.divide(table, norms, out=np.zeros_like(table), where=norms > 0)
        return self._embedding_units

    def encode(self, text: str, max_tokens: int | None = None) -> Encoding:
        limit = max_tokens or self.info.max_tokens
        text = replace_lone_surrogates(text)  # same length: offsets still point into the caller's text
        prefix = _prefix_at_whitespace(text, limit * PREFIX_CHARS_PER_TOKEN)
        encoded = self._tokenize(prefix, limit) if prefix else None
        if encoded is None or encoded["input_ids"].shape[1] < limit:
            encoded = self._tokenize(text, limit)  # the prefix did not fill the model: the whole text
        offsets = encoded.pop("offset_mapping")[0].numpy()
        special = encoded.pop("special_tokens_mask")[0].numpy().astype(bool)
        ids = encoded["input_ids"][0].tolist()
        tokens = tuple(self.tokenizer.convert_ids_to_tokens(ids))
        covered = int(offsets[~special, 1].max()) if (~special).any() else 0
        truncated = bool(text[covered:].strip()) and len(ids) >= limit
        return Encoding(tokens, offsets, special, truncated, dict(encoded))

    def _tokenize(self, text: str, limit: int) -> Any:
        with self._lock:
            return self.tokenizer(
                text,
                return_offsets_mapping=True,
                return_special_tokens_mask=True,
                truncation=True,
                max_length=limit,
                return_tensors="pt",
            )

    def run(self, encoding: Encoding) -> ModelOutput:
        import torch

        inputs = {name: tensor.to(self.model.device) for name, tensor in encoding.model_inputs.items()}
        with self._lock, torch.inference_mode():
            output = self.model(**inputs, output_attentions=True, output_hidden_states=True)
        if not output.attentions or output.attentions[0] is None:
            raise InputError(f"{self.model.__class__.__name__} returned no attention weights")
        attentions = torch.stack(output.attentions)[:, 0].float().cpu().numpy()
        hidden = torch.stack(output.hidden_states)[:, 0].float().cpu().numpy()
        return ModelOutput(attentions=attentions, hidden_states=hidden)


# A long paste is tokenized from its start only: a prefix this many characters per token of the
# model's maximum, cut at a space, almost always fills it (a megabyte costs a second otherwise).
PREFIX_CHARS_PER_TOKEN = 32


def _prefix_at_whitespace(text: str, length: int) -> str:
    """The start of `text` up to its last whitespace within `length` characters; '' when the
    text is that short anyway or has no whitespace there (a word cut in two would tokenize
    differently)."""
    if len(text) <= length:
        return ""
    for end in range(length, 0, -1):
        if text[end].isspace():
            return text[:end]
    return ""


def load_context_model(
    source: str | Path | None = None,
    *,
    device: str = "auto",
    allow_pickle: bool = False,
    trust_remote_code: bool = False,
    progress: Progress = no_progress,
) -> ContextModel:
    """Load a tokenizer + transformer from a local folder or a hub id (None: the bundled one)."""
    if source is None:
        folder, name, local = bundled_model_folder(), BUNDLED_MODEL_NAME, True
    else:
        folder, name, local = resolve_model_source(str(source))
    progress("importing torch", 0.05)
    import torch

    progress("importing transformers", 0.25)
    import transformers

    _silence_transformers(transformers)
    if not local:
        local = _check_hub_id(str(folder))
    resolved_device = _pick_device(device, torch)
    common = {"trust_remote_code": trust_remote_code, "local_files_only": local}
    progress("loading the tokenizer", 0.5)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder), use_fast=True, **common)
    except Exception as error:
        raise LoadError(f"could not load a tokenizer from {folder}: {first_line(error)}") from error
    if not getattr(tokenizer, "is_fast", False):
        raise LoadError(f"{name}: wordlens needs a fast (Rust) tokenizer for character offsets; none found")
    if len(tokenizer) <= len(set(tokenizer.all_special_ids)):
        # transformers builds an empty tokenizer from a folder without tokenizer files.
        raise LoadError(f"{folder} has no tokenizer files (tokenizer.json, vocab.txt...): its vocabulary is empty")
    progress("loading the weights", 0.6)
    try:
        model, loading = transformers.AutoModel.from_pretrained(
            str(folder),
            attn_implementation="eager",
            use_safetensors=None if allow_pickle else True,
            output_loading_info=True,
            **common,
        )
    except Exception as error:
        raise LoadError(_weights_error(folder, error, allow_pickle)) from error
    # transformers fills weights missing from the checkpoint with random ones, and says so only
    # in a log line; the pooler is not used for attention.
    missing = [key for key in loading.get("missing_keys", ()) if "pooler" not in key]
    if missing:
        raise LoadError(
            f"{name}: {len(missing)} of the model's weights are not in its checkpoint (e.g. {missing[0]}); "
            "the weights do not fit config.json"
        )
    model.eval().to(resolved_device)
    progress("warming up", 0.9)
    try:
        context_model = ContextModel(tokenizer, model, name=name, source=str(folder), device=resolved_device)
    except InputError as error:
        raise LoadError(f"{name}: {error}") from error
    progress("ready", 1.0)
    return context_model


def resolve_model_source(source: str) -> tuple[str, str, bool]:
    path = Path(source).expanduser()
    if path.exists():
        if not path.is_dir():
            raise LoadError(f"{path} is a file; --model expects a model folder (with config.json) or a hub id")
        if not (path / "config.json").is_file():
            raise LoadError(f"{path} has no config.json; it is not a Hugging Face model folder")
        return str(path), path.resolve().name, True
    looks_like_path = source.startswith((".", "/", "~")) or source.count("/") > 1
    if looks_like_path:
        raise LoadError(f"model folder not found: {path}")
    return source, source, False


def _check_hub_id(repo_id: str) -> bool:
    """Whether a hub id can load from the local cache alone; if it cannot, fail at once when the
    hub's host does not even resolve (offline), instead of after a minute of retries."""
    import os
    import socket
    from urllib.parse import urlparse

    from huggingface_hub import constants, try_to_load_from_cache

    if isinstance(try_to_load_from_cache(repo_id, "config.json"), str):
        return True
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return False  # transformers itself refuses at once, naming the id
    host = urlparse(constants.ENDPOINT).hostname or ""
    try:
        socket.getaddrinfo(host, 443)
    except OSError as error:
        raise LoadError(
            f"{repo_id} is not a local folder nor in the download cache, and {host} cannot be reached "
            f"({first_line(error)}): pass a model folder, or connect"
        ) from error
    return False


DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def check_device(device: str) -> None:
    """A LoadError unless `device` names a device torch can use here. Imports torch only for a GPU
    choice, so `auto` and `cpu` stay instant."""
    if not DEVICE_PATTERN.fullmatch(device):
        raise LoadError(f"--device {device}: expected auto, cpu, cuda, cuda:N or mps")
    if device in ("auto", "cpu"):
        return
    import torch

    _pick_device(device, torch)


def _pick_device(device: str, torch: Any) -> str:
    """The torch device for `device`: auto means CUDA when torch sees a GPU, else the CPU."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            why = "this torch is built without CUDA" if torch.version.cuda is None else "torch sees no CUDA device"
            raise LoadError(f"--device {device}: {why} here; use --device cpu (or auto)")
        count = torch.cuda.device_count()
        index = int(device.partition(":")[2] or 0)
        if index >= count:
            raise LoadError(f"--device {device}: torch sees {count} CUDA device(s), cuda:0 to cuda:{count - 1}")
    if device == "mps" and not torch.backends.mps.is_available():
        raise LoadError("--device mps: torch sees no Apple GPU (MPS) here; use --device cpu (or auto)")
    return device


def _silence_transformers(transformers: Any) -> None:
    """Progress bars and warnings written to stderr would tear a full-screen UI."""
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    try:
        from huggingface_hub.utils import disable_progress_bars, logging as hub_logging

        disable_progress_bars()
        hub_logging.set_verbosity_error()  # "Retrying in 1s" warnings
    except ImportError:
        pass


def _weights_error(folder: str | Path, error: BaseException, allow_pickle: bool) -> str:
    message = first_line(error)
    has_pickle_weights = Path(folder).is_dir() and any(Path(folder).glob("*.bin"))
    if not allow_pickle and has_pickle_weights and not any(Path(folder).glob("*.safetensors")):
        return (
            f"{folder} has only pickle-based weights (.bin), and loading a pickle can run code from it; "
            "pass --allow-pickle if you trust the files"
        )
    return f"could not load the model from {folder}: {message}"
