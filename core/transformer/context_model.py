"""Contextual side: a tokenizer and a transformer that return their attentions.

A standard BERT folder runs on wordlens's own torch forward pass (`bert.py`: no transformers
import, seconds faster to start); anything else loads through transformers
(`transformers_loader.py`). Either way `ContextModel` gives the same encodings and outputs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from wordlens.core.errors import InputError, LoadError
from wordlens.core.layer_names import head_pair, heads_range, layers_range
from wordlens.core.measures.attention_views import causal_mask
from wordlens.core.memo import Memo
from wordlens.core.progress import Progress, no_progress
from wordlens.core.sources import (
    BUNDLED_MODEL_NAME,
    SMOLLM2_MODEL_NAME,
    bundled_model_folder,
    is_smollm2,
    smollm2_gguf_file,
)
from wordlens.core.text import replace_lone_surrogates
from wordlens.core.transformer.tokens import TokenizedText, byte_level_text, readable_label

if TYPE_CHECKING:
    import numpy as np


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
    ids: tuple[int, ...]
    type_ids: tuple[int, ...]


@dataclass(frozen=True)
class HeadInputs:
    """One layer's attention arithmetic, captured during the same forward pass that gave the attentions
    (torch tensors from the network, batch dimension dropped)."""

    layer_input: Any  # (T, hidden): what the layer's query/key projections read
    # (post-norm BERT: the previous layer's output; pre-norm Llama: after the input RMSNorm)
    queries: Any  # (heads, T, head_dim): the vectors the scores multiply, positions applied (after rotary)
    keys: Any  # (heads, T, head_dim): grouped key/value heads repeated to one per query head
    scale: float  # what the dot products are multiplied by (1/sqrt(head_dim))
    queries_content: Any | None = None  # rotary models: queries before the rotation (the content part)
    keys_content: Any | None = None  # rotary models: keys before the rotation


# (layer, head), 0-based: those heads' attention outputs are zeroed.
HeadsOff = frozenset[tuple[int, int]]
NO_HEADS_OFF: HeadsOff = frozenset()


@dataclass(frozen=True, eq=False)
class CapturedArithmetic:
    """Every layer's HeadInputs as numpy arrays: what the mechanism screen shows
    (core/measures/attention_arithmetic.py)."""

    layer_inputs: np.ndarray  # (layers, T, hidden)
    queries: np.ndarray  # (layers, heads, T, head_dim)
    keys: np.ndarray  # (layers, heads, T, head_dim)
    scale: float
    queries_content: np.ndarray | None = None  # (layers, heads, T, head_dim), rotary models only
    keys_content: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        arrays = (self.layer_inputs, self.queries, self.keys, self.queries_content, self.keys_content)
        return sum(array.nbytes for array in arrays if array is not None)


def captured_arithmetic(layers: list[HeadInputs]) -> CapturedArithmetic:
    import numpy as np

    def stacked(values: list[Any]) -> np.ndarray:
        array = np.stack([value.detach().float().cpu().numpy() for value in values])
        array.flags.writeable = False  # it goes into an immutable Analysis
        return array

    has_content = layers[0].queries_content is not None
    return CapturedArithmetic(
        layer_inputs=stacked([layer.layer_input for layer in layers]),
        queries=stacked([layer.queries for layer in layers]),
        keys=stacked([layer.keys for layer in layers]),
        scale=float(layers[0].scale),
        queries_content=stacked([layer.queries_content for layer in layers]) if has_content else None,
        keys_content=stacked([layer.keys_content for layer in layers]) if has_content else None,
    )


@dataclass(frozen=True)
class ModelOutput:
    attentions: np.ndarray  # (layers, heads, T, T), rows sum to 1
    hidden_states: np.ndarray  # (layers + 1, T, hidden), index 0 = embedding layer output
    captured: CapturedArithmetic | None = None  # with run(..., capture=True)


class Tokenizer(Protocol):
    model_max_length: int
    byte_level: bool  # tokens in GPT-2's byte alphabet (`Ġ` for a space)

    def encode(self, text: str, limit: int) -> TokenizedText: ...
    def token_id(self, token: str) -> int | None: ...
    def tokens(self, ids: list[int]) -> list[str]: ...
    def vocabulary(self) -> dict[str, int]: ...


class Network(Protocol):
    name: str
    device: str
    max_positions: int

    def input_embeddings(self) -> Any: ...

    def __call__(
        self, input_ids: Any, token_type_ids: Any, attention_mask: Any, *,
        heads_off: HeadsOff = NO_HEADS_OFF, capture: list[HeadInputs] | None = None,
    ) -> tuple[list[Any], list[Any]]:
        """(attentions per layer (batch, heads, T, T), hidden states: the embeddings, then each layer).
        When `capture` is a list, one HeadInputs per layer is appended to it. `heads_off`: each such
        head's context vector (its attention-weighted values) is zeroed before the output projection.
        A runtime that cannot do either raises NotImplementedError."""
        ...


NOT_AVAILABLE = "not available for this model"


class ContextModel:
    def __init__(self, tokenizer: Tokenizer, network: Network, name: str, source: str) -> None:
        self.tokenizer = tokenizer
        self.network = network
        # Fast tokenizers refuse concurrent calls ("Already borrowed"); analyses run in threads.
        self._lock = threading.Lock()
        self._units_lock = threading.Lock()  # computing the input table's unit rows, once
        self._embedding_units: np.ndarray | None = None
        # Lookups derived from this model (its input table's neighbours of a token: ~1 KB each),
        # memoised here so they go with the model when another replaces it.
        self.derived = Memo(max_entries=256)
        # The last run with continuing=True per heads switched off (the intact one and one ablation).
        self._continuable: dict[HeadsOff, _Continuable] = {}
        max_tokens = min(tokenizer.model_max_length or network.max_positions, network.max_positions)
        warm_up = self.encode("wordlens warms the model up with a short sentence.", max_tokens=max_tokens)
        try:
            warm = self.run(warm_up, capture=True)
            self.can_capture = True  # it shows its arithmetic and can switch heads off
        except NotImplementedError:
            warm = self.run(warm_up)
            self.can_capture = False
        layers, heads = warm.attentions.shape[:2]
        self.info = ModelInfo(
            name=name,
            layers=layers,
            heads=heads,
            hidden_size=warm.hidden_states.shape[-1],
            max_tokens=max_tokens,
            source=source,
            device=network.device,
            causal=causal_mask(warm.attentions),
        )

    def input_embedding_units(self) -> np.ndarray:
        """(vocabulary, hidden) the model's input embedding table, rows scaled to unit length.
        Not under the forward pass's lock: the neighbours of a new token, looked up beside the
        forward pass, waited for all of it (a 512-token edit: ~0.2 s)."""
        units = self._embedding_units
        if units is not None:
            return units
        with self._units_lock:
            if self._embedding_units is None:
                from wordlens.core.transformer.input_table_cache import unit_rows

                # memory-mapped from the cache: one copy for every explorer of this model (serve's sessions)
                self._embedding_units = unit_rows(self.network.input_embeddings().detach().float().cpu().numpy())
            return self._embedding_units

    @property
    def predicts_tokens(self) -> bool:
        """Whether the model has a language-model head (a decoder run by wordlens's own runtime)."""
        return callable(getattr(self.network, "next_token_logits", None))

    def next_token_logits(self, hidden: np.ndarray, *, normed: bool) -> np.ndarray:
        """(..., vocabulary) float32 logits of the next token from hidden states (..., hidden): the
        model's final norm (skipped when `normed`) and output layer. InputError without a head."""
        import numpy as np
        import torch

        if not self.predicts_tokens:
            raise InputError(f"{self.info.name} has no language-model head: it does not predict next tokens")
        values = torch.from_numpy(np.array(hidden, dtype=np.float32)).to(self.network.device)  # a writable copy
        with self._lock, torch.inference_mode():
            logits = self.network.next_token_logits(values, normed=normed)  # type: ignore[attr-defined]
            return logits.float().cpu().numpy()

    def token_text(self, token: str) -> str:
        """The text a token stands for: a byte-level token decoded (`ĠParis` -> ' Paris'), others as written."""
        return byte_level_text(token) if self.tokenizer.byte_level else token

    def labels(self, tokens: Sequence[str]) -> tuple[str, ...]:
        """Tokens as one-line labels: byte-level ones decoded, spaces shown as ␣ and line breaks as ↵."""
        if not self.tokenizer.byte_level:
            return tuple(tokens)
        return tuple(readable_label(byte_level_text(token)) for token in tokens)

    def token_id(self, token: str) -> int | None:
        """The token's vocabulary index, None when the tokenizer does not know it."""
        return self.tokenizer.token_id(token)

    def tokens(self, ids: list[int]) -> list[str]:
        return self.tokenizer.tokens(ids)

    def vocabulary(self) -> dict[str, int]:
        return self.tokenizer.vocabulary()

    def encode(self, text: str, max_tokens: int | None = None) -> Encoding:
        limit = max_tokens or self.info.max_tokens
        text = replace_lone_surrogates(text)  # same length: offsets still point into the caller's text
        prefix = _prefix_at_whitespace(text, limit * PREFIX_CHARS_PER_TOKEN)
        encoded = self._tokenize(prefix, limit) if prefix else None
        if encoded is None or len(encoded.ids) < limit:
            encoded = self._tokenize(text, limit)  # the prefix did not fill the model: the whole text
        special = encoded.special
        covered = int(encoded.offsets[~special, 1].max()) if (~special).any() else 0
        truncated = bool(text[covered:].strip()) and len(encoded.ids) >= limit
        return Encoding(
            tokens=tuple(encoded.tokens),
            offsets=encoded.offsets,
            special=special,
            truncated=truncated,
            ids=tuple(encoded.ids),
            type_ids=tuple(encoded.type_ids),
        )

    def _tokenize(self, text: str, limit: int) -> TokenizedText:
        with self._lock:
            return self.tokenizer.encode(text, limit)

    def run(
        self, encoding: Encoding, heads_off: HeadsOff = NO_HEADS_OFF, capture: bool = False, continuing: bool = False
    ) -> ModelOutput:
        """The model's attentions and hidden states for `encoding`, with `heads_off` switched off;
        with `capture`, every layer's queries and keys too. NotImplementedError (saying
        NOT_AVAILABLE) when the runtime can do neither; InputError for a head the model lacks.
        `continuing`: a decoder whose runtime keeps keys and values computes only the positions
        after those this text shares with the last one run so (an edit at the end of a sentence);
        the earlier positions are that run's, unchanged, since no position sees a later one."""
        import numpy as np

        if heads_off and hasattr(self, "info"):
            check_heads(heads_off, self.info)
        if continuing and encoding.ids and callable(getattr(self.network, "new_past", None)):
            return self._run_continuing(encoding, heads_off, capture)
        if not encoding.ids:  # an empty text on a model that adds no special tokens (a decoder)
            info = self.info
            return ModelOutput(
                attentions=np.zeros((info.layers, info.heads, 0, 0), dtype=np.float32),
                hidden_states=np.zeros((info.layers + 1, 0, info.hidden_size), dtype=np.float32),
            )
        layers: list[HeadInputs] | None = [] if capture else None
        attentions, hidden = self._forward([encoding], heads_off=heads_off, capture=layers)
        captured = captured_arithmetic(layers) if layers else None
        return ModelOutput(attentions=attentions[:, 0], hidden_states=hidden[:, 0], captured=captured)

    def _run_continuing(self, encoding: Encoding, heads_off: HeadsOff, capture: bool) -> ModelOutput:
        import torch

        with self._lock:
            earlier = self._continuable.get(heads_off)
        shared = 0
        if earlier is not None and (earlier.captured or not capture):
            shared = _shared_prefix(earlier.ids, encoding.ids)
        length = len(encoding.ids)
        if earlier is not None and shared == length:  # the same text, or the start of the last one
            output, past = _first_positions(earlier.output, length, capture), earlier.past.cut(length)
        else:
            past = earlier.past.cut(shared) if earlier is not None and shared else self.network.new_past()  # type: ignore[attr-defined]
            layers: list[HeadInputs] | None = [] if capture else None
            ids = torch.tensor([encoding.ids[shared:]], dtype=torch.long)
            arguments: dict[str, Any] = {"heads_off": heads_off} if heads_off else {}
            with self._lock, torch.inference_mode():
                attention_layers, hidden_layers = self.network(
                    ids.to(self.network.device), torch.zeros_like(ids), torch.ones_like(ids),
                    capture=layers, past=past, **arguments)  # type: ignore[call-arg]  # new_past: it continues
                new = ModelOutput(
                    attentions=_read_only(_stacked(attention_layers)[:, 0]),  # kept for the next: read only
                    hidden_states=_read_only(_stacked(hidden_layers)[:, 0]),
                    captured=captured_arithmetic(layers) if layers else None,
                )
            output = _continued(earlier.output, shared, new) if earlier is not None and shared else new
        with self._lock:
            self._continuable[heads_off] = _Continuable(encoding.ids, capture, output, past)
            while len(self._continuable) > CONTINUABLE_RUNS:
                del self._continuable[next(iter(self._continuable))]
        return output

    def hidden_states_batch(self, encodings: Sequence[Encoding]) -> np.ndarray:
        """(batch, layers + 1, T, hidden) for several encodings at once, padded on the right to
        the longest; positions past an encoding's own length are padding."""
        return self._forward(encodings)[1].transpose(1, 0, 2, 3)

    def _forward(
        self, encodings: Sequence[Encoding], heads_off: HeadsOff = NO_HEADS_OFF,
        capture: list[HeadInputs] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(layers, batch, heads, T, T) attentions and (layers + 1, batch, T, hidden) hidden states."""
        import torch

        length = max(len(encoding.ids) for encoding in encodings)
        ids = torch.zeros((len(encodings), length), dtype=torch.long)
        type_ids = torch.zeros_like(ids)
        mask = torch.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            size = len(encoding.ids)
            ids[row, :size] = torch.tensor(encoding.ids)
            type_ids[row, :size] = torch.tensor(encoding.type_ids)
            mask[row, :size] = 1
        device = self.network.device
        with self._lock, torch.inference_mode():
            arguments: dict[str, Any] = {}  # only when asked: a runtime written before them need not take them
            if heads_off:
                arguments["heads_off"] = heads_off
            if capture is not None:
                arguments["capture"] = capture
            attention_layers, hidden_layers = self.network(
                ids.to(device), type_ids.to(device), mask.to(device), **arguments)
            return _stacked(attention_layers), _stacked(hidden_layers)


CONTINUABLE_RUNS = 2


@dataclass(frozen=True, eq=False)
class _Continuable:
    ids: tuple[int, ...]
    captured: bool
    output: ModelOutput
    past: Any  # the network's keys and values of every position of `ids`


def _shared_prefix(first: Sequence[int], second: Sequence[int]) -> int:
    shared = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        shared += 1
    return shared


def _read_only(array: np.ndarray) -> np.ndarray:
    import numpy as np

    array = np.ascontiguousarray(array)
    array.flags.writeable = False
    return array


def _first_positions(output: ModelOutput, length: int, capture: bool) -> ModelOutput:
    """`output` of a text cut to its first `length` positions."""
    import numpy as np

    captured = output.captured
    if captured is not None and capture:
        def cut(array: np.ndarray | None, axis: int) -> np.ndarray | None:
            return None if array is None else _read_only(np.take(array, np.arange(length), axis=axis))

        captured = CapturedArithmetic(
            layer_inputs=cut(captured.layer_inputs, 1),  # type: ignore[arg-type]
            queries=cut(captured.queries, 2),  # type: ignore[arg-type]
            keys=cut(captured.keys, 2),  # type: ignore[arg-type]
            scale=captured.scale,
            queries_content=cut(captured.queries_content, 2),
            keys_content=cut(captured.keys_content, 2),
        )
    return ModelOutput(
        attentions=_read_only(output.attentions[:, :, :length, :length]),
        hidden_states=_read_only(output.hidden_states[:, :length]),
        captured=captured if capture else None,
    )


def _continued(earlier: ModelOutput, shared: int, new: ModelOutput) -> ModelOutput:
    """The earlier output's first `shared` positions followed by `new`'s (a continuation's rows)."""
    import numpy as np

    layers, heads, added, length = new.attentions.shape
    attentions = np.zeros((layers, heads, length, length), dtype=np.float32)
    attentions[:, :, :shared, :shared] = earlier.attentions[:, :, :shared, :shared]
    attentions[:, :, shared:] = new.attentions  # later keys are masked: exactly 0 in a whole pass too
    attentions.flags.writeable = False
    hidden = _read_only(np.concatenate([earlier.hidden_states[:, :shared], new.hidden_states], axis=1))
    captured = None
    if new.captured is not None and earlier.captured is not None:
        before, after = earlier.captured, new.captured

        def joined(first: np.ndarray | None, second: np.ndarray | None, axis: int) -> np.ndarray | None:
            if first is None or second is None:
                return None
            return _read_only(np.concatenate([np.take(first, np.arange(shared), axis=axis), second], axis=axis))

        captured = CapturedArithmetic(
            layer_inputs=joined(before.layer_inputs, after.layer_inputs, 1),  # type: ignore[arg-type]
            queries=joined(before.queries, after.queries, 2),  # type: ignore[arg-type]
            keys=joined(before.keys, after.keys, 2),  # type: ignore[arg-type]
            scale=after.scale,
            queries_content=joined(before.queries_content, after.queries_content, 2),
            keys_content=joined(before.keys_content, after.keys_content, 2),
        )
    return ModelOutput(attentions=attentions, hidden_states=hidden, captured=captured)


def check_heads(heads_off: HeadsOff, model: ModelInfo) -> None:
    """An InputError naming the first (layer, head) the model does not have."""
    for layer, head in sorted(heads_off):
        if not (0 <= layer < model.layers and 0 <= head < model.heads):
            raise InputError(
                f"head {head_pair(layer, head)} is out of range: {model.name} has {layers_range(model.layers)}, "
                f"{heads_range(model.heads)}")


def parse_heads(text: str) -> HeadsOff:
    """'4:2,5:1' (layers and heads counted from 1, as the screens name them: L4 H2) -> the 0-based
    indices {(3, 1), (4, 0)}; an InputError for anything else."""
    heads = set()
    for part in text.split(","):
        layer, colon, head = part.strip().partition(":")
        if not (colon and layer.strip().isdigit() and head.strip().isdigit() and int(layer) > 0 and int(head) > 0):
            raise InputError(f"--ablate {text}: expected LAYER:HEAD[,LAYER:HEAD...] counted from 1 as the screens "
                             "name them (L4 H2 is 4:2), e.g. 4:2,5:1")
        heads.add((int(layer) - 1, int(head) - 1))
    return frozenset(heads)


def heads_label(heads_off: HeadsOff) -> str:
    """'4:2, 5:1' for the indices {(3, 1), (4, 0)}: the heads in order, as --ablate takes them."""
    return ", ".join(head_pair(layer, head) for layer, head in sorted(heads_off))


def _stacked(layers: list[Any]) -> np.ndarray:
    """One float32 array of the per-layer tensors, each freed once copied: torch.stack would hold
    the list and the stacked copy at once (150 MB for the attentions of 512 tokens, not 80)."""
    import numpy as np

    first = layers[0]
    stacked = np.empty((len(layers), *first.shape), dtype=np.float32)
    for index in range(len(layers)):
        stacked[index] = layers[index].float().cpu().numpy()
        layers[index] = None  # the list is the network's own: dropping the tensor frees it
    return stacked


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
    runtime: str = "auto",
    threads: int | None = None,
    progress: Progress = no_progress,
) -> ContextModel:
    """Load a tokenizer + transformer from a local folder or a hub id (None: the bundled one).
    `runtime`: "auto" runs a standard BERT folder on wordlens's own forward pass and anything
    else through transformers; "transformers" always uses transformers.
    `threads`: torch's CPU threads (None: torch's default, one per core); torch's setting is
    process-wide."""
    if runtime not in RUNTIMES:
        raise LoadError(f"--runtime {runtime}: expected one of {', '.join(RUNTIMES)}")
    converted = source is not None and is_smollm2(str(source))
    if source is None:
        folder, name, local = str(bundled_model_folder()), BUNDLED_MODEL_NAME, True
    elif converted:
        folder, name, local = "", SMOLLM2_MODEL_NAME, True
    else:
        folder, name, local = resolve_model_source(str(source))
    progress("importing torch", 0.05)
    import torch

    if threads:
        torch.set_num_threads(threads)
    resolved_device = _pick_device(device, torch)
    loaded: tuple[Tokenizer, Network] | None = None
    if converted:
        from wordlens.core.transformer.gguf_cache import load_smollm2

        folder, loaded = load_smollm2(resolved_device, progress, own_runtime=runtime == "auto")
    elif runtime == "auto" and local and not trust_remote_code:
        loaded = _load_with_own_runtime(Path(folder), resolved_device, progress)
    if loaded is None:
        from wordlens.core.transformer.hf_runtime import load_with_transformers

        loaded = load_with_transformers(folder, name, local, resolved_device, allow_pickle, trust_remote_code, progress)
    tokenizer, network = loaded
    progress("warming up", 0.9)
    try:
        context_model = ContextModel(tokenizer, network, name=name, source=folder)
    except InputError as error:
        raise LoadError(f"{name}: {error}") from error
    progress("ready", 1.0)
    return context_model


RUNTIMES = ("auto", "transformers")


def _load_with_own_runtime(folder: Path, device: str, progress: Progress) -> tuple[Tokenizer, Network] | None:
    """A standard BERT or Llama folder on wordlens's own forward pass; None for anything else."""
    from wordlens.core.transformer.bert_runtime import load_plain_bert
    from wordlens.core.transformer.llama_runtime import load_plain_llama

    return load_plain_bert(folder, device, progress) or load_plain_llama(folder, device, progress)


def resolve_model_source(source: str) -> tuple[str, str, bool]:
    if is_smollm2(source):
        return str(smollm2_gguf_file()), SMOLLM2_MODEL_NAME, True
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


