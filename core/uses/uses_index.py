"""The uses index: every token of a corpus, its hidden state at the indexed layers, searched by cosine.

Layers are hidden-state indices as `compare --json` and `predict --lens` number them: 0 is the
embedding layer's output, L (6 for all-MiniLM-L6-v2) the last layer's.

Built in three steps, the same whichever engine runs the first:
1. embed: the sentences, encoded (at most MAX_SENTENCE_TOKENS tokens each) and sorted by length,
   go through the model in fixed batches of about BATCH_TOKENS padded tokens (`plan_batches`), torch
   on `threads` threads (one by default); each batch gives a Shard: per token
   (special tokens left out) its sentence, character span and label, and per layer its hidden
   state scaled to unit length, as float16. `build_index` embeds in this process; the Ray engine
   (uses/ray_engine.py) embeds the same batches in model actors and writes them as shard files.
2. merge: the shards, in batch order, into one folder: sentences.json, tokens.json, tokens.npz
   (sentence, start, end per token) and one faiss index per layer.
3. search: faiss with fp16 codes (2 bytes a number) and inner product, so its scores are the stored
   float16 unit vectors' cosines with the query. Below EXACT_BELOW tokens an exact scan
   (IndexScalarQuantizer); above, an inverted file (IndexIVFScalarQuantizer, no residuals, its
   lists from spherical k-means on a fixed sample) that scans the NPROBE lists nearest the query:
   an exact scan of the bundled corpus reads 220 MB per query (~100 ms), the lists a few MB.

The folder lives under the cache folder (uses/<key>), keyed by the model, the corpus and the
settings; manifest.json is written last and lists every file's size, so a folder without it, or
with a file of another size or one faiss cannot read, is a damaged cache and is built anew.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wordlens.core.errors import Cancelled, InputError, LoadError, first_line
from wordlens.core.progress import Progress, no_progress
from wordlens.core.sources import cache_folder
from wordlens.core.text import split_words
from wordlens.core.uses.corpus import CorpusSource, Sentence

if TYPE_CHECKING:
    import numpy as np

    from wordlens.core.transformer.context_model import ContextModel, Encoding

INDEX_VERSION = 2  # bump when the folder's layout or the way vectors are made changes
MAX_SENTENCE_TOKENS = 128
# The explorer's analyses wait for the model between batches while it builds: a batch of 2,048
# padded tokens takes about a second on one core; bigger matrices gain little on a CPU.
BATCH_TOKENS = 2048
BATCH_SENTENCES = 128  # at most, whatever their length
# One thread: it leaves the other core to the explorer, and on a busy machine torch's second thread
# mostly spins waiting for the first (the bundled corpus cost 2-4 times the CPU time on two).
BUILD_THREADS = 1
# The query's one sentence: on a busy machine torch's second thread made it ~10x slower (p50 1.1 s
# against 0.1 s at load 8), on an idle one it gains next to nothing for ~30 tokens.
QUERY_THREADS = 1
EXACT_BELOW = 50_000  # tokens: smaller corpora are searched exactly
LISTS_PER_SQRT_TOKEN = 2  # the inverted file's lists: 2 * sqrt(tokens) (1,080 for the bundled corpus)
TRAINING_POINTS_PER_LIST = 32
KMEANS_ITERATIONS = 10
NPROBE = 64  # lists scanned per query (benchmarks/uses.py reports its recall against an exact search)
DEFAULT_TOP = 10
# A sentence's other tokens near the query crowd out other sentences: the search fetches this many
# times the asked-for hits and keeps each sentence's best token.
FETCH_FACTOR = 8


def default_layers(model_layers: int) -> tuple[int, ...]:
    """The middle and the last hidden state: at float16 every layer of the bundled corpus takes
    ~215 MB (290,000 tokens x 384 numbers x 2 bytes), so two fit the 500 MB the index may take."""
    return tuple(sorted({model_layers // 2, model_layers}))


@dataclass(frozen=True)
class IndexSettings:
    layers: tuple[int, ...] | None = None  # None: DEFAULT_LAYERS
    max_tokens: int = MAX_SENTENCE_TOKENS
    batch: int = BATCH_SENTENCES
    batch_tokens: int = BATCH_TOKENS
    exact_below: int = EXACT_BELOW
    threads: int = BUILD_THREADS  # torch's threads while embedding (answers do not depend on it: not in the key)

    def layers_for(self, model_layers: int) -> tuple[int, ...]:
        """The hidden-state indices to index (InputError for one the model lacks)."""
        if self.layers is None:
            return default_layers(model_layers)
        for layer in self.layers:
            if not 0 <= layer <= model_layers:
                raise InputError(f"layer {layer} is out of range: the model has hidden states 0-{model_layers}")
        return tuple(sorted(set(self.layers)))


DEFAULT_SETTINGS = IndexSettings()


@dataclass(frozen=True)
class Shard:
    """One batch's tokens: arrays in the batch's token order."""

    sentence_ids: np.ndarray  # (n,) int32, into the corpus's sentences
    starts: np.ndarray  # (n,) int32, character span of the token in its sentence
    ends: np.ndarray
    tokens: tuple[str, ...]  # labels, as the explorer shows tokens
    vectors: dict[int, np.ndarray] = field(default_factory=dict)  # layer -> (n, hidden) float16 unit rows

    def save(self, path: Path) -> None:
        import numpy as np

        arrays: dict[str, Any] = {f"layer_{layer}": vectors for layer, vectors in self.vectors.items()}
        arrays.update(sentence_ids=self.sentence_ids, starts=self.starts, ends=self.ends,
                      tokens=np.array(self.tokens, dtype=str))
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: Path) -> Shard:
        import numpy as np

        with np.load(path, allow_pickle=False) as data:
            layers = {int(name.removeprefix("layer_")): data[name]
                      for name in data.files if name.startswith("layer_")}
            tokens = tuple(str(token) for token in data["tokens"])
            return cls(data["sentence_ids"], data["starts"], data["ends"], tokens, layers)


@dataclass(frozen=True)
class Use:
    sentence: str
    token: str
    start: int  # the token's character span in `sentence`
    end: int
    cosine: float
    source: str
    row: int  # the token's row in the index (stored_vector)


def model_identity(model: ContextModel) -> str:
    """Who the model is: its name, shape and source; a local folder's weight files by size and date."""
    info = model.info
    parts = [info.name, str(info.layers), str(info.hidden_size), info.source]
    folder = Path(info.source) if info.source else None
    if folder is not None and folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix in (".safetensors", ".bin", ".json", ".txt", ".gguf"):
                stat = path.stat()
                parts.append(f"{path.name}|{stat.st_size}|{stat.st_mtime_ns}")
    return "|".join(parts)


def index_key(model: ContextModel, corpus: CorpusSource, settings: IndexSettings) -> str:
    """One index per model, corpus and way of embedding; which layers it holds is in its manifest
    (building other layers replaces it), so `uses` finds what `index --layers` built."""
    key = (f"v{INDEX_VERSION}|{model_identity(model)}|{corpus.identity}|tokens={settings.max_tokens}|"
           f"batch={settings.batch}|batch_tokens={settings.batch_tokens}|exact_below={settings.exact_below}")
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def index_folder(model: ContextModel, corpus: CorpusSource, settings: IndexSettings) -> Path:
    return cache_folder() / "uses" / index_key(model, corpus, settings)


# ---- 1. embed ------------------------------------------------------------------------------


def encode_all(model: ContextModel, sentences: Sequence[Sentence], settings: IndexSettings) -> list[Encoding]:
    return [model.encode(sentence.text, max_tokens=settings.max_tokens) for sentence in sentences]


def plan_batches(encodings: Sequence[Encoding], settings: IndexSettings) -> list[list[int]]:
    """Sentence ids in batches of similar length (little padding), longest first, each at most
    `batch` sentences and `batch_tokens` padded tokens (one sentence at least); deterministic, so
    every engine embeds exactly the same batches."""
    order = sorted(range(len(encodings)), key=lambda index: (-len(encodings[index].ids), index))
    batches: list[list[int]] = []
    for index in order:
        if batches:
            batch = batches[-1]
            longest = len(encodings[batch[0]].ids)  # longest first: the batch's first is its padded length
            if len(batch) < settings.batch and (len(batch) + 1) * longest <= settings.batch_tokens:
                batch.append(index)
                continue
        batches.append([index])
    return batches


def unit_float16(vectors: np.ndarray) -> np.ndarray:
    import numpy as np

    values = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(values, axis=-1, keepdims=True)
    return np.divide(values, norms, out=np.zeros_like(values), where=norms > 0).astype(np.float16)


def embed_batch(model: ContextModel, batch: Sequence[int], encodings: Sequence[Encoding],
                layers: Sequence[int]) -> Shard:
    """One batch through the model: every non-special token's unit hidden state at `layers`."""
    import numpy as np

    chosen = [encodings[index] for index in batch]
    hidden = model.hidden_states_batch(chosen)  # (batch, layers + 1, T, hidden)
    sentence_ids, starts, ends, tokens = [], [], [], []
    picked: dict[int, list[np.ndarray]] = {layer: [] for layer in layers}
    for row, (sentence, encoding) in enumerate(zip(batch, chosen, strict=True)):
        labels = model.labels(encoding.tokens)
        keep = np.array([position for position in range(len(encoding.ids))
                         if not encoding.special[position] and _is_wordlike(labels[position])], dtype=np.int64)
        for position in keep:
            sentence_ids.append(sentence)
            starts.append(int(encoding.offsets[position, 0]))
            ends.append(int(encoding.offsets[position, 1]))
            tokens.append(labels[position])
        for layer in layers:
            picked[layer].append(hidden[row, layer, keep])
    dim = hidden.shape[-1]
    return Shard(
        sentence_ids=np.array(sentence_ids, dtype=np.int32),
        starts=np.array(starts, dtype=np.int32),
        ends=np.array(ends, dtype=np.int32),
        tokens=tuple(tokens),
        vectors={layer: unit_float16(np.concatenate(picked[layer]) if picked[layer] else np.zeros((0, dim)))
                 for layer in layers},
    )


def _is_wordlike(label: str) -> bool:
    """Tokens with a letter or digit are indexed; punctuation's uses would say little and take a tenth of the index."""
    return any(character.isalnum() for character in label)


def embed_all(model: ContextModel, sentences: Sequence[Sentence], settings: IndexSettings,
              progress: Progress = no_progress, is_cancelled: Callable[[], bool] = lambda: False) -> Iterator[Shard]:
    """The corpus's shards in batch order, in this process (torch on `settings.threads` threads meanwhile)."""
    layers = settings.layers_for(model.info.layers)
    progress("tokenizing the corpus", 0.02)
    encodings = encode_all(model, sentences, settings)
    batches = plan_batches(encodings, settings)
    total = sum(len(encodings[index].ids) for index in range(len(encodings))) or 1
    done = 0
    with torch_threads(settings.threads):
        for batch in batches:
            if is_cancelled():
                raise Cancelled
            yield embed_batch(model, batch, encodings, layers)
            done += sum(len(encodings[index].ids) for index in batch)
            progress(f"embedding the corpus ({done:,} of {total:,} tokens)", 0.05 + 0.85 * done / total)


@contextlib.contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)


# ---- 2. merge ------------------------------------------------------------------------------


def write_index(folder: Path, shards: Iterable[Shard], sentences: Sequence[Sentence], layers: Sequence[int],
                manifest: dict[str, Any], exact_below: int = EXACT_BELOW, progress: Progress = no_progress) -> None:
    """The shards (in order) merged into `folder`, built beside it and renamed into place."""
    import numpy as np

    faiss = _import_faiss()
    partial = folder.with_name(f"{folder.name}.{os.getpid()}.{threading.get_ident()}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        vectors: dict[int, list[np.ndarray]] = {layer: [] for layer in layers}
        sentence_ids: list[np.ndarray] = []
        starts: list[np.ndarray] = []
        ends: list[np.ndarray] = []
        tokens: list[str] = []
        for shard in shards:
            sentence_ids.append(shard.sentence_ids)
            starts.append(shard.starts)
            ends.append(shard.ends)
            tokens.extend(shard.tokens)
            for layer in layers:
                vectors[layer].append(shard.vectors[layer])
        if not tokens:
            raise LoadError("the corpus has no tokens to index")
        np.savez(partial / "tokens.npz", sentence_ids=np.concatenate(sentence_ids), starts=np.concatenate(starts),
                 ends=np.concatenate(ends))
        _write_json(partial / "tokens.json", list(tokens))
        _write_json(partial / "sentences.json", [[sentence.text, sentence.source] for sentence in sentences])
        kinds = {}
        for number, layer in enumerate(layers):
            progress(f"indexing hidden state {layer}", 0.9 + 0.1 * number / len(layers))
            index = layer_index(np.concatenate(vectors.pop(layer)), exact_below)
            kinds[str(layer)] = "ivf" if index.__class__.__name__.startswith("IndexIVF") else "exact"
            faiss.write_index(index, str(partial / f"layer_{layer}.faiss"))
        files = {path.name: path.stat().st_size for path in sorted(partial.iterdir())}
        full = {**manifest, "version": INDEX_VERSION, "layers": list(layers), "tokens": len(tokens),
                "sentences": len(sentences), "search": kinds, "files": files}
        _write_json(partial / "manifest.json", full)  # last: its presence says the folder is complete
        shutil.rmtree(folder, ignore_errors=True)
        partial.replace(folder)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def layer_index(vectors: np.ndarray, exact_below: int = EXACT_BELOW) -> Any:
    """One layer's faiss index over its (n, hidden) float16 unit rows: exact below `exact_below`
    rows, else an inverted file of fp16 codes (see the module's docstring), reconstructable by row."""
    import numpy as np

    faiss = _import_faiss()
    count, dim = vectors.shape
    if count < exact_below:
        index = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
        _add_in_chunks(index, vectors)
        return index
    lists = max(1, min(count // TRAINING_POINTS_PER_LIST, round(LISTS_PER_SQRT_TOKEN * count**0.5)))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(quantizer, dim, lists, faiss.ScalarQuantizer.QT_fp16,
                                          faiss.METRIC_INNER_PRODUCT, False)  # no residuals: codes are the vectors
    index.cp.spherical = True
    index.cp.niter = KMEANS_ITERATIONS
    index.cp.seed = 1234
    index.cp.max_points_per_centroid = TRAINING_POINTS_PER_LIST
    index.cp.min_points_per_centroid = TRAINING_POINTS_PER_LIST // 2  # faiss warns below 39
    sample = np.random.default_rng(0).choice(count, size=min(count, lists * TRAINING_POINTS_PER_LIST), replace=False)
    index.train(np.ascontiguousarray(vectors[np.sort(sample)], dtype=np.float32))
    _add_in_chunks(index, vectors)
    index.make_direct_map()  # stored_vector reads a row back
    index.nprobe = min(NPROBE, lists)
    return index


def _add_in_chunks(index: Any, vectors: np.ndarray, chunk: int = 65_536) -> None:
    import numpy as np

    for start in range(0, len(vectors), chunk):
        index.add(np.ascontiguousarray(vectors[start:start + chunk], dtype=np.float32))


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")


# ---- 3. search -----------------------------------------------------------------------------


class UsesIndex:
    """A built index, read from its folder; searches are thread-safe."""

    def __init__(self, folder: Path) -> None:
        """LoadError when the folder is not a complete, readable index."""
        import numpy as np

        faiss = _import_faiss()
        self.folder = folder
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            if manifest.get("version") != INDEX_VERSION:
                raise LoadError(f"{folder}: an index of another version")
            for name, size in manifest["files"].items():
                if (folder / name).stat().st_size != size:
                    raise LoadError(f"{folder}: a damaged uses index ({name} is not the size its manifest records)")
            with np.load(folder / "tokens.npz", allow_pickle=False) as data:
                self._sentence_ids, self._starts, self._ends = data["sentence_ids"], data["starts"], data["ends"]
            self._tokens: list[str] = json.loads((folder / "tokens.json").read_text(encoding="utf-8"))
            self._sentences: list[list[str]] = json.loads((folder / "sentences.json").read_text(encoding="utf-8"))
            self._indexes = {int(layer): faiss.read_index(str(folder / f"layer_{layer}.faiss"))
                             for layer in manifest["layers"]}
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
            raise LoadError(f"{folder}: a damaged uses index ({first_line(error)})") from error
        count = len(self._tokens)
        if any(index.ntotal != count for index in self._indexes.values()) or len(self._sentence_ids) != count:
            raise LoadError(f"{folder}: a damaged uses index (its parts disagree on the number of tokens)")
        self.manifest = manifest
        self.layers: tuple[int, ...] = tuple(sorted(self._indexes))
        self.model_name: str = manifest.get("model", "")
        self.corpus_name: str = manifest.get("corpus", "")
        self._lock = threading.Lock()

    @property
    def token_count(self) -> int:
        return len(self._tokens)

    @property
    def sentence_count(self) -> int:
        return len(self._sentences)

    def size_on_disk(self) -> int:
        return sum(path.stat().st_size for path in self.folder.iterdir())

    def check_layer(self, layer: int) -> None:
        if layer not in self._indexes:
            shown = ", ".join(str(known) for known in self.layers)
            raise InputError(f"layer {layer} is not indexed (indexed: {shown})")

    def stored_vector(self, layer: int, row: int) -> np.ndarray:
        """The float16 unit vector the index holds for token `row` at `layer`, as float32."""
        import numpy as np

        self.check_layer(layer)
        return np.asarray(self._indexes[layer].reconstruct(int(row)), dtype=np.float32)

    def stored_vectors(self, layer: int) -> np.ndarray:
        """Every row's stored vector at `layer`, (tokens, hidden) float32."""
        import numpy as np

        self.check_layer(layer)
        return np.asarray(self._indexes[layer].reconstruct_n(0, self.token_count), dtype=np.float32)

    def search(self, vector: np.ndarray, layer: int, top: int = DEFAULT_TOP) -> tuple[Use, ...]:
        """The `top` uses nearest `vector` (any scale) at `layer` by cosine, one per sentence, best first."""
        import numpy as np

        self.check_layer(layer)
        index = self._indexes[layer]
        query = unit_query(vector)[None]
        fetch = min(index.ntotal, max(top * FETCH_FACTOR, top))
        with self._lock:
            scores, rows = index.search(np.ascontiguousarray(query), fetch)
        uses: list[Use] = []
        seen: set[int] = set()
        for score, row in zip(scores[0], rows[0], strict=True):
            if row < 0:
                continue
            sentence = int(self._sentence_ids[row])
            if sentence in seen:
                continue
            seen.add(sentence)
            text, source = self._sentences[sentence]
            uses.append(Use(text, self._tokens[row], int(self._starts[row]), int(self._ends[row]), float(score),
                            source, int(row)))
            if len(uses) == top:
                break
        return tuple(uses)


def unit_query(vector: np.ndarray) -> np.ndarray:
    """The query as the search scores it: rounded to float16 like the stored vectors, unit length."""
    import numpy as np

    query = unit_float16(np.asarray(vector, dtype=np.float32)[None]).astype(np.float32)[0]
    return query / max(float(np.linalg.norm(query)), 1e-12)


def build_index(model: ContextModel, corpus: CorpusSource, settings: IndexSettings = DEFAULT_SETTINGS,
                progress: Progress = no_progress, is_cancelled: Callable[[], bool] = lambda: False,
                folder: Path | None = None) -> UsesIndex:
    """Embed the corpus in this process and write its index (replacing any there)."""
    folder = folder or index_folder(model, corpus, settings)
    progress("reading the corpus", 0.0)
    sentences = corpus.sentences()
    layers = settings.layers_for(model.info.layers)
    write_index(folder, embed_all(model, sentences, settings, progress, is_cancelled), sentences, layers,
                manifest_fields(model, corpus, settings, engine="local"), settings.exact_below, progress)
    progress("uses index ready", 1.0)
    return UsesIndex(folder)


def manifest_fields(model: ContextModel, corpus: CorpusSource, settings: IndexSettings, engine: str) -> dict[str, Any]:
    return {"model": model.info.name, "model_identity": model_identity(model), "corpus": corpus.name,
            "corpus_identity": corpus.identity, "max_tokens": settings.max_tokens, "batch": settings.batch,
            "batch_tokens": settings.batch_tokens, "exact_below": settings.exact_below,
            "engine": engine}


def cached_index(model: ContextModel, corpus: CorpusSource,
                 settings: IndexSettings = DEFAULT_SETTINGS) -> UsesIndex | None:
    """The cached index for these, or None when there is none or it is damaged."""
    folder = index_folder(model, corpus, settings)
    if not (folder / "manifest.json").is_file():
        return None
    try:
        return UsesIndex(folder)
    except LoadError:
        return None


def load_or_build(model: ContextModel, corpus: CorpusSource, settings: IndexSettings = DEFAULT_SETTINGS,
                  progress: Progress = no_progress, is_cancelled: Callable[[], bool] = lambda: False) -> UsesIndex:
    """The cached index, or (none, or damaged) one built now and cached."""
    progress("reading the uses index", 0.0)
    found = cached_index(model, corpus, settings)
    if found is not None:
        progress("uses index ready", 1.0)
        return found
    with contextlib.suppress(OSError):
        shutil.rmtree(index_folder(model, corpus, settings))  # a damaged one
    return build_index(model, corpus, settings, progress, is_cancelled)


# ---- queries from text -----------------------------------------------------------------------


def word_token(model: ContextModel, text: str, word: str) -> tuple[int, Encoding]:
    """(token position, encoding): the first token of the first word of `text` equal to `word`
    (case-insensitive). InputError when the text has no such word."""
    encoding = model.encode(text)
    for candidate in split_words(text):
        if candidate.text.lower() == word.lower():
            for position, (start, end) in enumerate(encoding.offsets.tolist()):
                if not encoding.special[position] and start < candidate.end and end > candidate.start:
                    return position, encoding
            raise InputError(f"'{word}' is past the model's {model.info.max_tokens} tokens")
    raise InputError(f"'{word}' is not a word of the text")


def uses_of_word(model: ContextModel, index: UsesIndex, text: str, word: str, layer: int | None = None,
                 top: int = DEFAULT_TOP) -> tuple[str, int, tuple[Use, ...]]:
    """(the query token's label, the layer, its uses): `word` of `text` at hidden state `layer`
    (None: the last one indexed)."""
    layer = index.layers[-1] if layer is None else layer
    index.check_layer(layer)
    position, encoding = word_token(model, text, word)
    with torch_threads(QUERY_THREADS):
        hidden = model.run(encoding).hidden_states
    return model.labels(encoding.tokens)[position], layer, index.search(hidden[layer, position], layer, top)


def _import_faiss() -> Any:
    try:
        import faiss
    except ImportError as error:  # pragma: no cover - faiss-cpu is a dependency
        raise LoadError(f"the uses index needs faiss-cpu: {first_line(error)}") from error
    return faiss
