"""A vectors file's vocabulary (word -> row) and norms as memory-mapped files in the cache folder.

Turning GloVe's 400,000 words into a Python list, a dictionary and an array of norms took a good
part of every launch and about 117 MB private to each process. Built once into
`cache_folder()/vocabulary/<key>/`, they are mapped instead: every session (`wordlens serve`'s
included) shares the same pages, and a launch reads no word list at all.

The files: `words.bin` (each word's UTF-8 bytes followed by "\\n"), `offsets.npy` (int64, n + 1:
word i is words.bin[offsets[i] : offsets[i + 1] - 1]), `order.npy` (int32 rows sorted by their
words' bytes: a lookup is a binary search), `norms.npy` and `inverse_norms.npy` (float32), and
`meta.json`, written last, which names the source files (path, size, mtime, a hash of their first
and last MiB) and each file's size and CRC-32. A folder whose meta.json is missing, names other
sources or disagrees with a file is rebuilt. Files are written under temporary names and renamed,
so a process that maps the old ones keeps them intact.
"""

from __future__ import annotations

import hashlib
import io
import json
import mmap
import operator
import os
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from wordlens.core.progress import Progress, no_progress
from wordlens.core.sources import cache_folder

FORMAT = 1
ARRAYS = ("offsets", "order", "norms", "inverse_norms")
_EDGE_BYTES = 2**20


class WordList(Sequence[str]):
    """`words[i]`: the word of row i, decoded from the mapped bytes on each access."""

    def __init__(self, blob: mmap.mmap | bytes, offsets: np.ndarray, newline_free: bool) -> None:
        self._blob = blob
        self._offsets = offsets
        self._newline_free = newline_free  # no word holds "\n": iterating is one decode and split

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return self._range(start, stop)
            return [self[i] for i in range(start, stop, step)]
        row = operator.index(index)
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(f"row {index} of a vocabulary of {len(self)} words")
        return self.bytes_of(row).decode("utf-8")

    def bytes_of(self, row: int) -> bytes:
        return self._blob[int(self._offsets[row]):int(self._offsets[row + 1]) - 1]

    def _range(self, start: int, stop: int) -> list[str]:
        if start >= stop:
            return []
        if self._newline_free:
            text = self._blob[int(self._offsets[start]):int(self._offsets[stop]) - 1].decode("utf-8")
            return text.split("\n")
        return [self.bytes_of(row).decode("utf-8") for row in range(start, stop)]

    def joined(self, separator: str) -> str:
        """Every word, `separator` between them: one decode of the mapped bytes, no str per word."""
        if not self._newline_free:
            return separator.join(self)
        return self._blob[:max(0, int(self._offsets[-1]) - 1)].decode("utf-8").replace("\n", separator)

    def __iter__(self) -> Iterator[str]:
        chunk = 50_000
        for start in range(0, len(self), chunk):
            yield from self._range(start, min(start + chunk, len(self)))

    def __eq__(self, other: object) -> bool:  # as a list of the same words (what it stands in for)
        if isinstance(other, WordList | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # like the list it stands in for

    def __contains__(self, word: object) -> bool:  # a scan, as in a list: look words up in the RowIndex
        return isinstance(word, str) and any(candidate == word for candidate in self)


class RowIndex(Mapping[str, int]):
    """word -> row, by binary search over the rows sorted by their words' bytes. A word listed
    twice maps to its last row, as `dict(zip(words, range(n)))` does."""

    def __init__(self, words: WordList, order: np.ndarray) -> None:
        self._words = words
        self._order = order

    def _row(self, word: object) -> int:
        if not isinstance(word, str):
            return -1
        try:
            target = word.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no file's word
            return -1
        low, high = 0, len(self._order)
        while low < high:  # the first position whose word is greater than target
            middle = (low + high) // 2
            if self._words.bytes_of(int(self._order[middle])) <= target:
                low = middle + 1
            else:
                high = middle
        if low == 0:
            return -1
        row = int(self._order[low - 1])
        return row if self._words.bytes_of(row) == target else -1

    def __getitem__(self, word: str) -> int:
        row = self._row(word)
        if row < 0:
            raise KeyError(word)
        return row

    def __contains__(self, word: object) -> bool:
        return self._row(word) >= 0

    def get(self, word: str, default: Any = None) -> Any:
        row = self._row(word)
        return default if row < 0 else row

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[str]:
        return iter(self._words)


@dataclass(frozen=True)
class VocabularyIndex:
    words: WordList
    row_of: RowIndex
    norms: np.ndarray
    inverse_norms: np.ndarray
    folder: Path


def vocabulary_index(
    sources: Sequence[Path], read_words: Callable[[], list[str]], matrix: np.ndarray,
    progress: Progress = no_progress, folder: Path | None = None,
) -> VocabularyIndex:
    """The index of the vectors read from `sources`: mapped from the cache, or built (once) from
    `read_words()` and `matrix`, and saved there. `folder`: the cache's parent (tests)."""
    identity = source_identity(sources)
    key = hashlib.sha256(json.dumps(identity["files"], sort_keys=True).encode()).hexdigest()[:16]
    place = (folder or cache_folder() / "vocabulary") / key
    found = _open(place, identity, len(matrix))
    if found is not None:
        return found
    progress("indexing the word list (once)", 0.55)
    _build(place, identity, read_words(), matrix)
    built = _open(place, identity, len(matrix))
    if built is None:
        raise OSError(f"the vocabulary index written to {place} does not read back")
    return built


def source_identity(sources: Sequence[Path]) -> dict[str, Any]:
    """What a cached index was built from: each file's path, size, mtime and the hash of its edges."""
    files = []
    for path in sources:
        resolved = Path(path).resolve()
        stat = resolved.stat()
        digest = hashlib.sha256()
        with open(resolved, "rb") as stream:
            digest.update(stream.read(_EDGE_BYTES))
            if stat.st_size > _EDGE_BYTES:
                stream.seek(max(_EDGE_BYTES, stat.st_size - _EDGE_BYTES))
                digest.update(stream.read())
        files.append({"path": str(resolved), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                      "edges_sha256": digest.hexdigest()})
    return {"format": FORMAT, "files": files}


def _crc(path: Path) -> int:
    with open(path, "rb") as stream:
        if os.fstat(stream.fileno()).st_size == 0:
            return 0
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return zlib.crc32(mapped)


def _open(place: Path, identity: dict[str, Any], rows: int) -> VocabularyIndex | None:
    """The mapped index in `place`, or None when it is missing, stale or damaged."""
    try:
        meta = json.loads((place / "meta.json").read_text(encoding="utf-8"))
        if meta.get("identity") != identity or meta.get("rows") != rows:
            return None
        for name, expected in meta["files"].items():
            path = place / name
            if path.stat().st_size != expected["size"] or _crc(path) != expected["crc32"]:
                return None
        arrays = {name: np.load(place / f"{name}.npy", mmap_mode="r") for name in ARRAYS}
        with open(place / "words.bin", "rb") as stream:
            blob: mmap.mmap | bytes = (mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
                                       if os.fstat(stream.fileno()).st_size else b"")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if len(arrays["offsets"]) != rows + 1 or any(len(arrays[name]) != rows for name in ARRAYS[1:]):
        return None
    words = WordList(blob, arrays["offsets"], bool(meta["newline_free"]))
    return VocabularyIndex(words, RowIndex(words, arrays["order"]), arrays["norms"], arrays["inverse_norms"], place)


def _build(place: Path, identity: dict[str, Any], words: list[str], matrix: np.ndarray) -> None:
    from wordlens.core.vectors.static_vectors import row_norms

    encoded = [word.encode("utf-8") for word in words]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(word) + 1 for word in encoded], out=offsets[1:])
    # stable: of a word listed twice the last row sorts last, and the lookup takes the last equal
    order = np.array(sorted(range(len(encoded)), key=encoded.__getitem__), dtype=np.int32)
    norms = row_norms(matrix)
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    place.mkdir(parents=True, exist_ok=True)
    (place / "meta.json").unlink(missing_ok=True)  # a half-replaced folder never reads as whole
    _write(place / "words.bin", b"".join(word + b"\n" for word in encoded))
    for name, array in zip(ARRAYS, (offsets, order, norms, inverse), strict=True):
        stream = io.BytesIO()
        np.save(stream, array)
        _write(place / f"{name}.npy", stream.getvalue())
    files: dict[str, dict[str, int]] = {}
    for name in ("words.bin", *(f"{name}.npy" for name in ARRAYS)):
        files[name] = {"size": (place / name).stat().st_size, "crc32": _crc(place / name)}
    meta = {"identity": identity, "rows": len(words), "files": files,
            "newline_free": not any(b"\n" in word for word in encoded)}
    _write(place / "meta.json", json.dumps(meta, indent=1).encode())


def _write(path: Path, data: bytes) -> None:
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
