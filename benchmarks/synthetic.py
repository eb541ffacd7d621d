"""Synthetic word vectors shaped like real ones, written once to a memory-mapped .npy file.

Uniform or Gaussian noise in 300 dimensions is a poor stand-in for word vectors: every point is
nearly orthogonal to every other, the "nearest" neighbours are barely nearer than the rest, and
any approximate index scores badly on it for reasons real vocabularies do not share. Embeddings
like word2vec's GoogleNews vectors lie close to a much lower-dimensional structure (topics and
sub-topics of related words), share a common mean direction, have norms that vary with word
frequency, and are spread unevenly (frequent topics hold more words). So each vector here is:

    scale * (common_mean + project(topic + subtopic + word_jitter) + isotropic_noise)

with LATENT_DIM-dimensional topics drawn with Zipf-like popularity, SUBTOPICS per topic, a fixed
random projection to `dim` with decaying per-axis scales, 300-d isotropic noise (about a fifth
of the energy, so neighbours are not trivial) and a log-normal norm. The same seed gives the same
file byte for byte, so every benchmark run sees the same data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

LATENT_DIM = 64
TOPICS = 4096
SUBTOPICS = 16
SEED = 20240611
CHUNK = 100_000


def write_synthetic_vectors(path: Path, count: int, dim: int, seed: int = SEED,
                            progress=lambda done, total: None) -> np.ndarray:
    """Write `count` x `dim` float32 vectors to `path` (.npy) and return them memory-mapped."""
    rng = np.random.default_rng(seed)
    topic_centres = rng.standard_normal((TOPICS, LATENT_DIM)).astype(np.float32)
    subtopic_offsets = 0.6 * rng.standard_normal((TOPICS, SUBTOPICS, LATENT_DIM)).astype(np.float32)
    popularity = 1.0 / np.arange(1, TOPICS + 1) ** 0.8
    popularity /= popularity.sum()
    axis_scales = (1.0 / np.sqrt(np.arange(1, LATENT_DIM + 1))).astype(np.float32)
    projection = (rng.standard_normal((LATENT_DIM, dim)) / np.sqrt(LATENT_DIM)).astype(np.float32)
    projection *= axis_scales[:, None] * np.sqrt(LATENT_DIM / np.sum(axis_scales**2))
    common_mean = 0.4 * rng.standard_normal(dim).astype(np.float32)  # about a third of a vector's norm
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npy")
    matrix = np.lib.format.open_memmap(partial, mode="w+", dtype=np.float32, shape=(count, dim))
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        chunk_rng = np.random.default_rng([seed, start])
        topics = chunk_rng.choice(TOPICS, size=size, p=popularity)
        subtopics = chunk_rng.integers(0, SUBTOPICS, size=size)
        latent = topic_centres[topics] + subtopic_offsets[topics, subtopics]
        latent += 0.45 * chunk_rng.standard_normal((size, LATENT_DIM), dtype=np.float32)
        vectors = latent @ projection
        vectors += common_mean
        vectors += 0.55 * chunk_rng.standard_normal((size, dim), dtype=np.float32)
        vectors *= chunk_rng.lognormal(0.0, 0.3, size=(size, 1)).astype(np.float32)
        matrix[start:start + size] = vectors
        progress(start + size, count)
    matrix.flush()
    del matrix
    partial.replace(path)
    return np.load(path, mmap_mode="r")


def synthetic_vectors(path: Path, count: int, dim: int, progress=lambda done, total: None) -> np.ndarray:
    """The vectors at `path`, written first if missing (or of another shape)."""
    if path.exists():
        matrix = np.load(path, mmap_mode="r")
        if matrix.shape == (count, dim) and matrix.dtype == np.float32:
            return matrix
    return write_synthetic_vectors(path, count, dim, progress=progress)
