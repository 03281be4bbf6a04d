"""Play many stations at a steady rate, with a chosen share of bad and resent events.

The report counts what was sent by intent (valid, broken by kind, resent), so the demo and
the tests can check that the system's own counts add up to it.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import orjson

from recall.adapters.kafka.producer import StationSender
from recall.tools.simulate.events import (
    Breakage,
    SimProduct,
    SimStation,
    break_event,
    station_event,
)

CHINA_TZ = timezone(timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class TrafficPlan:
    rate_per_s: float
    duration_s: float
    seed: int = 1
    malformed_fraction: float = 0.02
    duplicate_fraction: float = 0.01


@dataclass
class TrafficReport:
    published: int = 0
    valid: int = 0
    duplicates: int = 0
    broken: Counter[str] = field(default_factory=Counter)
    send_errors: int = 0

    @property
    def malformed(self) -> int:
        return sum(self.broken.values())


def run_traffic(
    sender: StationSender,
    stations: list[SimStation],
    products: list[SimProduct],
    plan: TrafficPlan,
    progress: Callable[[int], None] | None = None,
) -> TrafficReport:
    """Send `rate × duration` events, paced on the monotonic clock; flush before returning."""
    if not stations or not products:
        raise ValueError("no stations or products to simulate: load a registry first")
    rng = random.Random(plan.seed)
    report = TrafficReport()
    total = int(plan.rate_per_s * plan.duration_s)
    started = time.monotonic()
    recent: list[tuple[str, bytes]] = []
    breakages = list(Breakage)

    def failed(_error: Exception) -> None:
        report.send_errors += 1

    for i in range(total):
        reporter, value, signed = _next_record(
            rng, stations, products, plan, recent, breakages, report
        )
        sender.send(reporter, value, signed=signed, on_error=failed)
        report.published += 1
        if progress is not None and i % 100 == 99:
            progress(100)
        ahead = (i + 1) / plan.rate_per_s - (time.monotonic() - started)
        if ahead > 0.002:
            time.sleep(ahead)  # pacing to the requested rate, not synchronisation
    sender.flush()
    if progress is not None:
        progress(total % 100)
    return report


def _next_record(
    rng: random.Random,
    stations: list[SimStation],
    products: list[SimProduct],
    plan: TrafficPlan,
    recent: list[tuple[str, bytes]],
    breakages: list[Breakage],
    report: TrafficReport,
) -> tuple[str, bytes, bool]:
    roll = rng.random()
    if recent and roll < plan.duplicate_fraction:
        report.duplicates += 1
        reporter, value = rng.choice(recent)
        return reporter, value, True
    station = rng.choice(stations)
    event = station_event(station, products, rng, datetime.now(CHINA_TZ))
    if roll < plan.duplicate_fraction + plan.malformed_fraction:
        breakage = rng.choice(breakages)
        report.broken[breakage.value] += 1
        return station.station_id, break_event(event, breakage), breakage is not Breakage.UNSIGNED
    report.valid += 1
    value = orjson.dumps(event)
    recent.append((station.station_id, value))
    if len(recent) > 1000:
        recent.pop(0)
    return station.station_id, value, True


def utc_now() -> datetime:
    return datetime.now(UTC)
