"""The explorer on the tiny models with a fixed sentence, for the overview snapshot.

The tiny BERT (seeded) is saved into a folder named "tiny-bert", so the model name the screen
shows does not depend on where the folder is. By hand:

    .venv/bin/python tests/snapshot_apps/overview_app.py     (then tab, o)
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

from conftest import build_tiny_bert, make_tiny_keyed_vectors, write_tiny_tokenizer  # noqa: E402

SENTENCE = "france is a country, it is in europe"
MODEL_NAME = "tiny-bert"


def make_app(parent: Path, map_fitter=None, text: str = SENTENCE):
    """A WordLensApp on the tiny models (saved under `parent`), the sentence already typed; with
    `map_fitter`, that is the engine's map into the static space."""
    from wordlens.core.engine import Engine
    from wordlens.core.transformer.context_model import load_context_model
    from wordlens.core.vectors.static_vectors import StaticVectors
    from wordlens.tui.app import WordLensApp

    folder = Path(parent) / MODEL_NAME
    if not (folder / "model.safetensors").is_file():
        write_tiny_tokenizer(folder)
        build_tiny_bert().save_pretrained(str(folder))
    model = load_context_model(folder, device="cpu")
    vectors = StaticVectors.from_keyed_vectors(make_tiny_keyed_vectors(), name="tiny")
    engine = Engine.from_loaded(vectors, model) if map_fitter is None else \
        Engine.from_loaded(vectors, model, map_fitter=map_fitter)
    return WordLensApp(engine, text=text)


if __name__ == "__main__":
    make_app(Path(tempfile.mkdtemp(prefix="wordlens-snapshot-"))).run()
