"""A small time-to-live cache shared by every request of the dashboard's process.

Every open page polls once a second; whatever the number of pages, each Conductor answer is
fetched at most once per `ttl` (one caller fetches, the others wait for its answer). An answer
that can no longer change (a finished execution, a registered version) is kept, up to a bound.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["TtlCache"]

T = TypeVar("T")


@dataclass
class _Entry:
    value: Any
    fetched: float
    final: bool


class TtlCache:
    def __init__(
        self,
        ttl: float = 1.0,
        *,
        max_entries: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self.loads = 0  # answers fetched (not served from the cache): the bench reads it
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[Hashable, threading.Lock] = {}

    def get(
        self,
        key: Hashable,
        load: Callable[[], T],
        *,
        ttl: float | None = None,
        final: Callable[[T], bool] | None = None,
    ) -> T:
        """The cached answer if it is fresh (or final), else `load()`'s, which is kept.

        An exception from `load` is not kept: the next caller tries again."""
        fresh = self.ttl if ttl is None else ttl
        found = self._fresh(key, fresh)
        if found is not None:
            return found.value  # type: ignore[no-any-return]
        with self._lock:
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:  # one load per key at a time; the others then read its answer
            found = self._fresh(key, fresh)
            if found is not None:
                return found.value  # type: ignore[no-any-return]
            try:
                value = load()
            finally:
                with self._lock:
                    self._loading.pop(key, None)
            entry = _Entry(value, self.clock(), bool(final and final(value)))
            with self._lock:
                self.loads += 1
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return value

    def forget(self, *, final_too: bool = False) -> None:
        """Drops the answers that may change (after an action changed the server)."""
        with self._lock:
            for key in [k for k, e in self._entries.items() if final_too or not e.final]:
                del self._entries[key]

    def _fresh(self, key: Hashable, ttl: float) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.final or self.clock() - entry.fetched < ttl:
                self._entries.move_to_end(key)
                return entry
            return None
