"""The explorer on a decoder: the tiny random Llama (byte-level tokens) and the tiny vectors, for the
decoder snapshots (the next-token section, the logit lens). By hand:

    .venv/bin/python tests/snapshot_apps/decoder_app.py     (then esc, n)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from conftest import make_tiny_keyed_vectors, save_tiny_llama  # noqa: E402

DECODER_SENTENCE = "the capital of france is paris"
MODEL_NAME = "tiny-llama"


def make_decoder_app(parent: Path):
    """A WordLensApp on the tiny Llama (saved under `parent`) and the tiny vectors, the sentence typed."""
    from wordlens.core.engine import Engine
    from wordlens.core.transformer.context_model import load_context_model
    from wordlens.core.vectors.static_vectors import StaticVectors
    from wordlens.tui.app import WordLensApp

    folder = Path(parent) / MODEL_NAME
    if not (folder / "model.safetensors").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        save_tiny_llama(folder)
    model = load_context_model(folder, device="cpu")
    vectors = StaticVectors.from_keyed_vectors(make_tiny_keyed_vectors(), name="tiny")
    return WordLensApp(Engine.from_loaded(vectors, model), text=DECODER_SENTENCE)


if __name__ == "__main__":
    make_decoder_app(Path(tempfile.mkdtemp(prefix="wordlens-snapshot-"))).run()
