"""What the traffic charts read from storage: counts already grouped by bucket and key.

The adapter groups in SQL by the bucket index (`recall.domain.traffic.Buckets`: the same
arithmetic in both) and by one key — a refusal reason, or a station kind and event type —
with one query per series, so the rows returned are at most buckets × keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from recall.domain.traffic import Buckets


@dataclass(frozen=True, slots=True)
class Tally:
    """`count` records in bucket `bucket` (0 = the first) under `key`."""

    bucket: int
    key: str
    count: int


@dataclass(frozen=True, slots=True)
class IntakeTally:
    """Accepted events in one bucket from stations of one kind, of one event type."""

    bucket: int
    station_kind: str
    event_type: str
    count: int


class TrafficReads(Protocol):
    def station_accepted(self, station_id: str, buckets: Buckets) -> list[Tally]:
        """The station's stored events by received time (key: "")."""
        ...

    def station_refused(self, station_id: str, buckets: Buckets) -> list[Tally]:
        """The dead letters the station's id is on, by received time and reason."""
        ...

    def area_accepted(self, scope_prefix: str | None, buckets: Buckets) -> list[IntakeTally]:
        """Stored events of the stations registered in the area, by kind and type."""
        ...

    def area_refused(self, scope_prefix: str | None, buckets: Buckets) -> list[Tally]:
        """Dead letters of the stations registered in the area, by reason."""
        ...
