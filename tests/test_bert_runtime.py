"""wordlens's own BERT forward pass (core/bert.py) against transformers on the same folder.

A standard BERT folder runs on the own pass, which starts seconds sooner; every number it gives
must be the one transformers gives. Anything the own pass does not fully understand goes to
transformers instead.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wordlens.core.transformer.bert_runtime import BertNetwork
from wordlens.core.transformer.context_model import load_context_model
from wordlens.core.transformer.hf_runtime import TransformersNetwork

HOSTILE_TEXTS = [
    "France is a country, it is in Europe",
    "I sat on the bank of the river.",
    "",
    "   \t  ",
    "Ünïcödé café naïve e\u0301 東京 שלום مرحبا 😀🐶",
    "tabs\tand\x07controls\x1b[2J and [CLS] [SEP] [MASK] typed by hand",
    "word " * 700,  # past the 512 positions
    "x" * 3000,  # one long word
]


def assert_same_analysis(own, reference, text):
    mine, theirs = own.encode(text), reference.encode(text)
    assert (mine.tokens, mine.ids, mine.type_ids, mine.truncated) == (
        theirs.tokens, theirs.ids, theirs.type_ids, theirs.truncated)
    assert np.array_equal(mine.offsets, theirs.offsets) and np.array_equal(mine.special, theirs.special)
    mine_out, theirs_out = own.run(mine), reference.run(theirs)
    np.testing.assert_allclose(mine_out.attentions, theirs_out.attentions, rtol=0, atol=1e-6)
    np.testing.assert_allclose(mine_out.hidden_states, theirs_out.hidden_states, rtol=0, atol=1e-5)


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_the_tiny_bert_gives_what_transformers_gives(tiny_model, tiny_model_through_transformers, text):
    assert isinstance(tiny_model.network, BertNetwork)
    assert_same_analysis(tiny_model, tiny_model_through_transformers, text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(exclude_categories=()), max_size=120))
def test_any_text_tokenizes_as_transformers_tokenizes_it(tiny_model, tiny_model_through_transformers, text):
    mine, theirs = tiny_model.encode(text), tiny_model_through_transformers.encode(text)
    assert (mine.tokens, mine.ids, mine.offsets.tolist(), mine.special.tolist()) == (
        theirs.tokens, theirs.ids, theirs.offsets.tolist(), theirs.special.tolist())


@pytest.fixture(scope="module")
def bundled_models():
    return load_context_model(device="cpu"), load_context_model(device="cpu", runtime="transformers")


@pytest.mark.real_models
@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_the_bundled_model_gives_what_transformers_gives(bundled_models, text):
    own, reference = bundled_models
    assert isinstance(own.network, BertNetwork) and isinstance(reference.network, TransformersNetwork)
    assert own.info == reference.info
    assert_same_analysis(own, reference, text)


@pytest.mark.real_models
def test_loading_the_bundled_model_does_not_import_transformers():
    """The point of the own pass: transformers' import is most of a second launch's wait."""
    code = (
        "import sys\n"
        "from wordlens.core.transformer.context_model import load_context_model\n"
        "model = load_context_model(device='cpu')\n"
        "model.run(model.encode('it is in Europe'))\n"
        "print('transformers' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def _variant(tiny_model_dir, tmp_path, file: str, **changes):
    folder = tmp_path / f"variant-{file}"
    shutil.copytree(tiny_model_dir, folder)
    path = folder / file
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))
    return folder


@pytest.mark.parametrize("file, changes", [
    ("config.json", {"hidden_act": "gelu_new"}),  # an activation the own pass does not compute
    ("config.json", {"position_embedding_type": "relative_key"}),
    ("tokenizer_config.json", {"do_lower_case": False}),  # transformers rebuilds the normalizer from it
])
def test_a_folder_the_own_pass_does_not_fully_understand_goes_to_transformers(
        tiny_model_dir, tmp_path, file, changes):
    folder = _variant(tiny_model_dir, tmp_path, file, **changes)
    model = load_context_model(folder, device="cpu")
    assert isinstance(model.network, TransformersNetwork)
    assert_same_analysis(model, load_context_model(folder, device="cpu", runtime="transformers"), "Walking dogs")


def test_trust_remote_code_always_goes_to_transformers(tiny_model_dir):
    model = load_context_model(tiny_model_dir, device="cpu", trust_remote_code=True)
    assert isinstance(model.network, TransformersNetwork)
