"""How often the silence rule cries wolf, and how soon it notices a station that stopped.

A month of normal traffic for the province's 81 stations (`recall.tools.simulate.cadence`:
daily and weekly rhythms, busy and quiet days, incidents with several reports, batch uploads,
heartbeats), each station's cadence learned on the weeks before and relearned every day, as
the worker's timer does every hour. The verdict only changes at a record or at the end of a
silence, and the chance of a silence only falls as it lasts, so a gap between two records
raised an alert exactly when the verdict at its end (just before the record that ended it) is
"silent": every gap of the month is judged there, which is what a timer every minute would
have seen, give or take its minute. Each such alert is a false alarm: nothing stopped.

Detection: a station stops at a random moment of the month; the delay is from the stop to the
first minute the verdict is "silent" (found by bisection: the chance only falls).
"""

from __future__ import annotations

import bisect
import math
import random
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from recall.domain.station_health import (
    HOURS_PER_WEEK,
    Cadence,
    SilenceRule,
    judge_silence,
    learn_cadence,
)
from recall.tools.simulate.cadence import SimulatedStation, arrivals, province

START_S = 1_772_380_800 - 8 * 3600
"""Monday 2026-03-02 00:00 China: the month judged starts here."""
DAY_S = 86_400
BOUND_PER_81_PER_WEEK = 1.0
"""The documented bound: fewer than one false alarm per week among 81 stations."""


@dataclass(frozen=True, slots=True)
class StationRun:
    station_id: str
    kind: str
    records: int
    false_alarms: int
    delays_h: tuple[float, ...]
    """Hours from a stop to the alert, one per stop; inf when no alert within 60 days."""


@dataclass
class MonthRun:
    seed: int
    days: int
    stations: list[StationRun] = field(default_factory=list)

    @property
    def false_alarms(self) -> int:
        return sum(s.false_alarms for s in self.stations)

    @property
    def station_days(self) -> int:
        return self.days * len(self.stations)

    @property
    def per_station_day(self) -> float:
        return self.false_alarms / self.station_days if self.station_days else 0.0

    @property
    def per_81_per_week(self) -> float:
        return self.per_station_day * 81 * 7

    def delays_by_kind(self) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for s in self.stations:
            out.setdefault(s.kind, []).extend(s.delays_h)
        return out


def simulate_month(
    seed: int,
    rule: SilenceRule | None = None,
    *,
    days: int = 30,
    history_weeks: int = 4,
    stops_per_station: int = 3,
) -> MonthRun:
    """One month of the province's stations: false alarms and detection delays."""
    rule = rule or SilenceRule()
    run = MonthRun(seed, days)
    for station in province(seed):
        run.stations.append(_station(station, seed, rule, days, history_weeks, stops_per_station))
    return run


def _station(
    station: SimulatedStation,
    seed: int,
    rule: SilenceRule,
    days: int,
    history_weeks: int,
    stops: int,
) -> StationRun:
    first_s = START_S - history_weeks * 7 * DAY_S
    end_s = START_S + days * DAY_S
    times = arrivals(station, first_s, end_s, seed)
    counts = Counter(math.floor(t / 3600) for t in times)
    cadences = [_learn(counts, times, START_S + d * DAY_S, history_weeks) for d in range(days)]

    def cadence_at(t: float) -> Cadence | None:
        return cadences[min(days - 1, max(0, int((t - START_S) // DAY_S)))]

    alarms = 0
    ends = [t for t in times if t >= START_S] + [end_s]
    for t1 in ends:
        i = bisect.bisect_left(times, t1)
        if i == 0:
            continue
        t0 = times[i - 1]
        if _silent(cadence_at(t1), t0, t1, rule):
            alarms += 1
    rng = random.Random(f"{seed}:{station.station_id}:stops")
    delays = []
    for _ in range(stops):
        stop = START_S + rng.uniform(0, days * DAY_S)
        i = bisect.bisect_left(times, stop)
        if i:
            delays.append(_delay(cadence_at(stop), times[i - 1], stop, rule))
    name = station.station_id.rsplit("-", 1)[0]  # the profile: school_lab apart from school
    return StationRun(station.station_id, name, len(times), alarms, tuple(delays))


def _learn(counts: Counter[int], times: list[float], day_s: int, weeks: int) -> Cadence | None:
    """The cadence the worker would hold at the start of that day: the last `weeks` weeks,
    from the station's first record on."""
    end_hour = day_s // 3600
    earlier = [t for t in times[:1] if t < day_s]
    if not earlier:
        return None
    first = max(end_hour - weeks * HOURS_PER_WEEK, math.floor(earlier[0] / 3600))
    return learn_cadence(counts, first, end_hour)


def _silent(cadence: Cadence | None, t0: float, t1: float, rule: SilenceRule) -> bool:
    return judge_silence(cadence, _at(t0), _at(t1), rule).silent


def _delay(cadence: Cadence | None, last: float, stop: float, rule: SilenceRule) -> float:
    """Hours from `stop` to the first minute silent (bisection), inf beyond 60 days."""
    low, high = stop, stop + 60 * DAY_S
    if not _silent(cadence, last, high, rule):
        return math.inf
    if _silent(cadence, last, low, rule):
        return 0.0
    while high - low > 60:
        middle = (low + high) / 2
        if _silent(cadence, last, middle, rule):
            high = middle
        else:
            low = middle
    return (high - stop) / 3600


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def quantile(values: list[float], q: float) -> float:
    finite = sorted(values)
    if not finite:
        return math.nan
    return finite[min(len(finite) - 1, int(q * len(finite)))]


def summary(runs: list[MonthRun]) -> dict[str, float]:
    rates = [r.per_81_per_week for r in runs]
    return {
        "mean_per_81_per_week": statistics.fmean(rates),
        "min_per_81_per_week": min(rates),
        "max_per_81_per_week": max(rates),
    }


def run_bench(
    seeds: list[int], rule: SilenceRule, *, days: int = 30, weeks: int = 4
) -> list[MonthRun]:
    return [simulate_month(seed, rule, days=days, history_weeks=weeks) for seed in seeds]


def result_json(runs: list[MonthRun]) -> bytes:
    return orjson.dumps(
        {
            "bound_per_81_per_week": BOUND_PER_81_PER_WEEK,
            **summary(runs),
            "runs": [
                {
                    "seed": r.seed,
                    "days": r.days,
                    "stations": len(r.stations),
                    "false_alarms": r.false_alarms,
                    "per_station_day": r.per_station_day,
                    "per_81_per_week": r.per_81_per_week,
                    "delay_hours_by_kind": {
                        kind: {"median": quantile(d, 0.5), "p90": quantile(d, 0.9)}
                        for kind, d in r.delays_by_kind().items()
                    },
                }
                for r in runs
            ],
        }
    )
