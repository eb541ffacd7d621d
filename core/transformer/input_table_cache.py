"""The model's input table with unit rows, built once into the cache folder and memory-mapped.

Every explorer of the same model (each `wordlens serve` session) then maps one file (47 MB for
all-MiniLM-L6-v2) instead of holding its own copy. The file is named after a hash of the table it
was computed from, so another model, or changed weights, never read a stale one; a damaged file
(its CRC differs) is rebuilt; when the cache cannot be written the table is kept in memory. Explorers
loading at once (serve's sessions) take turns on a lock file: the first writes, the others map its file
(had each written its own, every one would keep the copy it mapped, and nothing would be shared).
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import mmap
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from wordlens.core.sources import cache_folder

FORMAT = 1


def unit_rows(table: np.ndarray) -> np.ndarray:
    """(rows, columns) float32: `table` with each row scaled to length 1 (zero rows stay zero); read-only."""
    table = np.ascontiguousarray(table, dtype=np.float32)
    path = _place(table)
    mapped = _open(path, table.shape)
    if mapped is not None:
        return mapped
    units = None
    try:
        with _writer_turn(path):
            mapped = _open(path, table.shape)  # written by whoever held the turn before
            if mapped is not None:
                return mapped
            units = _compute(table)
            _save(path, units)
    except OSError:
        return units if units is not None else _compute(table)
    mapped = _open(path, table.shape)
    return units if mapped is None else mapped


@contextmanager
def _writer_turn(path: Path) -> Iterator[None]:
    """Held by one process at a time for `path` (an advisory lock on a file beside it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _compute(table: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(table, axis=1, keepdims=True)
    return np.divide(table, norms, out=np.zeros_like(table), where=norms > 0)


def _place(table: np.ndarray) -> Path:
    digest = hashlib.blake2b(table.data.cast("B"), digest_size=16)
    digest.update(repr((FORMAT, table.shape, table.dtype.str)).encode())
    return cache_folder() / "input_tables" / f"{digest.hexdigest()}.npy"


def _crc(path: Path) -> int:
    with open(path, "rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        return zlib.crc32(mapped)


def _open(path: Path, shape: tuple[int, ...]) -> np.ndarray | None:
    try:
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or path.stat().st_size != meta["size"] or _crc(path) != meta["crc32"]:
            return None
        units = np.load(path, mmap_mode="r")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return units if units.shape == shape and units.dtype == np.float32 else None


def _save(path: Path, units: np.ndarray) -> None:
    stream = io.BytesIO()
    np.save(stream, units)
    data = stream.getvalue()
    _write(path, data)
    _write(path.with_suffix(".json"),
           json.dumps({"format": FORMAT, "size": len(data), "crc32": zlib.crc32(data)}).encode())


def _write(path: Path, data: bytes) -> None:
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
