"""When to try a failed delivery again, and when to give up (the retry budget).

Exponential backoff with *full jitter* (AWS Architecture Blog, "Exponential Backoff And
Jitter", 2015): the n-th retry waits a uniform random time in [0, min(cap, base·2^(n-1))].
Full jitter rather than "equal" jitter or none because many deliveries fail together when a
receiver goes down; spreading their retries over the whole window keeps them from coming back
in waves that knock the receiver over again. The cap bounds how stale a retry gets; the
budget (`max_attempts`) bounds how long a dead endpoint is tried before the delivery becomes
a dead letter of its subscription (redeliverable by hand).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Outcome(StrEnum):
    """What one failed or successful attempt leaves the delivery as."""

    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"


def is_success(status: int | None) -> bool:
    """Standard Webhooks: any 2xx acknowledges; everything else (3xx included) is a failure."""
    return status is not None and 200 <= status < 300


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_s: float
    cap_s: float
    max_attempts: int

    def __post_init__(self) -> None:
        if self.base_s <= 0 or self.cap_s < self.base_s or self.max_attempts < 1:
            raise ValueError("backoff needs 0 < base <= cap and at least one attempt")

    def ceiling(self, attempts: int) -> float:
        """The largest wait after `attempts` attempts (1 → base, doubling, capped)."""
        exponent = min(max(attempts - 1, 0), 62)  # 2**62 already dwarfs any cap
        return float(min(self.cap_s, self.base_s * 2.0**exponent))

    def delay(self, attempts: int, uniform: Callable[[float, float], float]) -> float:
        """A full-jitter wait after `attempts` attempts; `uniform` is e.g. `random.uniform`."""
        return uniform(0.0, self.ceiling(attempts))

    def after_failure(self, attempts: int) -> Outcome:
        """RETRY while the budget lasts, else DEAD."""
        return Outcome.DEAD if attempts >= self.max_attempts else Outcome.RETRY

    def next_attempt(
        self, now: datetime, attempts: int, uniform: Callable[[float, float], float]
    ) -> datetime:
        return now + timedelta(seconds=self.delay(attempts, uniform))

    def schedule(self) -> list[tuple[int, float]]:
        """(attempt, largest wait after it) for every retry: the table docs/webhooks.md shows."""
        return [(n, self.ceiling(n)) for n in range(1, self.max_attempts)]
