"""Recall use cases for people: list, inspect, evaluate, close, and gather the closure report.

Everything is read from the system of record and recomputed with the domain's own functions,
so what a person sees (and files) is what the effectiveness agent acts on. Deadlines follow
the agent's schedule (`recall.service.recalls.monitoring.check_deadlines`: report k due at the
end of period k, no grace). Evaluation and closure each run in one transaction: the transition rows,
the state and the verdict are written together or not at all.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import PostRecallIncidentRow, RecallRow
from recall.adapters.reports.closure import ClosureReportData
from recall.domain.errors import DomainError
from recall.domain.recalls import (
    OVERALL,
    DeadlineTracker,
    Evaluation,
    FdaCheck,
    Forecast,
    ForecastPrior,
    Incident,
    IncidentKind,
    LevelRates,
    ProgressReport,
    RecallSpec,
    RecallState,
    RecallTransition,
    ResidualRisk,
    Verdict,
    assess_post_recall,
    correction_curve,
    correction_rates,
    evaluate_recall,
    fda_check_level,
    forecast_final_rate,
    reporting_schedule,
    residual_risk,
    summarise_incidents,
)
from recall.domain.recalls.post_recall import remaining_unit_days
from recall.service.recalls.mapping import aware
from recall.service.recalls.monitoring import (
    FINISHED,
    LoadedRecall,
    category_prior,
    finished_curves,
    load,
    save_transitions,
)

EARLY_REPORTS = 3
DAYS_PER_YEAR = 365.25


class RecallNotFoundError(LookupError):
    """No recall with this id in the system of record."""


@dataclass(frozen=True, slots=True)
class RecallSummary:
    """One line of `recall recalls list`, from the row and its last effectiveness update."""

    recall_id: str
    kind: str
    state: str
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
    """Everything known about one recall; `data.forecast` is the early (first 3 reports) one."""

    data: ClosureReportData
    state: RecallState
    verdict: Verdict | None
    jurisdiction: str
    hazard: str
    rates: dict[str, LevelRates]
    current_forecast: Forecast | None


@dataclass(frozen=True, slots=True)
class EvaluationOutcome:
    evaluation: Evaluation
    fda: FdaCheck
    transition: RecallTransition


def list_recalls(
    sessions: sessionmaker[Session],
    *,
    scope: str | None = None,
    states: Sequence[str] = (),
    limit: int = 200,
) -> list[RecallSummary]:
    """Recalls, most recently updated first, within a jurisdiction scope and states."""
    from recall.domain.jurisdiction import significant_prefix

    query = select(RecallRow).order_by(RecallRow.updated_at.desc()).limit(limit)
    if scope:
        query = query.where(RecallRow.jurisdiction.startswith(significant_prefix(scope)))
    if states:
        query = query.where(RecallRow.state.in_(list(states)))
    with sessions() as session:
        return [_summary(row) for row in session.scalars(query)]


def _summary(row: RecallRow) -> RecallSummary:
    effectiveness: dict[str, Any] = row.last_effectiveness or {}
    overall = (effectiveness.get("rates") or {}).get(OVERALL) or {}
    forecast = effectiveness.get("forecast")
    return RecallSummary(
        recall_id=row.recall_id,
        kind=row.kind,
        state=row.state,
        verdict=row.verdict,
        jurisdiction=row.jurisdiction,
        category=row.category,
        target_rate=float(row.notice["target_rate"]),
        raw_rate=overall.get("raw_rate"),
        adjusted_rate=overall.get("adjusted_rate"),
        forecast=(forecast["final_rate"], forecast["low80"], forecast["high80"])
        if forecast
        else None,
        updated_at=aware(row.updated_at),
    )


def recall_dossier(
    sessions: sessionmaker[Session], recall_id: str, *, now: datetime
) -> RecallDossier:
    """Spec, history, reports, rates, forecasts, deadlines and post-recall incidents."""
    with sessions() as session:
        return _dossier(session, _load(session, recall_id), now)


def closure_data(
    sessions: sessionmaker[Session], recall_id: str, *, now: datetime
) -> ClosureReportData:
    """The closure report's data, from the system of record."""
    return recall_dossier(sessions, recall_id, now=now).data


def evaluate(
    sessions: sessionmaker[Session], recall_id: str, *, actor: str, now: datetime
) -> EvaluationOutcome:
    """completed → evaluated with the verdict of `evaluate_recall`, in one transaction.

    History: the final raw rates of finished recalls of the same category; post-recall
    incidents that show the remedy is not working make the verdict `ineffective`.
    """
    with sessions.begin() as session:
        loaded = _load(session, recall_id)
        evaluation = _evaluation(session, loaded, now)
        fda = fda_check_level(loaded.recall.spec)
        why = "; ".join((*evaluation.reasons, f"FDA check level {fda.level} ({fda.reason})"))
        transition = loaded.recall.evaluate(
            evaluation.verdict, who=actor, when=_after_last(loaded, now), why=why
        )
        _persist(session, loaded, now, verdict=evaluation.verdict)
    return EvaluationOutcome(evaluation, fda, transition)


def close(
    sessions: sessionmaker[Session], recall_id: str, *, actor: str, reason: str, now: datetime
) -> RecallTransition:
    """evaluated → closed: the regulator files the closure report."""
    with sessions.begin() as session:
        loaded = _load(session, recall_id)
        transition = loaded.recall.close(who=actor, when=_after_last(loaded, now), why=reason)
        _persist(session, loaded, now)
    return transition


def _load(session: Session, recall_id: str) -> LoadedRecall:
    loaded = load(session, recall_id)
    if loaded is None:
        raise RecallNotFoundError(f"no recall {recall_id!r} (召回编号不存在)")
    return loaded


def _after_last(loaded: LoadedRecall, now: datetime) -> datetime:
    return max(now, loaded.recall.history[-1].when)


def _persist(
    session: Session, loaded: LoadedRecall, now: datetime, *, verdict: Verdict | None = None
) -> None:
    save_transitions(session, loaded)
    if verdict is not None:
        loaded.row.verdict = verdict.value
    loaded.row.updated_at = now


def _incidents(session: Session, spec: RecallSpec) -> list[Incident]:
    rows = session.scalars(
        select(PostRecallIncidentRow).where(PostRecallIncidentRow.recall_id == spec.recall_id)
    )
    return [
        Incident(r.event_id, IncidentKind(r.kind), aware(r.occurred_at), spec.product_key, r.batch)
        for r in rows
    ]


def _forecast(
    points: list[tuple[float, float]], prior: ForecastPrior | None, horizon: float | None = None
) -> Forecast | None:
    if not points and prior is None:
        return None
    try:
        return forecast_final_rate(points, prior, horizon_days=horizon)
    except DomainError:
        return None


def _evaluation(session: Session, loaded: LoadedRecall, now: datetime) -> Evaluation:
    spec, reports = loaded.recall.spec, loaded.reports
    past = [c[-1][1] for c in finished_curves(session, spec.category, spec.recall_id) if c]
    summary = summarise_incidents(spec, _incidents(session, spec), now=now)
    ineffective = assess_post_recall(spec, summary, _removed(spec, reports), now=now)
    final = reports[-1] if reports else None
    return evaluate_recall(
        spec, final, past_rates=past, post_recall_ineffective=ineffective is not None
    )


def _removed(spec: RecallSpec, reports: Sequence[ProgressReport]) -> list[tuple[float, int]]:
    return [(p.day, p.corrected + p.unreachable) for p in correction_curve(spec, reports)]


def _tracker(loaded: LoadedRecall, now: datetime) -> DeadlineTracker:
    """The agent's schedule, fresh (no sent keys) so every notice and referral is listed.

    A finished recall expects no reports after its target date.
    """
    spec = loaded.recall.spec
    finished = loaded.recall.state.value in FINISHED
    horizon = spec.target_date if finished else max(now, spec.target_date)
    count = max(1, math.ceil((horizon - spec.start).days / spec.reporting_cadence_days))
    schedule = reporting_schedule(spec.recall_id, spec.start, spec.reporting_cadence_days, count)
    kept = tuple(e for e in schedule if e.due <= horizon) or schedule[:1]
    tracker = DeadlineTracker(kept)
    for report in loaded.reports:
        tracker.receive(report.sequence, report.submitted_at)
    if loaded.refused:
        tracker.refuse(now, "the firm declined to continue the recall")
    return tracker


def _dossier(session: Session, loaded: LoadedRecall, now: datetime) -> RecallDossier:
    recall, row, reports = loaded.recall, loaded.row, loaded.reports
    spec = recall.spec
    verdict = Verdict(row.verdict) if row.verdict else None
    prior = category_prior(session, spec.category, spec.recall_id)
    points = [(p.day, p.rate) for p in correction_curve(spec, reports) if p.day > 0]
    last_day = points[-1][0] if points else None
    tracker = _tracker(loaded, now)
    incidents = _incidents(session, spec)
    summary = summarise_incidents(spec, incidents, now=now)
    removed = _removed(spec, reports)
    rates = correction_rates(spec, reports[-1] if reports else None)
    data = ClosureReportData(
        spec=spec,
        history=recall.history,
        reports=reports,
        generated_at=now,
        evaluation=_recorded_evaluation(session, loaded, now, verdict),
        forecast=_forecast(points[:EARLY_REPORTS], prior, last_day) if points else None,
        fda=fda_check_level(spec),
        deadlines=tracker.status(now),
        notices=tracker.overdue_notices(now),
        referrals=tracker.referrals(now),
        post_recall=summary,
        ineffective=assess_post_recall(spec, summary, removed, now=now),
        residual=_residual(spec, rates[OVERALL], summary.after, removed, now),
    )
    return RecallDossier(
        data, recall.state, verdict, row.jurisdiction, row.hazard, rates, _forecast(points, prior)
    )


def _recorded_evaluation(
    session: Session, loaded: LoadedRecall, now: datetime, verdict: Verdict | None
) -> Evaluation | None:
    """The evaluation's figures recomputed; the verdict is the one recorded when evaluated."""
    if verdict is None:
        return None
    evaluation = _evaluation(session, loaded, now)
    if evaluation.verdict is verdict:
        return evaluation
    note = f"verdict recorded at evaluation: {verdict} (figures today suggest {evaluation.verdict})"
    return dataclasses.replace(evaluation, verdict=verdict, reasons=(*evaluation.reasons, note))


def _residual(
    spec: RecallSpec,
    overall: LevelRates,
    incidents_after: int,
    removed: list[tuple[float, int]],
    now: datetime,
) -> ResidualRisk | None:
    """Uncorrected units × incidents per unit-year of exposure since the start."""
    elapsed = (now - spec.start).total_seconds() / 86_400.0
    unit_years = remaining_unit_days(spec.total_affected, removed, elapsed) / DAYS_PER_YEAR
    if unit_years <= 0:
        return None
    return residual_risk(overall.uncorrected, incidents_after, unit_years)
