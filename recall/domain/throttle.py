"""Failed logins per key in a sliding window: when to answer 429 instead of trying again.

Why a sliding window of failure times (and not a token bucket of all requests): only failures
are evidence of guessing, so a busy, well-behaved client is never slowed down, and a client
that has failed `limit` times in the last `window_s` seconds waits exactly until the oldest
of those failures leaves the window. Pure: the caller passes `now` (a monotonic clock reading),
so tests step time by hand.

Memory is bounded twice: old failures are pruned whenever a key is touched, and at most
`max_keys` keys are tracked (the least recently failed is forgotten first), so a flood of
random token ids or addresses cannot grow the table without end.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from dataclasses import dataclass, field


@dataclass
class FailureWindow:
    """At most `limit` failures per key within any `window_s` seconds."""

    limit: int
    window_s: float
    max_keys: int = 100_000
    _failures: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict, repr=False)

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_s <= 0 or self.max_keys < 1:
            raise ValueError("a failure window needs limit >= 1, window_s > 0 and max_keys >= 1")

    def record(self, key: str, now: float) -> None:
        """Count one failure for `key` at `now`."""
        times = self._pruned(key, now)
        if times is None:
            times = deque()
            self._failures[key] = times
        times.append(now)
        self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def retry_after(self, key: str, now: float) -> int:
        """Whole seconds until `key` may try again; 0 when it may try now."""
        times = self._pruned(key, now)
        if times is None or len(times) < self.limit:
            return 0
        oldest_that_blocks = times[len(times) - self.limit]
        return max(1, math.ceil(oldest_that_blocks + self.window_s - now))

    def failures(self, key: str, now: float) -> int:
        """How many failures of `key` are inside the window at `now`."""
        times = self._pruned(key, now)
        return 0 if times is None else len(times)

    def _pruned(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times
