"""Nothing runs code from a model or vectors file unless the user says so.

Each hostile file here would write a marker file if its code ran: a pickle whose unpickling
calls exec, a model folder whose config points at its own Python module. By default the marker
never appears; the opt-in flags show the tests can tell (the marker does appear with them).
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest

from cli_support import assert_one_line_error, run


class _RunsCode:
    """Unpickling this calls exec(source)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def __reduce__(self):
        return exec, (self.source,)


def _marker_source(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('ran')"


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "code-ran"


def _evil_pickle(path: Path, marker: Path) -> Path:
    path.write_bytes(pickle.dumps(_RunsCode(_marker_source(marker)), protocol=4))
    return path


# ---------------------------------------------------------------------------------------------
# Vectors: gensim pickles
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["vectors.kv", "vectors.model", "vectors.pkl", "no-suffix-but-a-pickle"])
def test_a_gensim_pickle_is_not_opened_without_allow_pickle(capsys, tmp_path, marker, name):
    path = _evil_pickle(tmp_path / name, marker)
    code, out, err = run(capsys, "neighbours", "dog", "--vectors", path)
    assert_one_line_error(code, out, err, "--allow-pickle")
    assert not marker.exists()


def test_allow_pickle_is_what_lets_a_gensim_pickle_load(capsys, tmp_path, marker):
    """The control: with the flag the same file is unpickled (and its code runs), so the test
    above would notice if the refusal went away."""
    path = _evil_pickle(tmp_path / "vectors.kv", marker)
    code, out, err = run(capsys, "neighbours", "dog", "--vectors", path, "--allow-pickle")
    assert marker.exists()
    assert code == 2 and "Traceback" not in err  # what it unpickled is no KeyedVectors: one line


# ---------------------------------------------------------------------------------------------
# Models: torch .bin pickles and remote code
# ---------------------------------------------------------------------------------------------


def _copy_model(tiny_model_dir: Path, folder: Path) -> Path:
    shutil.copytree(tiny_model_dir, folder)
    return folder


def test_a_torch_bin_is_not_opened_without_allow_pickle(capsys, tmp_path, tiny_model_dir, marker):
    folder = _copy_model(tiny_model_dir, tmp_path / "bin-only")
    (folder / "model.safetensors").unlink()
    _evil_pickle(folder / "pytorch_model.bin", marker)
    code, out, err = run(capsys, "attention", "the dog", "--model", folder)
    assert_one_line_error(code, out, err, "--allow-pickle", ".bin")
    assert not marker.exists()


def test_safetensors_are_chosen_over_a_torch_bin_beside_them(capsys, tmp_path, tiny_model_dir, marker):
    folder = _copy_model(tiny_model_dir, tmp_path / "both")
    _evil_pickle(folder / "pytorch_model.bin", marker)
    code, out, err = run(capsys, "attention", "the dog", "--model", folder, "--json")
    assert code == 0, err
    assert not marker.exists()


def _remote_code_model(tiny_model_dir: Path, folder: Path, marker: Path) -> Path:
    """The tiny BERT whose config asks for its own module, which writes the marker on import."""
    _copy_model(tiny_model_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoConfig": "own_code.OwnConfig", "AutoModel": "own_code.OwnModel"}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "own_code.py").write_text(
        _marker_source(marker) + "\n"
        "from transformers import BertConfig, BertModel\n\n\n"
        "class OwnConfig(BertConfig):\n    pass\n\n\n"
        "class OwnModel(BertModel):\n    config_class = OwnConfig\n"
    )
    return folder


def test_a_model_folder_s_own_code_does_not_run_by_default(capsys, tmp_path, tiny_model_dir, marker):
    folder = _remote_code_model(tiny_model_dir, tmp_path / "own-code", marker)
    code, out, err = run(capsys, "attention", "the dog", "--model", folder, "--json")
    assert code == 0, err  # it is a BERT: transformers' own class loads it
    assert not marker.exists()


def test_trust_remote_code_is_what_lets_it_run(capsys, tmp_path, tiny_model_dir, marker):
    folder = _remote_code_model(tiny_model_dir, tmp_path / "own-code", marker)
    run(capsys, "attention", "the dog", "--model", folder, "--json", "--trust-remote-code")
    assert marker.exists()


def test_the_loaders_default_to_no_pickle_and_no_remote_code():
    import inspect

    from wordlens.core.engine import Sources
    from wordlens.core.transformer.context_model import load_context_model
    from wordlens.core.vectors.static_vectors import load_vectors_file
    from wordlens.tui.cli.main import build_parser

    defaults = inspect.signature(load_context_model).parameters
    assert defaults["allow_pickle"].default is False and defaults["trust_remote_code"].default is False
    assert inspect.signature(load_vectors_file).parameters["allow_pickle"].default is False
    assert Sources().allow_pickle is False and Sources().trust_remote_code is False
    args = build_parser().parse_args([])
    assert args.allow_pickle is False and args.trust_remote_code is False
