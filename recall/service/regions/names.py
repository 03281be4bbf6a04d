"""The names a regulator's pages may show: its region, the regions above it, all below it.

Cached per region for `ttl_s` seconds (five minutes by default), in each process: a page view
costs no query while the entry is fresh, and a registry loaded by another process (`recall
registry load` runs apart from the API) shows within the TTL. `forget()` drops every entry at
once for a load made in this process (the demo, tests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from recall.domain.jurisdiction import ancestors, significant_prefix
from recall.service.regions.ports import RegionName, RegionNameReads

TTL_S = 300.0
MAX_ENTRIES = 4096


class PlaceNames:
    """Names around a region, one query per region and TTL (thread-safe: pages render in
    the event loop, API routes in worker threads)."""

    def __init__(
        self,
        reads: RegionNameReads,
        *,
        ttl_s: float = TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reads = reads
        self.ttl_s = ttl_s
        self.clock = clock
        self._entries: dict[str, tuple[float, dict[str, RegionName]]] = {}
        self._lock = threading.Lock()

    def around(self, region: str) -> dict[str, RegionName]:
        """code → names, for `region`, its ancestors and every registered code under it."""
        now = self.clock()
        with self._lock:
            cached = self._entries.get(region)
        if cached is not None and now - cached[0] < self.ttl_s:
            return cached[1]
        found = self.reads.region_names(significant_prefix(region), ancestors(region))
        names = {n.code: n for n in found}
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[region] = (now, names)
        return names

    def forget(self) -> None:
        """Drop every cached entry (after a registry load in this process)."""
        with self._lock:
            self._entries.clear()
