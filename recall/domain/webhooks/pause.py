"""When an endpoint that keeps failing is paused.

A receiver that is down for a minute should not lose its subscription; one that has been
failing for hours is wasting every worker's attempts and filling the attempt log. The rule
needs both: at least `after_failures` failed attempts in a row (across all of the
subscription's deliveries: one success resets the count) *and* the first of them at least
`after` ago. Counting alone would pause a busy endpoint after a short blip; time alone would
pause a quiet one after a single failure followed by silence.

A paused subscription still receives new deliveries into its schedule (held, not sent): the
owner resumes it once the endpoint is fixed and nothing that happened meanwhile is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class EndpointHealth:
    """A subscription's failing streak: failed attempts in a row, and since when."""

    consecutive_failures: int = 0
    failing_since: datetime | None = None

    def failed(self, at: datetime) -> EndpointHealth:
        since = self.failing_since if self.failing_since is not None else at
        return EndpointHealth(self.consecutive_failures + 1, since)

    @staticmethod
    def succeeded() -> EndpointHealth:
        return EndpointHealth()


@dataclass(frozen=True, slots=True)
class PauseRule:
    after_failures: int
    after: timedelta

    def should_pause(self, health: EndpointHealth, now: datetime) -> bool:
        if health.failing_since is None or health.consecutive_failures < self.after_failures:
            return False
        return now - health.failing_since >= self.after

    def reason(self, health: EndpointHealth) -> str:
        since = health.failing_since.isoformat() if health.failing_since else "?"
        return (
            f"paused automatically: {health.consecutive_failures} failed attempts in a row,"
            f" failing since {since}"
        )
