"""The last thing a pane built, kept while what it was built from stays the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class LastBuilt(Generic[T]):
    """One value and what it was built from: `objects` compared by identity (views and analyses are
    replaced, never changed in place, so identity says "the same" without comparing whole analyses;
    holding them also keeps their ids from being reused), `values` (sizes, flags) by equality."""

    def __init__(self) -> None:
        self._objects: tuple[object, ...] | None = None
        self._values: tuple[object, ...] = ()
        self._value: T | None = None

    def get(self, objects: tuple[object, ...], values: tuple[object, ...], build: Callable[[], T]) -> T:
        """The value built from `objects` and `values`: the last one again, else `build()`."""
        kept = self._objects
        if (kept is None or len(kept) != len(objects) or any(a is not b for a, b in zip(kept, objects, strict=True))
                or self._values != values):
            self._value, self._objects, self._values = build(), objects, values
        return self._value  # type: ignore[return-value]
