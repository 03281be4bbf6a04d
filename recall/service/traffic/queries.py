"""A station's traffic per bucket, and an area's intake rate per bucket (dense series).

Definitions (docs/api.md, "Stations" and "Statistics", say the same):

- **accepted**: stored events, heartbeats included, by the time the intake received them (a
  resend of a stored event is not stored again, so it is not counted twice);
- **refused**: dead letters by the time they were received, by reason;
- **source** of an accepted event: `injury_reports` (an injury report), `purchase_sampling`
  (a sampling result) or `other` (heartbeats, recall notices and progress reports) — the names
  `/statistics` gives lead sources;
- an area's traffic is that of the stations registered in it (their `jurisdiction`), as on
  GET /stations and /dead-letters; a record of an unregistered reporter is in no area.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from recall.domain.traffic import Buckets
from recall.service.traffic.ports import Tally, TrafficReads

SOURCES = {"injury_report": "injury_reports", "sampling_result": "purchase_sampling"}
OTHER = "other"
SOURCE_ORDER = ("injury_reports", "purchase_sampling", OTHER)


@dataclass(frozen=True, slots=True)
class StationTraffic:
    station_id: str
    buckets: Buckets
    accepted: list[int]
    refused: dict[str, list[int]]
    """Per reason (sorted), one count per bucket."""


@dataclass(frozen=True, slots=True)
class IntakeRate:
    buckets: Buckets
    by_kind: dict[str, list[int]]
    by_source: dict[str, list[int]]
    refused: list[int]


def source_of(event_type: str) -> str:
    return SOURCES.get(event_type, OTHER)


def station_traffic(reads: TrafficReads, station_id: str, buckets: Buckets) -> StationTraffic:
    """Two grouped reads: accepted per bucket, refused per bucket and reason."""
    accepted = _dense(reads.station_accepted(station_id, buckets), buckets).get("", [])
    refused = _dense(reads.station_refused(station_id, buckets), buckets)
    return StationTraffic(
        station_id,
        buckets,
        accepted or [0] * buckets.count,
        dict(sorted(refused.items())),
    )


def intake_rate(reads: TrafficReads, scope_prefix: str | None, buckets: Buckets) -> IntakeRate:
    """Two grouped reads: accepted per bucket by station kind and type, refused per bucket."""
    rows = reads.area_accepted(scope_prefix, buckets)
    by_kind = _dense((Tally(r.bucket, r.station_kind, r.count) for r in rows), buckets)
    by_source = _dense((Tally(r.bucket, source_of(r.event_type), r.count) for r in rows), buckets)
    letters = reads.area_refused(scope_prefix, buckets)
    refused = _dense((Tally(r.bucket, "", r.count) for r in letters), buckets)
    return IntakeRate(
        buckets,
        dict(sorted(by_kind.items())),
        {s: by_source.get(s, [0] * buckets.count) for s in SOURCE_ORDER},
        refused.get("", [0] * buckets.count),
    )


def _dense(rows: Iterable[Tally], buckets: Buckets) -> dict[str, list[int]]:
    """Counts per key as one list per key, a zero in every bucket without rows; rows outside
    the buckets (none, when the adapter filters as it must) are ignored."""
    out: dict[str, list[int]] = defaultdict(lambda: [0] * buckets.count)
    for row in rows:
        if 0 <= row.bucket < buckets.count:
            out[row.key][row.bucket] += row.count
    return dict(out)
