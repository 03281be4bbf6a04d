"""When stations report: a province's 81 stations with their own daily and weekly rhythms.

Each station kind has an hourly profile on China's clock (an emergency room round the clock,
busier by day; a school on weekday class hours only; a mall busier at weekends; a lab or a
newsroom a few times a week), and real feeds are burstier than a Poisson process, so the
simulation adds what makes them so: a random level per day (Gamma, mean 1), incidents that
bring several reports at once, some stations that upload in batches every few hours, and some
that send an hourly heartbeat. Times are seconds since the epoch; seeded, so the same seed
gives the same month.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

CHINA_OFFSET_S = 8 * 3600
DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class Profile:
    """A kind of station: records per hour at each China hour, weekdays and weekends."""

    kind: str
    weekday: tuple[float, ...]
    weekend: tuple[float, ...]
    day_shape: float
    """Gamma shape of the day's level: smaller is burstier (∞ would be Poisson)."""
    cluster: float = 0.1
    """Chance that a report brings 1–3 more at once (one incident, several people)."""


def _hours(base: float, busy: dict[range, float], night: float = 0.0) -> tuple[float, ...]:
    rates = [night] * 24
    for span, rate in busy.items():
        for hour in span:
            rates[hour] = rate
    return tuple(r * base for r in rates)


PROFILES: dict[str, Profile] = {
    "hospital": Profile(
        "hospital",
        _hours(1.0, {range(8, 22): 6.0}, night=1.5),
        _hours(1.0, {range(8, 22): 6.0}, night=1.5),
        day_shape=8.0,
    ),
    "school": Profile("school", _hours(1.0, {range(8, 17): 0.6}), _hours(0.0, {}), 4.0),
    "school_lab": Profile(
        "school", _hours(1.0, {range(9, 17): 0.5 / 8 * 7 / 5}), _hours(0.0, {}), 4.0, 0.0
    ),
    "traffic_police": Profile(
        "traffic_police",
        _hours(1.0, {range(6, 22): 0.8, range(7, 9): 2.0, range(17, 19): 2.0}, night=0.3),
        _hours(1.0, {range(6, 22): 0.8}, night=0.3),
        6.0,
    ),
    "mall": Profile(
        "mall", _hours(1.0, {range(10, 22): 0.4}), _hours(1.0, {range(10, 22): 0.7}), 4.0
    ),
    "supermarket": Profile(
        "supermarket", _hours(1.0, {range(8, 22): 0.3}), _hours(1.0, {range(8, 22): 0.45}), 4.0
    ),
    "enforcement": Profile(
        "enforcement", _hours(1.0, {range(9, 17): 0.3}), _hours(0.0, {}), 3.0, 0.0
    ),
    "lab": Profile("lab", _hours(1.0, {range(9, 17): 0.5 / 8 * 7 / 5}), _hours(0.0, {}), 3.0, 0.0),
    "media": Profile(
        "media", _hours(1.0, {range(8, 23): 0.5 / 15}), _hours(1.0, {range(8, 23): 0.5 / 15}), 2.0
    ),
}

PROVINCE_MIX: tuple[tuple[str, int], ...] = (
    ("hospital", 16),
    ("school", 14),
    ("school_lab", 4),
    ("traffic_police", 10),
    ("mall", 10),
    ("supermarket", 10),
    ("enforcement", 6),
    ("lab", 6),
    ("media", 5),
)
"""81 stations, the province of the design notes: schools, traffic police, malls,
supermarkets, emergency rooms, enforcement teams, labs and newsrooms."""


@dataclass(frozen=True, slots=True)
class SimulatedStation:
    station_id: str
    profile: Profile
    batch_hours: int = 0
    """Uploads everything every this many hours (0: each report as it happens)."""
    heartbeat_s: int = 0
    """Sends a heartbeat this often (0: none)."""


def province(seed: int) -> list[SimulatedStation]:
    """The 81 stations: a quarter of the busy ones upload in batches, a fifth send heartbeats."""
    rng = random.Random(seed)
    stations = []
    for name, count in PROVINCE_MIX:
        for n in range(count):
            busy = name in {"hospital", "traffic_police"}
            batch = rng.choice((1, 2, 3)) if busy and rng.random() < 0.25 else 0
            beat = 3600 if rng.random() < 0.2 else 0
            stations.append(SimulatedStation(f"{name}-{n + 1:02d}", PROFILES[name], batch, beat))
    return stations


def arrivals(station: SimulatedStation, start_s: float, end_s: float, seed: int) -> list[float]:
    """Times (epoch seconds, sorted) the intake receives the station's records in [start, end)."""
    rng = random.Random(f"{seed}:{station.station_id}")
    times: list[float] = []
    day = math.floor((start_s + CHINA_OFFSET_S) / DAY_S)
    while (day_start := day * DAY_S - CHINA_OFFSET_S) < end_s:
        level = rng.gammavariate(station.profile.day_shape, 1 / station.profile.day_shape)
        weekend = (day + 3) % 7 >= 5  # day 0 (1970-01-01) was a Thursday
        rates = station.profile.weekend if weekend else station.profile.weekday
        for hour, rate in enumerate(rates):
            times += _hour(rng, day_start + hour * 3600, rate * level, station.profile.cluster)
        day += 1
    if station.batch_hours:
        every = station.batch_hours * 3600
        times = [(math.floor(t / every) + 1) * every - rng.uniform(0, 60) for t in times]
    if station.heartbeat_s:
        offset = rng.uniform(0, station.heartbeat_s)
        first = math.ceil((start_s - offset) / station.heartbeat_s)
        last = math.ceil((end_s - offset) / station.heartbeat_s)
        times += [offset + n * station.heartbeat_s for n in range(first, last)]
    return sorted(t for t in times if start_s <= t < end_s)


def _hour(rng: random.Random, start: float, rate: float, cluster: float) -> list[float]:
    out: list[float] = []
    for _ in range(_poisson(rng, rate)):
        at = start + rng.random() * 3600
        out.append(at)
        if cluster and rng.random() < cluster:
            out += [at + rng.uniform(0, 120) for _ in range(rng.randint(1, 3))]
    return out


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: the means here are small (a few per hour)."""
    if mean <= 0:
        return 0
    limit, n, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        n += 1
        product *= rng.random()
    return n
