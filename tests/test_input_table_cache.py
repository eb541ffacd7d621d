"""The model's input table with unit rows: computed once, then memory-mapped from the cache folder."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from wordlens.core.transformer.context_model import ContextModel
from wordlens.core.transformer.input_table_cache import unit_rows


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "wordlens" / "input_tables"


def table(seed: int = 0) -> np.ndarray:
    values = np.random.default_rng(seed).normal(size=(50, 8)).astype(np.float32)
    values[3] = 0.0  # a zero row stays zero
    return values


def expected(values: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    return np.divide(values, norms, out=np.zeros_like(values), where=norms > 0)


def test_the_table_is_written_once_and_mapped_read_only(cache):
    first, second = unit_rows(table()), unit_rows(table())
    np.testing.assert_allclose(first, expected(table()), rtol=1e-6)
    np.testing.assert_array_equal(first, second)
    assert isinstance(first, np.memmap) and not first.flags.writeable
    assert len(list(cache.glob("*.npy"))) == 1
    assert not first[3].any()


def test_another_table_gets_its_own_file(cache):
    unit_rows(table(0))
    np.testing.assert_allclose(unit_rows(table(1)), expected(table(1)), rtol=1e-6)
    assert len(list(cache.glob("*.npy"))) == 2


def test_a_damaged_file_is_rebuilt(cache):
    unit_rows(table())
    (path,) = cache.glob("*.npy")
    data = bytearray(path.read_bytes())
    data[-4:] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    np.testing.assert_allclose(unit_rows(table()), expected(table()), rtol=1e-6)


def test_an_unwritable_cache_keeps_the_table_in_memory(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    units = unit_rows(table())
    np.testing.assert_allclose(units, expected(table()), rtol=1e-6)
    assert not isinstance(units, np.memmap)


def test_the_model_maps_its_table_from_the_cache(cache, tiny_model):
    fresh = ContextModel(tiny_model.tokenizer, tiny_model.network, name="tiny", source="tiny")  # nothing computed yet
    units = fresh.input_embedding_units()
    assert isinstance(units, np.memmap) and len(list(cache.glob("*.npy"))) == 1
    np.testing.assert_allclose(units, expected(tiny_model.network.input_embeddings().numpy()), rtol=1e-5)


MAPPED_FILE = """
import sys, time
from pathlib import Path
import numpy as np
from wordlens.core.transformer.input_table_cache import unit_rows
values = np.random.default_rng(0).normal(size=(200_000, 64)).astype(np.float32)
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
units = unit_rows(values)
(mapping,) = [line for line in Path("/proc/self/maps").read_text().splitlines() if "input_tables" in line][:1]
print(mapping.split()[4], "(deleted)" in mapping)
"""


def test_explorers_loading_at_once_map_one_file(cache, tmp_path):
    """serve's sessions load together: had each written its own file, each would map the copy it wrote."""
    go = tmp_path / "go"
    loaders = [subprocess.Popen([sys.executable, "-c", MAPPED_FILE, str(go)], stdout=subprocess.PIPE, text=True)
               for _ in range(3)]
    time.sleep(1.5)  # all three have built their table and wait for the signal
    go.touch()
    answers = [loader.communicate(timeout=60)[0].split() for loader in loaders]
    assert all(loader.returncode == 0 for loader in loaders)
    assert [deleted for _, deleted in answers] == ["False"] * 3
    assert len({inode for inode, _ in answers}) == 1
    assert len(list(cache.glob("*.npy"))) == 1
