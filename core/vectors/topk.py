"""Exact top-k of each row of a wide score matrix, much faster than a full argpartition.

Each row is cut into blocks; the k largest values of a row lie in the k blocks with the
largest maxima (a block holding one of them has a maximum at least that large, and at most k
blocks can have a maximum among the k largest values). Only those blocks, and the columns past
the last whole block, are partitioned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


BLOCK = 1024


def top_k_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """(rows, k) column indices of each row's k largest scores, largest first."""
    import numpy as np

    scores = np.ascontiguousarray(scores)
    rows, width = scores.shape
    k = min(k, width)
    blocks = width // BLOCK
    if blocks <= 4 * k:
        return _sorted(scores, np.argpartition(-scores, k - 1, axis=1)[:, :k])
    row_stride, item = scores.strides
    cut = np.lib.stride_tricks.as_strided(scores, shape=(rows, blocks, BLOCK), strides=(row_stride, BLOCK * item, item),
                                          writeable=False)
    best_blocks = np.argpartition(-cut.max(axis=2), k - 1, axis=1)[:, :k]  # (rows, k)
    starts = best_blocks * BLOCK
    tail = np.arange(blocks * BLOCK, width)
    columns = np.concatenate(
        [(starts[:, :, None] + np.arange(BLOCK)).reshape(rows, k * BLOCK), np.broadcast_to(tail, (rows, tail.size))],
        axis=1,
    )
    candidates = np.take_along_axis(scores, columns, axis=1)
    within = np.argpartition(-candidates, k - 1, axis=1)[:, :k]
    return _sorted(scores, np.take_along_axis(columns, within, axis=1))


def _sorted(scores: np.ndarray, columns: np.ndarray) -> np.ndarray:
    import numpy as np

    values = np.take_along_axis(scores, columns, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    return np.take_along_axis(columns, order, axis=1)
