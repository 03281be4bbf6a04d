"""Valid and broken station events for integration tests, built from a registry."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import orjson

from recall.tools.simulate.events import (
    Breakage,
    SimProduct,
    SimStation,
    break_event,
    injury_report,
)
from schemas.registry import RegistryFile

CHINA_TZ = timezone(timedelta(hours=8))


def population(registry: RegistryFile) -> tuple[list[SimStation], list[SimProduct]]:
    stations = [
        SimStation(s.station_id, s.kind.value, s.jurisdiction)
        for s in registry.stations
        if s.kind.value in {"hospital", "school", "traffic_police"}
    ]
    products = [
        SimProduct(p.manufacturer_code, p.brand, p.model, p.category.value, p.kind, p.gtin)
        for p in registry.products
    ]
    return stations, products


def valid_events(registry: RegistryFile, n: int, seed: int = 1) -> list[tuple[str, bytes]]:
    """n valid injury reports as (reporter id, bytes)."""
    rng = random.Random(seed)
    stations, products = population(registry)
    now = datetime.now(CHINA_TZ)
    out = []
    for _ in range(n):
        station = rng.choice(stations)
        out.append(
            (
                station.station_id,
                orjson.dumps(injury_report(station, rng.choice(products), rng, now)),
            )
        )
    return out


def malformed_events(
    registry: RegistryFile, n: int, seed: int = 2
) -> list[tuple[str, bytes, bool]]:
    """n broken events as (reporter id, bytes, signed), cycling through every kind of breakage."""
    rng = random.Random(seed)
    stations, products = population(registry)
    now = datetime.now(CHINA_TZ)
    kinds = list(Breakage)
    out = []
    for i in range(n):
        station = rng.choice(stations)
        breakage = kinds[i % len(kinds)]
        event = injury_report(station, rng.choice(products), rng, now)
        out.append(
            (station.station_id, break_event(event, breakage), breakage is not Breakage.UNSIGNED)
        )
    return out
