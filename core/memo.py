"""A small thread-safe memo: values derived from one object, computed once, bounded, sized.

An `Analysis` carries one for the views derived from it (core/measures/derived_views.py), so
they die with it; the engine counts their bytes in its one cache budget while it caches the
analysis. A `ContextModel` carries one for lookups in its input table, so they die with a
replaced model.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import fields, is_dataclass
from typing import TypeVar

T = TypeVar("T")


class Memo:
    """Up to `max_entries` values by key, least recently used first out."""

    def __init__(self, max_entries: int = 16) -> None:
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._nbytes = 0
        self._listener: Callable[[], None] | None = None

    def has(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._entries

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value for `key`, computed (outside the lock: a rollout takes ~0.1 s) if absent.
        Two threads asking at once may both compute it; the first stored is kept and returned."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][0]  # type: ignore[return-value]
        value = compute()
        size = byte_size(value)
        with self._lock:
            if key in self._entries:
                return self._entries[key][0]  # type: ignore[return-value]
            self._entries[key] = (value, size)
            self._nbytes += size
            while len(self._entries) > self._max_entries:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._nbytes -= dropped
            listener = self._listener
        if listener is not None:
            listener()  # outside the lock: the listener (the engine) takes locks of its own
        return value

    @property
    def nbytes(self) -> int:
        """The bytes the memoised values hold (arrays exactly, other objects roughly)."""
        return self._nbytes

    def __len__(self) -> int:
        return len(self._entries)

    def watch(self, listener: Callable[[], None] | None) -> None:
        """Call `listener` after each value stored (None: stop)."""
        with self._lock:
            self._listener = listener


def byte_size(value: object) -> int:
    """Roughly what `value` holds. An array counts its bytes only when it owns them: a view
    (one head of an analysis's attentions) shares memory counted elsewhere."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.nbytes if value.flags.owndata else 0
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return sys.getsizeof(value)
    if isinstance(value, (tuple, list)):
        return sys.getsizeof(value) + sum(byte_size(item) for item in value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(byte_size(k) + byte_size(v) for k, v in value.items())
    if is_dataclass(value):
        return sys.getsizeof(value) + sum(byte_size(getattr(value, f.name)) for f in fields(value))
    return sys.getsizeof(value)
