"""Simulation of the regional detector at three levels: false alarms per minimum, and what
each level finds of a cluster spread thin over a city's counties.

Why: `recall.service.risk.regional.MIN_CASES` sets, per level, the fewest cases that may alarm.
The daily detector's nominal false-alarm rate is about 1% of days per series, but a
near-empty county series is discrete: at 0.1 cases a day two cases already cross its threshold,
and a province holds dozens of counties, each with dozens of category × hazard series. This
bench measures, on simulated provinces, how many false alarms per series and year each minimum
lets through at each level, and which levels find a cluster spread over a city's counties.

Model: `PROVINCES` provinces of `CITIES` cities of `COUNTIES` counties; each county's daily count is
negative binomial (mean drawn per county around `county_mean`, size `SIZE`); cities and the
province are the sums, as `bundles.counted_regions` makes them. Every series runs through
`streamed.scan_stream` with the regional parameters — what `regional.judge_region_day` applies
to an open day, here one day at a time — after a year of burn-in, so the evaluation year is
judged by the harmonic fit (a region in service for a year). A cluster of K cases is added on
one evaluation day to one city, spread round-robin over its counties (at most ceil(K /
COUNTIES) per county).

Run: `.venv/bin/python -m recall.tools.bench.regional_levels [seed ...]`; prints one table per
seed and county mean. Pure computation, a few minutes per seed on one core (one harmonic fit
per series-day with cases).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from recall.domain.risk.detectors.streamed import detect_stream, for_regions, scan_stream
from recall.service.risk.regional import MIN_CASES

PROVINCES = 6  # per seed: enough province series for a rate
CITIES = 6
COUNTIES = 6
SIZE = 2.0  # NB size: overdispersed, as injury counts are
BURN_IN = 371  # a year and the guard: the evaluation year is judged by the harmonic fit
UNFLOORED = for_regions(1)  # the minimum is applied here, per level, to the same judgements
EVAL_DAYS = 365
MINIMUMS = (1, 2, 3, 4, 5, 6, 8, 10)
CLUSTERS = (6, 12, 18)
INJECTIONS = 40  # clusters per size and seed


@dataclass(frozen=True, slots=True)
class LevelFigures:
    level: str
    series: int
    mean_per_day: float
    false_alarms_per_series_year: dict[int, float]  # minimum -> rate


def _counties(rng: np.random.Generator, county_mean: float, days: int) -> np.ndarray:
    means = county_mean * rng.gamma(4.0, 0.25, size=CITIES * COUNTIES)  # counties differ
    p = SIZE / (SIZE + means)
    return rng.negative_binomial(SIZE, p[:, None], size=(CITIES * COUNTIES, days))


def _levels(counties: np.ndarray) -> dict[str, np.ndarray]:
    cities = counties.reshape(CITIES, COUNTIES, -1).sum(axis=1)
    return {"county": counties, "city": cities, "province": cities.sum(axis=0, keepdims=True)}


def false_alarms(provinces: Sequence[np.ndarray]) -> list[LevelFigures]:
    """Alarms on the clean series of every province, per level and minimum."""
    out = []
    for name in ("county", "city", "province"):
        series = np.concatenate([_levels(counties)[name] for counties in provinces])
        alarms = dict.fromkeys(MINIMUMS, 0)
        for row in series:
            counts = [int(c) for c in row]
            for judgement, count in zip(
                scan_stream(counts, BURN_IN, UNFLOORED), counts[BURN_IN:], strict=True
            ):
                if judgement.detection.alarm:
                    for m in MINIMUMS:
                        alarms[m] += count >= m
        years = len(series) * EVAL_DAYS / 365.0
        rates = {m: alarms[m] / years for m in MINIMUMS}
        out.append(LevelFigures(name, len(series), float(series[:, BURN_IN:].mean()), rates))
    return out


def cluster_found(
    rng: np.random.Generator, provinces: Sequence[np.ndarray], size: int, minimums: dict[str, int]
) -> dict[str, float]:
    """Share of `INJECTIONS` clusters of `size` cases (spread over one city's counties on one
    day) alarmed at each level: any of its counties, its city, its province."""
    found = dict.fromkeys(("county", "city", "province"), 0)
    for _ in range(INJECTIONS):
        counties = provinces[int(rng.integers(len(provinces)))]
        city = int(rng.integers(CITIES))
        day = BURN_IN + int(rng.integers(EVAL_DAYS))
        hit = counties.copy()
        for k in range(size):
            hit[city * COUNTIES + k % COUNTIES, day] += 1
        levels = _levels(hit[:, : day + 1])
        rows = {
            "county": levels["county"][city * COUNTIES : (city + 1) * COUNTIES],
            "city": levels["city"][city : city + 1],
            "province": levels["province"],
        }
        for name, series in rows.items():
            found[name] += any(
                row[day] >= minimums[name]
                and detect_stream([int(c) for c in row], day, UNFLOORED).alarm
                for row in series
            )
    return {name: n / INJECTIONS for name, n in found.items()}


def run(seed: int, county_mean: float) -> tuple[list[LevelFigures], dict[int, dict[str, float]]]:
    rng = np.random.default_rng(seed)
    provinces = [_counties(rng, county_mean, BURN_IN + EVAL_DAYS) for _ in range(PROVINCES)]
    figures = false_alarms(provinces)
    chosen = {level.value: n for level, n in MIN_CASES.items()}
    clusters = {k: cluster_found(rng, provinces, k, chosen) for k in CLUSTERS}
    return figures, clusters


def _print(seed: int, county_mean: float) -> None:
    figures, clusters = run(seed, county_mean)
    print(
        f"seed {seed}, county mean {county_mean}/day, "
        f"{PROVINCES} provinces x {CITIES} cities x {COUNTIES} counties"
    )
    head = "".join(f"  min {m:>2}" for m in MINIMUMS)
    print(f"{'level':<9}{'series':>7}{'mean/day':>10}{head}   (false alarms per series-year)")
    for f in figures:
        rates = "".join(f"{f.false_alarms_per_series_year[m]:>8.2f}" for m in MINIMUMS)
        print(f"{f.level:<9}{f.series:>7}{f.mean_per_day:>10.2f}{rates}")
    for size, shares in clusters.items():
        per = math.ceil(size / COUNTIES)
        found = ", ".join(f"{name} {share:.2f}" for name, share in shares.items())
        print(f"cluster {size:>2} ({per}/county max) found at: {found}  (MIN_CASES)")


def main(argv: Sequence[str]) -> None:
    seeds = [int(a) for a in argv] or [1, 2, 3]
    for county_mean in (0.1, 0.3):
        for seed in seeds:
            _print(seed, county_mean)
            print()


if __name__ == "__main__":
    main(sys.argv[1:])
