"""One fixed 2D map of a static vocabulary: fitted once per vectors file on a fixed sample (its
most frequent words), cached on disk, never refitted on a sentence, so a word keeps its place
whatever sentence it appears in.

Every vector is scaled to unit length first (the map shows cosine geometry, as the neighbour
lists do). PCA (the default) is numpy's SVD of the centred sample: cheap, and any word is placed
by the same linear map. UMAP (umap-learn) and t-SNE (scikit-learn) are fitted on a smaller
sample, seeded; a word of the sample keeps its fitted position, and any other word is placed at
the cosine-weighted mean of the positions of its nearest sample words (t-SNE has no transform,
and using one rule for both keeps a cached map and a fresh fit in agreement).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from wordlens.core.errors import InputError
from wordlens.core.progress import Progress, no_progress

if TYPE_CHECKING:
    import numpy as np

    from wordlens.core.vectors.static_vectors import StaticVectors

Method = Literal["pca", "umap", "tsne"]
METHODS: tuple[Method, ...] = ("pca", "umap", "tsne")
SAMPLE_WORDS: dict[str, int] = {"pca": 10_000, "umap": 2_000, "tsne": 2_000}
SEED = 0
PLACING_NEIGHBOURS = 10  # sample words averaged to place a word outside the sample (umap, t-SNE)
CACHE_VERSION = "v1"


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero), as float64."""
    import numpy as np

    values = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(values, axis=-1, keepdims=True)
    return np.divide(values, norms, out=np.zeros_like(values), where=norms > 0)


@dataclass(frozen=True, eq=False)
class StaticProjection:
    """A fitted 2D map: `mean` and `components` place any vector (PCA); for UMAP and t-SNE,
    `sample_units` and `sample_points` place a vector by its nearest sample words."""

    method: str
    sample_words: tuple[str, ...]
    sample_points: np.ndarray  # (sample, 2) the sample's own coordinates
    mean: np.ndarray  # (dim,) PCA only (zeros otherwise)
    components: np.ndarray  # (2, dim) PCA only (zeros otherwise)
    sample_units: np.ndarray  # (sample, dim) unit sample vectors (for placing new words)
    index_of: dict[str, int]

    def transform_vectors(self, vectors: np.ndarray) -> np.ndarray:
        """(n, dim) vectors -> (n, 2)."""
        import numpy as np

        units = unit_rows(np.atleast_2d(vectors))
        if self.method == "pca":
            return (units - self.mean) @ self.components.T
        cosines = units @ self.sample_units.T
        count = min(PLACING_NEIGHBOURS, cosines.shape[1])
        nearest = np.argpartition(-cosines, count - 1, axis=1)[:, :count]
        weights = np.clip(np.take_along_axis(cosines, nearest, axis=1), 1e-6, None)
        return (weights[..., None] * self.sample_points[nearest]).sum(axis=1) / weights.sum(axis=1, keepdims=True)

    def transform(self, vectors: StaticVectors, words: Sequence[str]) -> np.ndarray:
        """(len(words), 2): each word's point; a sample word of UMAP/t-SNE keeps its fitted point.
        Raises InputError for a word the vectors do not have."""
        import numpy as np

        missing = [word for word in words if vectors.key_for(word) is None]
        if missing:
            raise InputError(f"not in the static vocabulary: {', '.join(missing)}")
        keys = [vectors.key_for(word) or word for word in words]
        points = self.transform_vectors(np.stack([vectors.vector(key) for key in keys])) if keys else np.zeros((0, 2))
        if self.method != "pca":
            for row, key in enumerate(keys):
                if key in self.index_of:
                    points[row] = self.sample_points[self.index_of[key]]
        return points


def sample_of(vectors: StaticVectors, size: int) -> list[str]:
    """The fixed sample: the `size` most frequent alphabetic words (the file's order)."""
    found: list[str] = []
    for word in vectors.words:
        if word.isalpha():
            found.append(word)
            if len(found) == size:
                break
    return found


def fit_pca(units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, components (2, dim)) of the rows: the top two eigenvectors of the covariance (or,
    with fewer rows than dimensions, of the rows' Gram matrix: the same axes, a smaller problem);
    each axis's sign fixed so that its largest-magnitude loading is positive (as scikit-learn's
    svd_flip does)."""
    import numpy as np

    mean = units.mean(axis=0)
    centred = units - mean
    if centred.shape[0] < centred.shape[1]:
        values, vectors = np.linalg.eigh(centred @ centred.T)
        top = np.argsort(values)[::-1][:2]
        components = (centred.T @ vectors[:, top]).T
        components /= np.linalg.norm(components, axis=1, keepdims=True)
    else:
        values, vectors = np.linalg.eigh(centred.T @ centred)
        components = vectors[:, np.argsort(values)[::-1][:2]].T.copy()
    signs = np.sign(components[np.arange(2), np.abs(components).argmax(axis=1)])
    components *= signs[:, None]
    return mean, components


def fit_embedding(units: np.ndarray, method: str, seed: int, progress: Progress) -> np.ndarray:
    """(n, 2) UMAP or t-SNE coordinates of the rows, seeded."""
    import numpy as np

    progress(f"fitting {method.upper()} on {len(units):,} words", 0.1)
    if method == "umap":
        import umap

        reducer = umap.UMAP(n_components=2, metric="cosine", random_state=seed, n_jobs=1)
        return np.asarray(reducer.fit_transform(units), dtype=np.float64)
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = min(30.0, (len(units) - 1) / 3)  # scikit-learn needs it below the sample size
        tsne = TSNE(n_components=2, metric="cosine", init="pca", random_state=seed, perplexity=perplexity)
        return np.asarray(tsne.fit_transform(units), dtype=np.float64)
    raise InputError(f"unknown map method {method!r}: choose one of {', '.join(METHODS)}")


def cache_path(vectors: StaticVectors, method: str, size: int, seed: int) -> Path:
    from wordlens.core.measures.static_vs_context import cache_folder

    identity = f"{vectors.info.source}|{vectors.info.name}|{vectors.info.size}|{vectors.info.dim}|{method}|{size}|" \
               f"{seed}|{CACHE_VERSION}"
    return cache_folder() / f"static-projection-{hashlib.sha256(identity.encode()).hexdigest()[:16]}.npz"


def fit_static_projection(
    vectors: StaticVectors, method: str = "pca", size: int | None = None, seed: int = SEED,
    progress: Progress = no_progress, use_cache: bool = True,
) -> StaticProjection:
    """The map of `vectors` by `method`, from the disk cache or fitted on the sample (and cached)."""
    import numpy as np

    if method not in METHODS:
        raise InputError(f"unknown map method {method!r}: choose one of {', '.join(METHODS)}")
    size = size or SAMPLE_WORDS[method]
    words = sample_of(vectors, size)
    if len(words) < 3:
        raise InputError("the vectors have too few words to draw a map")
    units = unit_rows(np.asarray(vectors.matrix)[[vectors.row_of[word] for word in words]])
    path = cache_path(vectors, method, size, seed)
    if use_cache and path.is_file():
        with np.load(path) as saved:
            return _projection(method, words, units, saved["points"], saved["mean"], saved["components"])
    progress(f"sampling {len(words):,} words", 0.0)
    if method == "pca":
        mean, components = fit_pca(units)
        points = (units - mean) @ components.T
    else:
        mean, components = np.zeros(units.shape[1]), np.zeros((2, units.shape[1]))
        points = fit_embedding(units, method, seed, progress)
    if use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, points=points, mean=mean, components=components)
    progress("map ready", 1.0)
    return _projection(method, words, units, points, mean, components)


def _projection(method: str, words: list[str], units: np.ndarray, points: np.ndarray, mean: np.ndarray,
                components: np.ndarray) -> StaticProjection:
    import numpy as np

    return StaticProjection(method=method, sample_words=tuple(words), sample_points=np.asarray(points),
                            mean=np.asarray(mean), components=np.asarray(components), sample_units=units,
                            index_of={word: index for index, word in enumerate(words)})
