"""Simulated recall progress and the forecast benchmark.

The simulator is deliberately *not* the forecast model, so the benchmark measures the error a
real recall would see: each level has its own Weibull-shaped curve (shape 0.75–1.25), the
supply chain clears fast and high while consumers respond by notice channel, corrections are
binomial draws, 15% of firms drag (lagging), 15% of recalls get a second notice wave, and
reports arrive on time, late or never. Anchors (DESIGN §5): CPSC consumer-level correction ≈ 50%
with direct notice vs ≈ 6% with press releases only; NHTSA vehicles ≈ 70% at 18 months.

`run_forecast_benchmark` learns priors from a simulated history, forecasts each new recall from
its first 3 reports and scores the forecast against the rate observed at 540 days.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from recall.domain.recalls import (
    PRODUCT_CATEGORIES,
    Forecast,
    ForecastPrior,
    InsufficientHistoryError,
    LevelProgress,
    NoticeChannel,
    ProgressReport,
    RecallKind,
    RecallSpec,
    Remedy,
    RiskLevel,
    SupplyLevel,
    forecast_final_rate,
    learn_prior,
)

HORIZON_DAYS = 540
GRACE_DAYS = 15
# Consumer-level final share by reach class; vehicles use their registries (NHTSA ≈ 70%).
_CONSUMER_RATE = {"direct": 0.50, "retailer": 0.20, "press": 0.06}
_VEHICLE_DIRECT_RATE = 0.72
_CONSUMER_TAU = {"direct": 90.0, "retailer": 120.0, "press": 150.0}
_CHAIN = {  # level: (final share, time scale in days)
    SupplyLevel.MANUFACTURER: (0.98, 10.0),
    SupplyLevel.DISTRIBUTOR: (0.95, 20.0),
    SupplyLevel.RETAILER: (0.90, 30.0),
}
_CHANNELS = {
    "direct": frozenset({NoticeChannel.DIRECT_NOTICE, NoticeChannel.PRESS_RELEASE}),
    "retailer": frozenset({NoticeChannel.RETAILER_NOTICE, NoticeChannel.PRESS_RELEASE}),
    "press": frozenset({NoticeChannel.PRESS_RELEASE, NoticeChannel.WEBSITE}),
}
_START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def reach_class(spec: RecallSpec) -> str:
    """direct (owners addressed by name), retailer (point-of-sale notices) or press only."""
    if spec.has_direct_contact:
        return "direct"
    return "retailer" if NoticeChannel.RETAILER_NOTICE in spec.channels else "press"


@dataclass(frozen=True, slots=True)
class SimulatedReport:
    """Cumulative counts at `day` (period end); `submitted_day` None means never submitted."""

    sequence: int
    day: float
    corrected: Mapping[SupplyLevel, int]
    notified: Mapping[SupplyLevel, int]
    submitted_day: float | None

    @property
    def corrected_total(self) -> int:
        return sum(self.corrected.values())


@dataclass(frozen=True, slots=True)
class SimulatedRecall:
    reports: tuple[SimulatedReport, ...]
    lagging: bool
    renotice_day: float | None


def _beta(rng: np.random.Generator, mean: float, concentration: float = 8.0) -> float:
    mean = min(max(mean, 0.005), 0.995)
    return float(rng.beta(mean * concentration, (1 - mean) * concentration))


def _level_curve(
    spec: RecallSpec, level: SupplyLevel, rng: np.random.Generator, lagging: bool
) -> Callable[[float], float]:
    """Expected cumulative share corrected at day t for one level."""
    if level in _CHAIN:
        share, tau = _CHAIN[level]
        rate, tau = _beta(rng, share, 40.0), tau * float(rng.lognormal(0.0, 0.3))
    else:
        reach = reach_class(spec)
        mean = _CONSUMER_RATE[reach]
        if spec.category == "vehicles" and reach == "direct":
            mean = _VEHICLE_DIRECT_RATE
        rate, tau = _beta(rng, mean), _CONSUMER_TAU[reach] * float(rng.lognormal(0.0, 0.5))
    if lagging:
        rate, tau = rate * float(rng.uniform(0.2, 0.5)), tau * 1.5
    shape = float(rng.uniform(0.75, 1.25))
    return lambda t: rate * (1.0 - math.exp(-((max(t, 0.0) / tau) ** shape)))


def _with_renotice(
    base: Callable[[float], float], day: float, extra: float
) -> Callable[[float], float]:
    return lambda t: min(base(t) + extra * (1.0 - math.exp(-max(t - day, 0.0) / 60.0)), 0.999)


def _submission(rng: np.random.Generator, day: float, lagging: bool) -> float | None:
    late_p, missing_p = (0.35, 0.15) if lagging else (0.12, 0.03)
    u = float(rng.uniform())
    if u < missing_p:
        return None
    if u < missing_p + late_p:
        return day + GRACE_DAYS + float(rng.uniform(1.0, 30.0))
    return day + float(rng.uniform(1.0, GRACE_DAYS))


def simulate_recall(spec: RecallSpec, rng: np.random.Generator) -> SimulatedRecall:
    """Simulate one recall's reports up to 540 days (see the module docstring)."""
    lagging = bool(rng.uniform() < 0.15)
    renotice = float(rng.uniform(120, 300)) if rng.uniform() < 0.15 else None
    curves = {}
    for level in SupplyLevel:
        if spec.affected_at(level) > 0:
            curve = _level_curve(spec, level, rng, lagging)
            if renotice is not None and level is SupplyLevel.CONSUMER:
                curve = _with_renotice(curve, renotice, float(rng.uniform(0.05, 0.15)))
            curves[level] = curve
    reach = {"direct": 0.85, "retailer": 0.45, "press": 0.15}[reach_class(spec)]
    cadence = spec.reporting_cadence_days
    done = dict.fromkeys(curves, 0)
    told = dict.fromkeys(curves, 0)
    reports = []
    for k in range(1, math.ceil(HORIZON_DAYS / cadence) + 1):
        day, prev = float(min(k * cadence, HORIZON_DAYS)), float((k - 1) * cadence)
        for level, curve in curves.items():
            units = spec.affected_at(level)
            f0, f1 = curve(prev), curve(day)
            hazard = min(max((f1 - f0) / (1.0 - f0), 0.0), 1.0) if f0 < 1.0 else 0.0
            done[level] += int(rng.binomial(units - done[level], hazard))
            share = 1.0 if level in _CHAIN else reach
            expected_told = int(units * share * (1.0 - math.exp(-day / 15.0)))
            told[level] = max(told[level], expected_told, done[level])
        reports.append(
            SimulatedReport(k, day, dict(done), dict(told), _submission(rng, day, lagging))
        )
    return SimulatedRecall(tuple(reports), lagging, renotice)


def simulate_progress(recall_spec: RecallSpec, rng: np.random.Generator) -> list[SimulatedReport]:
    """Cumulative simulated reports for one recall (some lagging, some late or missing)."""
    return list(simulate_recall(recall_spec, rng).reports)


def to_progress_reports(
    spec: RecallSpec, reports: Sequence[SimulatedReport]
) -> list[ProgressReport]:
    """Domain progress reports for the submitted simulated reports (remedy: the first offered)."""
    remedy = sorted(spec.remedies)[0]
    out = []
    cadence = dt.timedelta(days=spec.reporting_cadence_days)
    for r in reports:
        if r.submitted_day is None:
            continue
        end = spec.start + dt.timedelta(days=r.day)
        levels = {
            level: LevelProgress(
                located=r.notified[level],
                notified=r.notified[level],
                corrected={remedy: r.corrected[level]},
            )
            for level in r.corrected
        }
        out.append(
            ProgressReport(
                spec.recall_id,
                r.sequence,
                max(end - cadence, spec.start),
                end,
                spec.start + dt.timedelta(days=r.submitted_day),
                levels,
            )
        )
    return out


def random_spec(rng: np.random.Generator, index: int) -> RecallSpec:
    """A plausible recall: category, channels, units per level, cadence (vehicles quarterly)."""
    category = str(rng.choice(sorted(PRODUCT_CATEGORIES)))
    reach_p = [0.9, 0.05, 0.05] if category == "vehicles" else [0.45, 0.2, 0.35]
    reach = str(rng.choice(["direct", "retailer", "press"], p=reach_p))
    total = int(np.clip(rng.lognormal(math.log(5000), 1.2), 100, 1_000_000))
    consumer = float(rng.uniform(0.4, 0.95))
    chain = rng.dirichlet([1.0, 2.0, 3.0]) * (1 - consumer)
    shares = [*chain.tolist(), consumer]
    affected = {lvl: int(total * s) for lvl, s in zip(SupplyLevel, shares, strict=True)}
    return RecallSpec(
        recall_id=f"SIM-{index:05d}",
        kind=RecallKind.VOLUNTARY,
        product_key=f"unknown/sim/{index}",
        category=category,
        affected=affected,
        remedies=frozenset({Remedy.REPLACE}),
        channels=_CHANNELS[reach],
        risk_level=RiskLevel(str(rng.choice(list(RiskLevel)))),
        start=_START + dt.timedelta(days=index % 365),
        target_date=_START + dt.timedelta(days=index % 365 + HORIZON_DAYS),
        target_rate=0.5,
        reporting_cadence_days=90 if category == "vehicles" else 30,
    )


def _curve(
    spec: RecallSpec, sim: SimulatedRecall, first: int | None = None
) -> list[tuple[float, float]]:
    submitted = [r for r in sim.reports if r.submitted_day is not None]
    chosen = submitted if first is None else submitted[:first]
    return [(r.day, r.corrected_total / spec.total_affected) for r in chosen]


def _learn(groups: Mapping[str, list[list[tuple[float, float]]]]) -> dict[str, ForecastPrior]:
    priors = {}
    for key, curves in groups.items():
        try:
            priors[key] = learn_prior(curves)
        except InsufficientHistoryError:
            continue
    return priors


def _score(errors: list[float], hits: list[bool], widths: list[float]) -> dict[str, float]:
    return {
        "median_abs_error": statistics.median(errors),
        "mean_abs_error": statistics.fmean(errors),
        "coverage80": statistics.fmean(hits) if hits else math.nan,
        "mean_width80": statistics.fmean(widths) if widths else math.nan,
    }


def run_forecast_benchmark(
    n_recalls: int, seed: int, *, n_history: int | None = None, first_reports: int = 3
) -> dict[str, Any]:
    """Median absolute error (and 80% coverage) of the final-rate forecast from the first
    `first_reports` reports, for the flat fit, priors by category and by category × channel,
    and a no-data baseline (the category's median final rate)."""
    rng = np.random.default_rng(seed)
    history = [
        (s, simulate_recall(s, rng))
        for s in (random_spec(rng, i) for i in range(n_history or max(n_recalls, 100)))
    ]
    by_cat: dict[str, list[list[tuple[float, float]]]] = {}
    by_cat_reach: dict[str, list[list[tuple[float, float]]]] = {}
    for spec, sim in history:
        curve = _curve(spec, sim)
        by_cat.setdefault(spec.category, []).append(curve)
        by_cat_reach.setdefault(f"{spec.category}/{reach_class(spec)}", []).append(curve)
    cat_priors, cat_reach_priors = _learn(by_cat), _learn(by_cat_reach)
    finals = {c: statistics.median(v[-1][1] for v in curves) for c, curves in by_cat.items()}
    methods: dict[str, tuple[list[float], list[bool], list[float]]] = {
        m: ([], [], []) for m in ("flat", "eb_category", "eb_category_channel", "baseline_median")
    }
    for i in range(n_recalls):
        spec = random_spec(rng, 100_000 + i)
        sim = simulate_recall(spec, rng)
        truth = sim.reports[-1].corrected_total / spec.total_affected
        points = _curve(spec, sim, first_reports)
        cat_prior = cat_priors.get(spec.category)
        prior_cr = cat_reach_priors.get(f"{spec.category}/{reach_class(spec)}", cat_prior)
        for name, forecast in (
            ("flat", _forecast(points, None)),
            ("eb_category", _forecast(points, cat_prior)),
            ("eb_category_channel", _forecast(points, prior_cr)),
        ):
            methods[name][0].append(abs(forecast.final_rate - truth))
            methods[name][1].append(forecast.low80 <= truth <= forecast.high80)
            methods[name][2].append(forecast.high80 - forecast.low80)
        methods["baseline_median"][0].append(abs(finals.get(spec.category, 0.5) - truth))
    scores = {name: _score(*lists) for name, lists in methods.items()}
    return {
        "n_recalls": n_recalls,
        "seed": seed,
        "first_reports": first_reports,
        "n_history": len(history),
        "horizon_days": HORIZON_DAYS,
        "median_abs_error": scores["eb_category_channel"]["median_abs_error"],
        "coverage80": scores["eb_category_channel"]["coverage80"],
        "methods": scores,
    }


def _forecast(points: list[tuple[float, float]], prior: ForecastPrior | None) -> Forecast:
    if not points and prior is None:  # every early report missing: no information at all
        return Forecast(0.0, 0.0, 1.0, "no-data", 0)
    return forecast_final_rate(points, prior, horizon_days=HORIZON_DAYS)


if __name__ == "__main__":
    print(json.dumps(run_forecast_benchmark(300, 7), indent=2))
