"""A recall's figures, from the domain's own functions, shared by every use case.

The effectiveness agent, the deadline check, the evaluation and the dossier all read a recall
through these, so what a person sees (and files) is what the agent acted on.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from datetime import datetime

from recall.domain.errors import DomainError
from recall.domain.recalls import (
    DeadlineTracker,
    Evaluation,
    Forecast,
    ForecastPrior,
    Incident,
    IncidentRates,
    PostRecallSummary,
    ProgressReport,
    RecallIneffective,
    RecallSpec,
    RecallState,
    ResidualRisk,
    assess_post_recall,
    correction_curve,
    evaluate_recall,
    forecast_band,
    forecast_final_rate,
    incident_rates,
    learn_prior,
    reporting_schedule,
    residual_risk,
    summarise_incidents,
)
from recall.domain.recalls.post_recall import remaining_unit_days
from recall.service.recalls.ports import LoadedRecall, RecallIncident, RecallRepository

FINISHED = frozenset({RecallState.COMPLETED, RecallState.EVALUATED, RecallState.CLOSED})
DAYS_PER_YEAR = 365.25
BAND_STEPS = 12  # the forecast band's segments from the last report to the target date
Curve = tuple[tuple[float, float], ...]


def curve_points(spec: RecallSpec, reports: Sequence[ProgressReport]) -> list[tuple[float, float]]:
    """(day since start, cumulative rate) of each report after the start: what forecasts fit."""
    return [(p.day, p.rate) for p in correction_curve(spec, reports) if p.day > 0]


def removed_curve(spec: RecallSpec, reports: Sequence[ProgressReport]) -> list[tuple[float, int]]:
    """(day, units out of use): corrected or proven unreachable, as each report counts them."""
    return [(p.day, p.corrected + p.unreachable) for p in correction_curve(spec, reports)]


def forecast(
    points: list[tuple[float, float]], prior: ForecastPrior | None, horizon: float | None = None
) -> Forecast | None:
    """The final-rate forecast, or None when there is nothing to forecast from."""
    if not points and prior is None:
        return None
    return _forecast(tuple(points), prior, horizon)


@functools.lru_cache(maxsize=4096)
def _forecast(points: Curve, prior: ForecastPrior | None, horizon: float | None) -> Forecast | None:
    """The grid posterior costs ~20 ms and a recall page asks for two (now, and from the early
    reports); the answer depends only on the arguments, which change when a report arrives,
    so every page view between two reports reuses it (`recall bench api`: the recall page's
    p99 was the forecast's). 4,096 entries are two per recall of a large province."""
    try:
        return forecast_final_rate(points, prior, horizon_days=horizon)
    except DomainError:
        return None


def band(
    spec: RecallSpec,
    state: RecallState,
    points: list[tuple[float, float]],
    prior: ForecastPrior | None,
) -> tuple[Forecast, ...]:
    """The forecast at BAND_STEPS + 1 even days from the last report to the target date (the
    target date last): the 80 % band a page draws ahead of the curve. Empty when the recall owes
    no more reports, the target date is not ahead of the last report, or there is nothing to
    forecast from."""
    last = points[-1][0] if points else 0.0
    target = (spec.target_date - spec.start).total_seconds() / 86_400.0
    if state in FINISHED or target <= last or (not points and prior is None):
        return ()
    step = (target - last) / BAND_STEPS
    days = (*(last + k * step for k in range(BAND_STEPS)), target)
    return _band(tuple(points), prior, days)


@functools.lru_cache(maxsize=1024)
def _band(
    points: Curve, prior: ForecastPrior | None, days: tuple[float, ...]
) -> tuple[Forecast, ...]:
    """One grid posterior for the whole band (see `_forecast` on why it is cached); the days
    move with the clock only through the last report and the target date, both stored."""
    try:
        return forecast_band(points, prior, days=days)
    except DomainError:
        return ()


def before_after(
    spec: RecallSpec, reports: Sequence[ProgressReport], summary: PostRecallSummary, now: datetime
) -> IncidentRates:
    """Incidents per unit-year in use before and after the start, on the exposures the
    post-recall rule judges."""
    return incident_rates(spec, summary, removed_curve(spec, reports), now=now)


def finished_curves(recalls: RecallRepository, category: str, exclude: str) -> list[Curve]:
    """Correction curves of the category's finished recalls: the forecast's prior."""
    return [
        tuple((p.day, p.rate) for p in correction_curve(past.spec, past.reports))
        for past in recalls.finished(category, exclude=exclude)
        if past.reports
    ]


def category_prior(recalls: RecallRepository, category: str, exclude: str) -> ForecastPrior | None:
    """The forecast prior of a category from its finished recalls but `exclude`; None when
    there are too few."""
    return _learned_prior(tuple(sorted(finished_curves(recalls, category, exclude))))


@functools.lru_cache(maxsize=256)
def _learned_prior(curves: tuple[Curve, ...]) -> ForecastPrior | None:
    """Learning calibrates by leave-one-out forecasts (about 4 per finished recall, ~10 ms
    each); a category's finished recalls change rarely, so each exact set is learned once."""
    try:
        return learn_prior(curves)
    except DomainError:
        return None


def ineffective(
    loaded: LoadedRecall, noted: Iterable[RecallIncident], now: datetime
) -> RecallIneffective | None:
    """The post-recall rule (RecallIneffective): injuries keep coming from recalled units."""
    spec = loaded.spec
    summary = summarise_incidents(spec, incidents_of(noted), now=now)
    return assess_post_recall(spec, summary, removed_curve(spec, loaded.reports), now=now)


def incidents_of(noted: Iterable[RecallIncident]) -> list[Incident]:
    return [n.incident for n in noted]


def residual(
    spec: RecallSpec,
    reports: Sequence[ProgressReport],
    *,
    uncorrected: int,
    incidents_after: int,
    now: datetime,
) -> ResidualRisk | None:
    """Uncorrected units × incidents per unit-year of exposure since the start."""
    elapsed = (now - spec.start).total_seconds() / 86_400.0
    exposure = remaining_unit_days(spec.total_affected, removed_curve(spec, reports), elapsed)
    unit_years = exposure / DAYS_PER_YEAR
    if unit_years <= 0:
        return None
    return residual_risk(uncorrected, incidents_after, unit_years)


def evaluation(recalls: RecallRepository, loaded: LoadedRecall, now: datetime) -> Evaluation:
    """`evaluate_recall` against the final raw rates of the category's finished recalls; post-
    recall incidents that show the remedy is not working make the verdict `ineffective`."""
    spec, reports = loaded.spec, loaded.reports
    past = [c[-1][1] for c in finished_curves(recalls, spec.category, spec.recall_id) if c]
    failing = ineffective(loaded, recalls.incidents(spec.recall_id), now)
    final = reports[-1] if reports else None
    return evaluate_recall(
        spec, final, past_rates=past, post_recall_ineffective=failing is not None
    )


def deadline_tracker(
    loaded: LoadedRecall, now: datetime, *, misses_for_referral: int = 2, announced: bool = True
) -> DeadlineTracker:
    """The reports a recall owes as of `now`: report k is due at the end of period k, no grace.

    A finished recall expects no reports after its target date. With `announced`, the notices
    and referrals already sent are known, so only new ones come out; without, all are listed.
    """
    spec = loaded.spec
    finished = loaded.recall.state in FINISHED
    horizon = spec.target_date if finished else max(now, spec.target_date)
    count = max(1, math.ceil((horizon - spec.start).days / spec.reporting_cadence_days))
    schedule = reporting_schedule(spec.recall_id, spec.start, spec.reporting_cadence_days, count)
    kept = tuple(e for e in schedule if e.due <= horizon) or schedule[:1]
    tracker = DeadlineTracker(
        kept,
        misses_for_referral=misses_for_referral,
        sent_keys=loaded.sent_keys if announced else (),
    )
    for report in loaded.reports:
        tracker.receive(report.sequence, report.submitted_at)
    if loaded.refused:
        tracker.refuse(now, "the firm declined to continue the recall")
    return tracker
