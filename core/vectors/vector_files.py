"""Reading vector files as they are found in the wild.

Text formats (word2vec text with its `count dimension` header, fastText `.vec`, GloVe text without
one) are read here rather than by gensim: real files carry a byte-order mark, CRLF line ends,
trailing spaces, words that are not valid UTF-8 (fastText cuts multi-byte words at a byte limit)
and words with spaces in them (GloVe 840B); any of them may be gzip- or bzip2-compressed.
Undecodable bytes become U+FFFD and the file's `note` says how many words were affected.

Facebook fastText binaries (`cc.en.300.bin`) are read by gensim's `load_facebook_vectors`
(a plain binary format, no pickle): their words' character n-grams give a vector to any word.
"""

from __future__ import annotations

import bz2
import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

import numpy as np

from wordlens.core.errors import LoadError
from wordlens.core.progress import Progress, no_progress

BOM = b"\xef\xbb\xbf"
FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")  # the first int32 of a Facebook fastText .bin


def open_maybe_compressed(path: Path) -> IO[bytes]:
    name = path.name.lower()
    if name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    if name.endswith(".bz2"):
        return cast(IO[bytes], bz2.open(path, "rb"))
    return open(path, "rb")


def head_of(path: Path, size: int = 4096) -> bytes:
    """The first `size` bytes, decompressed, without a byte-order mark."""
    try:
        with open_maybe_compressed(path) as stream:
            head = stream.read(size)
    except (OSError, EOFError) as error:
        raise LoadError(f"could not read {path}: {error}") from error
    return head.removeprefix(BOM)


@dataclass(frozen=True)
class TextVectors:
    words: list[str]
    matrix: np.ndarray
    note: str  # what the reader had to repair, "" when nothing


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    first = True
    for line in stream:
        if first:
            line, first = line.removeprefix(BOM), False
        line = line.rstrip()  # CRLF, trailing spaces and tabs
        if line:
            yield line


def read_text_vectors(path: Path, has_header: bool, progress: Progress = no_progress) -> TextVectors:
    """Words and vectors of a word2vec/fastText text file (`has_header`) or a GloVe text file."""
    words: list[str] = []
    rows: list[np.ndarray] = []
    seen: set[str] = set()
    replaced = duplicates = 0
    dim: int | None = None
    expected: int | None = None
    with open_maybe_compressed(path) as stream:
        lines = _lines(stream)
        if has_header:
            header = next(lines, b"").split()
            expected, dim = int(header[0]), int(header[1])
        for number, line in enumerate(lines, start=2 if has_header else 1):
            fields = line.split(b" ") if dim is None else line.rsplit(b" ", dim)
            if dim is None:
                dim = len(fields) - 1
                fields = line.rsplit(b" ", dim)
            if len(fields) != dim + 1:
                raise LoadError(f"{path}, line {number}: {len(fields) - 1} numbers where {dim} were expected")
            raw_word = fields[0]
            try:
                word = raw_word.decode("utf-8")
            except UnicodeDecodeError:
                word, replaced = raw_word.decode("utf-8", errors="replace"), replaced + 1
            try:
                row = np.array(fields[1:], dtype=np.float32)
            except ValueError:
                raise LoadError(f"{path}, line {number}: not a word followed by {dim} numbers") from None
            if word in seen:  # two cut words may read the same once repaired: the first is kept
                duplicates += 1
                continue
            seen.add(word)
            words.append(word)
            rows.append(row)
            if expected and len(words) % 50_000 == 0:
                progress("reading vectors", 0.3 + 0.6 * len(words) / expected)
    if not rows or dim is None:
        raise LoadError(f"{path} holds no vectors")
    notes = []
    if replaced:
        notes.append(f"{replaced:,} word{'s' if replaced != 1 else ''} not valid UTF-8 "
                     "(bytes replaced with \ufffd)")
    if duplicates:
        notes.append(f"{duplicates:,} repeated word{'s' if duplicates != 1 else ''} skipped")
    return TextVectors(words, np.vstack(rows), "; ".join(notes))


def is_fasttext_binary(path: Path) -> bool:
    try:
        with open(path, "rb") as stream:
            return stream.read(4) == FASTTEXT_MAGIC
    except OSError:
        return False


def read_fasttext_binary(path: Path) -> tuple[list[str], np.ndarray, Callable[[str], np.ndarray]]:
    """A Facebook fastText binary: its words, their vectors, and the vector of any word from its
    character n-grams (gensim's FastTextKeyedVectors, which reads the format without pickle)."""
    from gensim.models.fasttext import load_facebook_vectors

    keyed_vectors = load_facebook_vectors(str(path))
    return list(keyed_vectors.index_to_key), np.asarray(keyed_vectors.vectors), keyed_vectors.get_vector
