"""The engine: both models loaded once, analyses computed on demand and cached."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

from wordlens.core.analysis import Analysis, AnalysisSettings, ContextPart, StaticPart, freeze
from wordlens.core.errors import Cancelled, InputError, LoadError
from wordlens.core.measures.derived_views import warm_input_table_neighbours
from wordlens.core.measures.static_vs_context import StaticMap, fit_static_map
from wordlens.core.memo import Memo
from wordlens.core.progress import Progress, no_progress
from wordlens.core.text import MAX_WORDS, Word, align_tokens_to_words, split_words_upto
from wordlens.core.transformer.context_model import (
    NO_HEADS_OFF,
    ContextModel,
    Encoding,
    HeadsOff,
    check_device,
    load_context_model,
    resolve_model_source,
)
from wordlens.core.vectors.static_projection import METHODS, StaticProjection, fit_static_projection
from wordlens.core.vectors.static_vectors import (
    DEFAULT_RESTRICT_VOCAB,
    SEARCH_MODES,
    StaticVectors,
    check_vectors_file,
    load_bundled_glove,
    load_vectors_file,
)

T = TypeVar("T")
VectorsLoader = Callable[[Progress], StaticVectors]
ModelLoader = Callable[[Progress], ContextModel]
# (model, vectors, progress, cached_only) -> the fitted map, or None when cached_only finds none
MapFitter = Callable[[ContextModel, StaticVectors, Progress, bool], StaticMap | None]


def fit_or_load_static_map(
    model: ContextModel, vectors: StaticVectors, progress: Progress, cached_only: bool
) -> StaticMap | None:
    return fit_static_map(model, vectors, progress=progress, cached_only=cached_only)


@dataclass(frozen=True)
class Sources:
    """What to load: None means the bundled default."""

    vectors: str | None = None
    model: str | None = None
    device: str = "auto"
    allow_pickle: bool = False
    trust_remote_code: bool = False
    runtime: str = "auto"  # auto | transformers (see context.RUNTIMES)
    torch_threads: int | None = None  # None: torch's default, one per core
    neighbour_search: str = "auto"  # auto | exact | ann (see static.SEARCH_MODES)
    restrict_vocab: int | None = DEFAULT_RESTRICT_VOCAB  # the candidates neighbour searches will scan

    def vectors_loader(self) -> VectorsLoader:
        def load(progress: Progress) -> StaticVectors:
            if self.vectors is None:
                vectors = load_bundled_glove(progress)
            else:
                vectors = load_vectors_file(self.vectors, allow_pickle=self.allow_pickle, progress=progress)
            vectors.search = self.neighbour_search
            # Built (or read from the disk cache) while loading, with its progress shown, rather
            # than on the first query.
            if vectors.uses_ann(self.restrict_vocab):
                vectors.ann_index_for(self.restrict_vocab, progress)
            return vectors

        return load

    def model_loader(self) -> ModelLoader:
        return lambda progress: load_context_model(
            self.model,
            device=self.device,
            allow_pickle=self.allow_pickle,
            trust_remote_code=self.trust_remote_code,
            runtime=self.runtime,
            threads=self.torch_threads,
            progress=progress,
        )


# Smaller than one 512-token analysis of the bundled model (~80 MB of arrays): a long text's
# analysis stays cached only while it is the newest, so going back to a short sentence frees it
# (measured: benchmarks/memory.py's long-input case). Short sentences (~0.15 MB each) still fit
# by the hundred.
CACHE_BYTES = 64 * 2**20


KNOWN_NEIGHBOURS = 4096  # words' static neighbour lists (~1 KB each)


class Engine:
    """Holds the static vectors and the contextual model; each is loaded at most once.

    Analyses are cached (least recently used first out) up to `cache_bytes`: their arrays and
    the views derived from them (analysis.derived), counted in that one budget. The newest is
    always kept, whatever its size; replacing a model drops every analysis.
    """

    def __init__(
        self,
        vectors_loader: VectorsLoader,
        model_loader: ModelLoader,
        cache_bytes: int = CACHE_BYTES,
        map_fitter: MapFitter = fit_or_load_static_map,
        sources: Sources | None = None,
    ) -> None:
        self.sources = sources or Sources()  # where the current models came from, and the options
        self._vectors_loader = vectors_loader
        self._model_loader = model_loader
        self._map_fitter = map_fitter
        self._static_map: StaticMap | None = None
        self._map_lock = threading.Lock()
        # the fixed 2D maps of the static vocabulary, per method; one lock each, so a UMAP fit of
        # a minute does not hold up the PCA map
        self._projections: dict[str, StaticProjection] = {}
        self._projection_locks = {method: threading.Lock() for method in METHODS}
        self._vectors: StaticVectors | None = None
        self._model: ContextModel | None = None
        self._vectors_lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._cache: OrderedDict[tuple, Analysis] = OrderedDict()
        # the static side of an analysis, beside its forward pass (two: the analyser and another caller at once)
        self._beside = ThreadPoolExecutor(max_workers=2, thread_name_prefix="static side")
        self._array_bytes: dict[tuple, int] = {}  # per cached key: its analysis's own arrays
        self._cache_lock = threading.Lock()
        self._cache_bytes = cache_bytes
        self._generation = 0  # counts model replacements: analyses cached before one are not reused
        # the static neighbours of words looked up so far, with the current vectors (see _static_part)
        self._known_neighbours = Memo(max_entries=KNOWN_NEIGHBOURS)

    @classmethod
    def from_sources(cls, sources: Sources) -> Engine:
        return cls(sources.vectors_loader(), sources.model_loader(), sources=sources)

    @classmethod
    def from_loaded(
        cls,
        vectors: StaticVectors | None,
        model: ContextModel | None,
        map_fitter: MapFitter = fit_or_load_static_map,
        sources: Sources | None = None,
    ) -> Engine:
        # Typed loaders: one asked for a component that was not given says so, rather than return None.
        def given_vectors(progress: Progress) -> StaticVectors:
            if vectors is None:
                raise LoadError("this engine was made without static vectors")
            return vectors

        def given_model(progress: Progress) -> ContextModel:
            if model is None:
                raise LoadError("this engine was made without a transformer")
            return model

        engine = cls(given_vectors, given_model, map_fitter=map_fitter, sources=sources)
        engine._vectors, engine._model = vectors, model
        return engine

    @property
    def vectors(self) -> StaticVectors | None:
        return self._vectors

    @property
    def model(self) -> ContextModel | None:
        return self._model

    def load_vectors(self, progress: Progress = no_progress) -> StaticVectors:
        with self._vectors_lock:
            if self._vectors is None:
                self._vectors = self._vectors_loader(progress)
        return self._vectors

    def load_model(self, progress: Progress = no_progress) -> ContextModel:
        with self._model_lock:
            if self._model is None:
                self._model = self._model_loader(progress)
        return self._model

    def open_vectors(self, path: str | None, progress: Progress = no_progress) -> StaticVectors:
        """Load other static vectors (None: the bundled ones) with the options the engine was
        given. They replace the current vectors only once loaded: on any error the engine keeps
        what it had. Analyses and the map into the static space made with the old ones go."""
        if path is not None:
            check_vectors_file(path, allow_pickle=self.sources.allow_pickle)
        return self._replace("vectors", path, replace(self.sources, vectors=path).vectors_loader()(progress))

    def open_model(self, source: str | None, progress: Progress = no_progress) -> ContextModel:
        """Load another transformer (None: the bundled one), as open_vectors does."""
        if source is not None:
            resolve_model_source(source)
        return self._replace("model", source, replace(self.sources, model=source).model_loader()(progress))

    def _replace(self, component: Literal["vectors", "model"], source: str | None, loaded):
        """Swap in a loaded model, and forget what was made with the old one. Under the cache's
        lock, so an analysis never pairs the models of one generation with the key of another."""
        with self._map_lock:
            self._static_map = None
        if component == "vectors":
            self._projections = {}
        with self._cache_lock:
            setattr(self, f"_{component}", loaded)
            if component == "vectors":
                self._known_neighbours = Memo(max_entries=KNOWN_NEIGHBOURS)
                self.sources = replace(self.sources, vectors=source)
            else:
                self.sources = replace(self.sources, model=source)
            self._generation += 1
            while self._cache:
                self._drop_oldest()
        return loaded

    def static_map(self, progress: Progress = no_progress, cached_only: bool = False) -> StaticMap | None:
        """The per-layer map from the model's hidden states into the static space: loaded from
        the disk cache, or fitted (tens of seconds, once) unless `cached_only`."""
        with self._map_lock:
            if self._static_map is None:
                self._static_map = self._map_fitter(self.load_model(), self.load_vectors(), progress, cached_only)
            return self._static_map

    def static_projection(self, method: str = "pca", progress: Progress = no_progress) -> StaticProjection:
        """The fixed 2D map of the static vocabulary by `method` (pca, umap, tsne): from memory,
        the disk cache, or fitted once on the vectors' most frequent words."""
        if method not in self._projection_locks:
            raise InputError(f"unknown map method {method!r}: choose one of {', '.join(METHODS)}")
        with self._projection_locks[method]:
            vectors = self.load_vectors()
            found = self._projections.get(method)
            if found is None:
                found = fit_static_projection(vectors, method, progress=progress)
                self._projections[method] = found
            return found

    def analyze(
        self,
        text: str,
        settings: AnalysisSettings = AnalysisSettings(),
        is_cancelled: Callable[[], bool] = lambda: False,
        heads_off: HeadsOff = NO_HEADS_OFF,
    ) -> Analysis:
        """Everything the loaded models can say about `text`, with `heads_off` switched off in the
        transformer; raises Cancelled if asked to stop. NotImplementedError when heads are to be
        switched off in a model whose runtime cannot."""
        with self._cache_lock:
            vectors, model, generation = self._vectors, self._model, self._generation
            known = self._known_neighbours  # of these vectors: replaced with them, under this lock
            key = (text, settings, vectors is not None, model is not None, generation, heads_off)
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            # Heads switched off change only the transformer: the static part of the intact analysis is reused.
            intact = self._cache.get(key[:-1] + (NO_HEADS_OFF,)) if heads_off else None
        # cut as the vectors' own tokenizer cut their text (didn't -> did + n't), when they are loaded
        words, words_cut = split_words_upto(text, MAX_WORDS, known=vectors.knows if vectors is not None else None)
        # The static side runs beside the forward pass (numpy and torch release the GIL; torch
        # leaves a core free, see tui/launch.interactive): it costs the edit nothing while it is shorter.
        encoding = model.encode(text) if model is not None else None
        beside = self._beside.submit(self._static_side, vectors, model, words, settings, intact, encoding, known)
        try:
            if is_cancelled():
                raise Cancelled
            context = None
            if model is not None and encoding is not None:
                context = _context_part(model, encoding, words, heads_off)
        finally:
            static = beside.result()
        if is_cancelled():
            raise Cancelled
        analysis = Analysis(
            text=text, settings=settings, words=words, static=static, context=context, words_cut=words_cut
        )
        with self._cache_lock:
            if generation != self._generation:
                return analysis  # made with models replaced meanwhile: not worth keeping
            self._cache[key] = analysis
            self._array_bytes[key] = _size_in_bytes(analysis)
            analysis.derived.watch(self._keep_within_budget)
            self._evict_over_budget()
        return analysis

    @staticmethod
    def _static_side(
        vectors: StaticVectors | None, model: ContextModel | None, words: tuple[Word, ...],
        settings: AnalysisSettings, intact: Analysis | None, encoding: Encoding | None, known: Memo,
    ) -> StaticPart | None:
        """The static part (reused from the intact analysis when heads are off) and the input-table
        neighbours of the text's tokens, which the focused token's reading will ask for."""
        if intact is not None:
            static = intact.static
        else:
            static = _static_part(vectors, words, settings, known) if vectors is not None else None
        if model is not None and encoding is not None:
            warm_input_table_neighbours(model, encoding.tokens, encoding.special)
        return static

    def cached_bytes(self) -> int:
        """What the cache holds now: the cached analyses' arrays and their derived views."""
        with self._cache_lock:
            return self._total_bytes()

    def _total_bytes(self) -> int:
        return sum(self._array_bytes.values()) + sum(analysis.derived.nbytes for analysis in self._cache.values())

    def _keep_within_budget(self) -> None:
        """A cached analysis gained a derived view: evict the oldest if that went over budget."""
        with self._cache_lock:
            self._evict_over_budget()

    def _evict_over_budget(self) -> None:
        while len(self._cache) > 1 and self._total_bytes() > self._cache_bytes:
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        key, analysis = self._cache.popitem(last=False)
        del self._array_bytes[key]
        # Its views stay with it: the view on screen may still be this analysis (the next one is
        # cached before it is shown), and emptying them would recompute them on the UI thread. They
        # go when the analysis does; what it gains from now on is bounded by its memo, not counted.
        analysis.derived.watch(None)


def _size_in_bytes(analysis: Analysis) -> int:
    """An analysis is mostly its arrays: a 512-token one holds ~80 MB of attention weights."""
    parts = [part for part in (analysis.static, analysis.context) if part is not None]
    return sum(value.nbytes for part in parts for value in vars(part).values() if hasattr(value, "nbytes"))


def _static_part(
    vectors: StaticVectors, words: tuple[Word, ...], settings: AnalysisSettings, known: Memo | None = None
) -> StaticPart:
    """`known`: the neighbours of words already looked up with these vectors (while typing, only
    the word being typed is new: the others' searches are not done again)."""
    texts = [word.text for word in words]
    known = known if known is not None else Memo()
    keys = {text: (text, settings.topn, settings.restrict_vocab) for text in texts}
    missing = sorted({text for text in texts if not known.has(keys[text])})
    for found in vectors.neighbours(missing, topn=settings.topn, restrict_vocab=settings.restrict_vocab):
        known.get(keys[found.word], _constant(found))
    neighbours = tuple(
        known.get(keys[text], lambda text=text: vectors.neighbours(  # type: ignore[misc]
            [text], topn=settings.topn, restrict_vocab=settings.restrict_vocab)[0])
        for text in texts
    )
    return StaticPart(
        vectors=vectors.info,
        restrict_vocab=vectors.effective_restrict_vocab(settings.restrict_vocab),
        neighbours=neighbours,
        cosine=freeze(vectors.cosine_matrix(texts)),
    )


def _constant(value: T) -> Callable[[], T]:
    return lambda: value


def _context_part(model: ContextModel, encoding: Encoding, words: tuple[Word, ...], heads_off: HeadsOff) -> ContextPart:
    output = model.run(encoding, heads_off=heads_off, capture=model.can_capture, continuing=True)
    return ContextPart(
        model=model.info,
        tokens=encoding.tokens,
        offsets=freeze(encoding.offsets),
        special=freeze(encoding.special),
        token_word=freeze(align_tokens_to_words(encoding.offsets, encoding.special, words)),
        attentions=freeze(output.attentions),
        hidden_states=freeze(output.hidden_states),
        truncated=encoding.truncated,
        ids=encoding.ids,
        captured=output.captured,
        heads_off=heads_off,
        labels=model.labels(encoding.tokens),
    )


def check_sources(sources: Sources) -> None:
    """The cheap checks of a user's --vectors / --model, so a typo fails before the UI opens."""
    if sources.neighbour_search not in SEARCH_MODES:
        raise LoadError(f"--neighbour-search {sources.neighbour_search}: choose one of {', '.join(SEARCH_MODES)}")
    if sources.vectors is not None:
        check_vectors_file(sources.vectors, allow_pickle=sources.allow_pickle)
    if sources.model is not None:
        resolve_model_source(sources.model)
    check_device(sources.device)
