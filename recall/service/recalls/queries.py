"""What people (and the regulator API) read about recalls: the register, a dossier, a closure.

Everything is recomputed from the system of record with the domain's own functions
(`recall.service.recalls.figures`), so what a person sees and files is what the effectiveness
agent acts on. Deadlines follow the agent's schedule: report k is due at the end of period k.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from recall.domain.jurisdiction import significant_prefix
from recall.domain.recalls import (
    OVERALL,
    Evaluation,
    Forecast,
    ForecastPrior,
    IncidentRates,
    LevelRates,
    ProgressReport,
    RecallState,
    Verdict,
    assess_post_recall,
    correction_rates,
    fda_check_level,
    summarise_incidents,
)
from recall.service.ports import Storage
from recall.service.recalls import figures
from recall.service.recalls.closure import ClosureReportData
from recall.service.recalls.lookup import require
from recall.service.recalls.ports import LoadedRecall, RecallHead, RecallRepository

EARLY_REPORTS = 3  # the closure report's forecast: what the first three reports predicted


@dataclass(frozen=True, slots=True)
class RecallSummary:
    """One line of the register, from the recall and its last effectiveness update."""

    recall_id: str
    kind: str
    state: RecallState
    verdict: str | None
    jurisdiction: str
    category: str
    target_rate: float
    raw_rate: float | None
    adjusted_rate: float | None
    forecast: tuple[float, float, float] | None  # final, low80, high80
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RecallDossier:
    """Everything known about one recall; `data.forecast` is the early (first 3 reports) one.

    `progress` pairs each report with its rates per level (the correction curve a page draws),
    `band` is the forecast from the last report to the target date (its last entry the forecast
    at the target date), `incident_rates` the post-recall before/after comparison.
    """

    data: ClosureReportData
    state: RecallState
    verdict: Verdict | None
    jurisdiction: str
    hazard: str
    rates: dict[str, LevelRates]
    current_forecast: Forecast | None
    progress: tuple[tuple[ProgressReport, dict[str, LevelRates]], ...] = ()
    band: tuple[Forecast, ...] = ()
    incident_rates: IncidentRates | None = None


def list_recalls(
    storage: Storage,
    *,
    scope: str | None = None,
    states: Sequence[str] = (),
    limit: int = 200,
) -> list[RecallSummary]:
    """Recalls, most recently updated first, within a jurisdiction scope and states."""
    prefix = significant_prefix(scope) if scope else None
    with storage.transaction() as tx:
        heads = tx.recalls.heads(jurisdiction_prefix=prefix, states=list(states), limit=limit)
    return [_summary(head) for head in heads]


def _summary(head: RecallHead) -> RecallSummary:
    published = head.effectiveness
    overall = published.rates.get(OVERALL) if published else None
    forecast = published.forecast if published else None
    return RecallSummary(
        recall_id=head.recall_id,
        kind=head.kind,
        state=head.state,
        verdict=head.verdict,
        jurisdiction=head.jurisdiction,
        category=head.category,
        target_rate=head.target_rate,
        raw_rate=overall.raw_rate if overall else None,
        adjusted_rate=overall.adjusted_rate if overall else None,
        forecast=(forecast.final_rate, forecast.low80, forecast.high80) if forecast else None,
        updated_at=head.updated_at,
    )


def recall_dossier(storage: Storage, recall_id: str, *, now: datetime) -> RecallDossier:
    """Spec, history, reports, rates, forecasts, deadlines and post-recall incidents."""
    with storage.transaction() as tx:
        loaded = require(tx.recalls, recall_id)
        spec, reports = loaded.spec, loaded.reports
        prior = figures.category_prior(tx.recalls, spec.category, spec.recall_id)
        points = figures.curve_points(spec, reports)
        rates = correction_rates(spec, reports[-1] if reports else None)
        data = _closure(tx.recalls, loaded, now, prior=prior, points=points, rates=rates)
    recall = loaded.recall
    current = figures.forecast(points, prior)
    summary = data.post_recall
    return RecallDossier(
        data,
        recall.state,
        recall.verdict,
        loaded.jurisdiction,
        loaded.hazard,
        rates,
        current,
        progress=tuple((r, correction_rates(spec, r)) for r in reports),
        band=figures.band(spec, recall.state, points, prior),
        incident_rates=figures.before_after(spec, reports, summary, now) if summary else None,
    )


def closure_data(storage: Storage, recall_id: str, *, now: datetime) -> ClosureReportData:
    """The closure report's data, from the system of record."""
    return recall_dossier(storage, recall_id, now=now).data


def _closure(
    recalls: RecallRepository,
    loaded: LoadedRecall,
    now: datetime,
    *,
    prior: ForecastPrior | None,
    points: list[tuple[float, float]],
    rates: dict[str, LevelRates],
) -> ClosureReportData:
    spec = loaded.spec
    tracker = figures.deadline_tracker(loaded, now, announced=False)
    incidents = figures.incidents_of(recalls.incidents(spec.recall_id))
    summary = summarise_incidents(spec, incidents, now=now)
    removed = figures.removed_curve(spec, loaded.reports)
    early = figures.forecast(points[:EARLY_REPORTS], prior, points[-1][0]) if points else None
    return ClosureReportData(
        spec=spec,
        history=loaded.recall.history,
        reports=loaded.reports,
        generated_at=now,
        evaluation=_recorded_evaluation(recalls, loaded, now),
        forecast=early,
        fda=fda_check_level(spec),
        deadlines=tracker.status(now),
        notices=tracker.overdue_notices(now),
        referrals=tracker.referrals(now),
        post_recall=summary,
        ineffective=assess_post_recall(spec, summary, removed, now=now),
        residual=figures.residual(
            spec,
            loaded.reports,
            uncorrected=rates[OVERALL].uncorrected,
            incidents_after=summary.after,
            now=now,
        ),
    )


def _recorded_evaluation(
    recalls: RecallRepository, loaded: LoadedRecall, now: datetime
) -> Evaluation | None:
    """The evaluation's figures recomputed; the verdict is the one recorded when evaluated."""
    verdict = loaded.recall.verdict
    if verdict is None:
        return None
    evaluation = figures.evaluation(recalls, loaded, now)
    if evaluation.verdict is verdict:
        return evaluation
    note = f"verdict recorded at evaluation: {verdict} (figures today suggest {evaluation.verdict})"
    return dataclasses.replace(evaluation, verdict=verdict, reasons=(*evaluation.reasons, note))
