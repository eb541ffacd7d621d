"""SmolLM2 from its GGUF file: converted once through transformers into a safetensors cache folder.

Reading a GGUF file takes transformers ~30 s (it de-quantizes every tensor); the cache folder
(config.json, model.safetensors, tokenizer.json, under wordlens's cache folder) then loads on
wordlens's own Llama runtime in seconds. A manifest written last lists every file's size: a
folder without it, or with a file of another size or a json that does not parse, is converted
again, and so is one whose weights fail to load.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from wordlens.core.errors import LoadError, first_line
from wordlens.core.progress import Progress
from wordlens.core.sources import cache_folder, smollm2_gguf_file

MANIFEST = "wordlens-cache.json"
CACHE_VERSION = 1
# What the progress bar assumes a conversion takes (measured: 28 s on 2 cores).
EXPECTED_SECONDS = 30.0


def load_smollm2(device: str, progress: Progress, *, own_runtime: bool = True) -> tuple[str, Any]:
    """(the cache folder, (tokenizer, network)) of SmolLM2, converting the GGUF file first when the
    cache is missing or damaged. `own_runtime` False: (folder, None), for transformers to load."""
    from wordlens.core.transformer.llama_runtime import load_plain_llama

    progress = never_backwards(progress)  # the loader's own stages (0.5, 0.6) come after a conversion's 0.85
    gguf = smollm2_gguf_file()
    folder = converted_folder(gguf, progress)
    if not own_runtime:
        return str(folder), None
    try:
        loaded = load_plain_llama(folder, device, progress)
    except LoadError:
        loaded = None
    if loaded is None:  # whole by its manifest yet unreadable: convert once more
        folder = converted_folder(gguf, progress, force=True)
        loaded = load_plain_llama(folder, device, progress)
        if loaded is None:
            raise LoadError(f"{gguf.name}: the converted model in {folder} is not a Llama wordlens can run")
    return str(folder), loaded


def never_backwards(progress: Progress) -> Progress:
    """`progress` with each fraction at least the largest reported before it."""
    highest = [0.0]

    def report(stage: str, fraction: float) -> None:
        highest[0] = max(highest[0], fraction)
        progress(stage, highest[0])

    return report


def cache_path(gguf: Path) -> Path:
    """Where a GGUF file's conversion lives: named after the file, its size and transformers' version."""
    import transformers

    identity = f"v{CACHE_VERSION}|{gguf.name}|{gguf.stat().st_size}|{transformers.__version__}"
    digest = hashlib.sha256(identity.encode()).hexdigest()[:12]
    return cache_folder() / "models" / f"{gguf.stem}-{digest}"


def converted_folder(gguf: Path, progress: Progress, *, force: bool = False) -> Path:
    folder = cache_path(gguf)
    if not force and cache_is_whole(folder):
        return folder
    convert_gguf(gguf, folder, progress)
    return folder


def cache_is_whole(folder: Path) -> bool:
    """Whether the folder holds a finished conversion: its manifest, every file it lists at the size
    it lists, and every json file parsing."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        if manifest.get("version") != CACHE_VERSION or not files:
            return False
        for name, size in files.items():
            path = folder / name
            if not path.is_file() or path.stat().st_size != size:
                return False
            if name.endswith(".json"):
                json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return True


def convert_gguf(gguf: Path, folder: Path, progress: Progress) -> None:
    """Read the GGUF file through transformers and save it as a float32 safetensors folder, written
    beside the target and moved into place whole."""
    partial = folder.with_name(f"{folder.name}.partial-{os.getpid()}-{threading.get_ident()}")
    with _tensor_progress(progress, f"converting {gguf.name} once (about {EXPECTED_SECONDS:.0f} s)"):
        tokenizer, model = read_gguf(gguf)
        try:
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            _save_weights(model, partial)
            tokenizer.save_pretrained(str(partial))
            files = {path.name: path.stat().st_size for path in sorted(partial.iterdir()) if path.is_file()}
            manifest = {"version": CACHE_VERSION, "source": str(gguf), "files": files}
            (partial / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(partial, folder)
        except OSError as error:
            raise LoadError(f"could not write the converted model to {folder}: {first_line(error)}") from error
        finally:
            shutil.rmtree(partial, ignore_errors=True)


def read_gguf(gguf: Path) -> tuple[Any, Any]:
    """(tokenizer, LlamaForCausalLM in float32) read from a GGUF file by transformers."""
    import torch
    import transformers

    from wordlens.core.transformer.hf_runtime import _silence_transformers

    _silence_transformers(transformers)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
        )
    except Exception as error:
        raise LoadError(f"could not read {gguf}: {first_line(error)}") from error
    return tokenizer, model


def _save_weights(model: Any, folder: Path) -> None:
    """config.json and model.safetensors of a model read from GGUF (transformers refuses to save one
    itself: it counts as quantized, though its tensors are de-quantized floats by now)."""
    from safetensors.torch import save_file

    config = model.config.to_dict()
    config.pop("quantization_config", None)
    weights = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()}
    if config.get("tie_word_embeddings"):
        weights.pop("lm_head.weight", None)  # the same tensor as the input table
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "config.json").write_text(json.dumps(config, indent=2, default=str), encoding="utf-8")


class _tensor_progress:
    """While the block runs, transformers' GGUF reading reports each de-quantized tensor through
    `progress` (fractions 0.1 to 0.85) instead of drawing a tqdm bar on stderr, which would tear a
    full-screen UI. transformers names its bar `tqdm` in the module that reads GGUF; if a version
    does not, the stage is reported once and the bar is left as it is."""

    def __init__(self, progress: Progress, stage: str) -> None:
        self._progress = progress
        self._stage = stage
        self._module: Any = None
        self._original: Any = None

    def __enter__(self) -> _tensor_progress:
        self._progress(self._stage, 0.1)
        try:
            from transformers import modeling_gguf_pytorch_utils as module
        except ImportError:
            return self
        if callable(getattr(module, "tqdm", None)):
            self._module, self._original = module, module.tqdm
            module.tqdm = self._counted
        return self

    def _counted(self, iterable: Any, *args: Any, **kwargs: Any) -> Any:
        items = list(iterable)
        for index, item in enumerate(items):
            if index % 8 == 0:
                self._progress(f"{self._stage}: tensor {index + 1} of {len(items)}", 0.1 + 0.75 * index / len(items))
            yield item

    def __exit__(self, *exc: object) -> None:
        if self._module is not None:
            self._module.tqdm = self._original
