"""Any Hugging Face model through transformers: a fast tokenizer and a model that returns its
attentions.

The model is loaded with eager attention (the fused SDPA kernels return no weights), from
safetensors only unless the user allows pickle-based weights, and never with remote code
unless the user asks for it. transformers is imported inside the functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from wordlens.core.errors import InputError, LoadError, first_line
from wordlens.core.progress import Progress
from wordlens.core.transformer.context_model import NO_HEADS_OFF, NOT_AVAILABLE, HeadInputs, HeadsOff
from wordlens.core.transformer.tokens import TokenizedText, is_byte_level


class TransformersTokenizer:
    """A transformers fast tokenizer behind the interface `ContextModel` uses."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer
        self.model_max_length = int(tokenizer.model_max_length or 0)
        self.byte_level = is_byte_level(getattr(tokenizer, "backend_tokenizer", None))

    def encode(self, text: str, limit: int) -> TokenizedText:
        encoded = self._tokenizer(
            text, return_offsets_mapping=True, return_special_tokens_mask=True, truncation=True, max_length=limit
        )
        ids = list(encoded["input_ids"])
        return TokenizedText(
            ids=ids,
            type_ids=list(encoded.get("token_type_ids") or [0] * len(ids)),
            tokens=self._tokenizer.convert_ids_to_tokens(ids),
            offsets=np.array(encoded["offset_mapping"], dtype=np.int64).reshape(-1, 2),
            special=np.array(encoded["special_tokens_mask"], dtype=bool),
        )

    def token_id(self, token: str) -> int | None:
        index = self._tokenizer.convert_tokens_to_ids(token)  # get_vocab() would copy the whole vocabulary
        unknown = index == self._tokenizer.unk_token_id and token != self._tokenizer.unk_token
        return None if index is None or unknown else int(index)

    def tokens(self, ids: list[int]) -> list[str]:
        return list(self._tokenizer.convert_ids_to_tokens(ids))

    def vocabulary(self) -> dict[str, int]:
        return self._tokenizer.get_vocab()


class TransformersNetwork:
    """A transformers model behind the interface `ContextModel` uses."""

    def __init__(self, model: Any, input_names: list[str], device: str) -> None:
        self._model = model
        self._input_names = input_names
        self.name = model.__class__.__name__
        self.device = device
        config = model.config
        # BERT-like configs name it max_position_embeddings, GPT-2-like ones n_positions.
        positions = getattr(config, "max_position_embeddings", None)
        self.max_positions = int(positions if positions else getattr(config, "n_positions", 512))

    def input_embeddings(self) -> Any:
        return self._model.get_input_embeddings().weight

    def __call__(
        self, input_ids: Any, token_type_ids: Any, attention_mask: Any, *,
        heads_off: HeadsOff = NO_HEADS_OFF, capture: list[HeadInputs] | None = None,
    ) -> tuple[list[Any], list[Any]]:
        if heads_off or capture is not None:
            # Each architecture computes its scores in its own module: wordlens captures them only
            # in its own runtimes.
            raise NotImplementedError(f"attention arithmetic and switching heads off: {NOT_AVAILABLE} ({self.name})")
        given = {"input_ids": input_ids, "token_type_ids": token_type_ids, "attention_mask": attention_mask}
        # A model whose tokenizer gives no token types may read them differently (GPT-2 adds them
        # through its word embeddings): pass only what its own tokenizer would.
        inputs = {name: given[name] for name in self._input_names if name in given}
        output = self._model(**inputs, output_attentions=True, output_hidden_states=True)
        if not output.attentions or output.attentions[0] is None:
            raise InputError(f"{self.name} returned no attention weights")
        return list(output.attentions), list(output.hidden_states)


def load_with_transformers(
    folder: str, name: str, local: bool, device: str, allow_pickle: bool, trust_remote_code: bool,
    progress: Progress,
) -> tuple[TransformersTokenizer, TransformersNetwork]:
    progress("importing transformers", 0.25)
    import transformers

    _silence_transformers(transformers)
    if not local:
        local = _check_hub_id(folder)
    progress("loading the tokenizer", 0.5)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(
            folder, use_fast=True, trust_remote_code=trust_remote_code, local_files_only=local
        )
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
            folder,
            attn_implementation="eager",
            use_safetensors=None if allow_pickle else True,
            output_loading_info=True,
            trust_remote_code=trust_remote_code,
            local_files_only=local,
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
    model.eval().to(device)
    return TransformersTokenizer(tokenizer), TransformersNetwork(model, list(tokenizer.model_input_names), device)


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


def _silence_transformers(transformers: Any) -> None:
    """Progress bars and warnings written to stderr would tear a full-screen UI."""
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    try:
        from huggingface_hub.utils import disable_progress_bars
        from huggingface_hub.utils import logging as hub_logging

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
