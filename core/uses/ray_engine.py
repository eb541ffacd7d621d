"""Building the uses index on a Ray cluster (`wordlens index --engine ray`; the optional extra
`wordlens[ray]`): model actors embed the batches and write them as shard files, which merge into
the same index format `build_index` writes.

The driver tokenizes the corpus and plans the batches with the same `plan_batches` as the local
build, so every batch holds the same sentences whichever engine embeds it; each actor loads the
model from the same sources (a folder every node can read, or the bundled package) and runs
`embed_batch`. Ray's core actors and its ActorPool do the scheduling (Ray Data would add pandas
and a planner for what is a list of batches).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from wordlens.core.errors import LoadError, first_line
from wordlens.core.progress import Progress, no_progress
from wordlens.core.uses.corpus import CorpusSource
from wordlens.core.uses.uses_index import (
    DEFAULT_SETTINGS,
    IndexSettings,
    Shard,
    UsesIndex,
    embed_batch,
    encode_all,
    index_folder,
    manifest_fields,
    plan_batches,
    write_index,
)

if TYPE_CHECKING:
    from wordlens.core.engine import Sources
    from wordlens.core.transformer.context_model import ContextModel


class ShardWriter:
    """A Ray actor's work: the model loaded once, then one batch of sentences at a time into a shard file."""

    def __init__(self, sources: Sources, max_tokens: int, layers: Sequence[int]) -> None:
        self._model = sources.model_loader()(lambda stage, fraction: None)
        self._max_tokens = max_tokens
        self._layers = tuple(layers)

    def embed(self, number: int, sentence_ids: list[int], texts: list[str], folder: str) -> str:
        encodings = [self._model.encode(text, max_tokens=self._max_tokens) for text in texts]
        local = embed_batch(self._model, list(range(len(texts))), encodings, self._layers)
        shard = Shard(np.asarray(sentence_ids, dtype=np.int32)[local.sentence_ids], local.starts, local.ends,
                      local.tokens, local.vectors)
        path = Path(folder) / f"shard-{number:06d}.npz"
        shard.save(path)
        return str(path)


def build_index_with_ray(model: ContextModel, sources: Sources, corpus: CorpusSource,
                         settings: IndexSettings = DEFAULT_SETTINGS, *, address: str | None = None, actors: int = 2,
                         num_cpus: int | None = None, progress: Progress = no_progress,
                         folder: Path | None = None) -> UsesIndex:
    """The index `build_index` would write, embedded by `actors` Ray actors. Joins the cluster at
    `address` (None: starts a local one with `num_cpus`, stopped again at the end)."""
    ray = _import_ray()
    from ray.util import ActorPool

    folder = folder or index_folder(model, corpus, settings)
    progress("reading the corpus", 0.0)
    sentences = corpus.sentences()
    layers = settings.layers_for(model.info.layers)
    encodings = encode_all(model, sentences, settings)
    batches = plan_batches(encodings, settings)
    shards = folder.with_name(f"{folder.name}.shards")
    shutil.rmtree(shards, ignore_errors=True)
    shards.mkdir(parents=True)
    started = not ray.is_initialized()
    if started:
        progress("starting Ray", 0.02)
        ray.init(address=address, num_cpus=num_cpus if address is None else None, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    try:
        writer = ray.remote(num_cpus=1)(ShardWriter)
        pool = ActorPool([writer.remote(sources, settings.max_tokens, layers) for _ in range(actors)])
        work = [(number, batch, [sentences[index].text for index in batch]) for number, batch in enumerate(batches)]
        for done, _path in enumerate(pool.map(
                lambda actor, item: actor.embed.remote(item[0], item[1], item[2], str(shards)), work), start=1):
            progress(f"embedding the corpus on Ray ({done} of {len(work)} batches)", 0.05 + 0.9 * done / len(work))
        write_index(folder, (Shard.load(shards / f"shard-{number:06d}.npz") for number in range(len(batches))),
                    sentences, layers, manifest_fields(model, corpus, settings, engine="ray"), settings.exact_below,
                    progress)
    finally:
        shutil.rmtree(shards, ignore_errors=True)
        if started:
            ray.shutdown()
    progress("uses index ready", 1.0)
    return UsesIndex(folder)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as error:
        raise LoadError(f"--engine ray needs Ray: pip install 'wordlens[ray]' ({first_line(error)})") from error
    return ray
