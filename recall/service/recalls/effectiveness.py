"""The effectiveness agent's use case: after every notice or report of a recall, judge it.

One transaction per update: the lifecycle steps (announced → in progress, ⇄ lagging,
→ completed), the latest figures, and what is announced through the outbox (the
`recalls.effectiveness` record, RecallLagging and RecallIneffective alerts) are written
together or not at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from recall.domain.recalls import (
    OVERALL,
    Forecast,
    LevelRates,
    RecallIneffective,
    RecallLagging,
    RecallState,
    ResidualRisk,
    Timeliness,
    correction_rates,
    detect_lagging,
    lagging_recovered,
)
from recall.service.ports import OutboxRecord, OutputTopics, Storage, UnitOfWork, alert_record
from recall.service.recalls import figures
from recall.service.recalls.lookup import after_last
from recall.service.recalls.outgoing import (
    effectiveness_record,
    ineffective_alert,
    lagging_alert,
    lagging_resolved_alert,
    obeying,
    overdue_resolved_alert,
)
from recall.service.recalls.ports import (
    ConcurrentRecallUpdateError,
    LoadedRecall,
    RecallRepository,
)
from schemas.recalls import (
    CorrectionRates,
    EffectivenessFigures,
    FinalRateForecast,
    PostRecallIncidents,
    ResidualRiskFigures,
)
from schemas.risk import AlertKind
from schemas.topics import RECALL_EFFECTIVENESS

AGENT = "effectiveness-agent"
MOVING = (RecallState.IN_PROGRESS, RecallState.LAGGING)
ATTEMPTS = 3  # a person's evaluate or close racing the agent: reload and judge again


@dataclass
class Decisions:
    """What an update or a deadline check decided: the moves made and the alerts raised."""

    transitions: list[RecallState] = field(default_factory=list)
    alerts: list[AlertKind] = field(default_factory=list)
    resolved: list[AlertKind] = field(default_factory=list)
    """Conditions ended by a resolving alert (recall_lagging, progress_report_overdue)."""


@dataclass(frozen=True, slots=True)
class Assessment:
    """A recall's effectiveness as of now, before it is published."""

    rates: dict[str, LevelRates]
    forecast: Forecast | None
    incidents_before: int
    incidents_after: int
    ineffective: RecallIneffective | None
    residual: ResidualRisk | None


def update_effectiveness(
    storage: Storage, recall_id: str, topics: OutputTopics, now: datetime
) -> Decisions:
    """Judge one recall after a notice or report; nothing happens for an unknown recall."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with storage.transaction() as tx:
                return _update(tx, recall_id, topics, now)
        except ConcurrentRecallUpdateError:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _update(tx: UnitOfWork, recall_id: str, topics: OutputTopics, now: datetime) -> Decisions:
    decisions = Decisions()
    loaded = tx.recalls.get(recall_id)
    if loaded is None:
        return decisions
    recall = loaded.recall
    if recall.state is RecallState.ANNOUNCED and loaded.reports:
        recall.start(who=AGENT, when=after_last(recall, now), why="first progress report received")
        decisions.transitions.append(RecallState.IN_PROGRESS)
    was_lagging = recall.state is RecallState.LAGGING
    assessment = assess(tx.recalls, loaded, now)
    records: list[OutboxRecord] = []
    if assessment.ineffective is not None:
        alert = ineffective_alert(loaded, assessment.ineffective, assessment.incidents_after, now)
        records.append(alert_record(alert, topics))
        decisions.alerts.append(AlertKind.RECALL_INEFFECTIVE)
    if assessment.forecast is not None and recall.state in MOVING:
        records += _follow_forecast(loaded, assessment.forecast, topics, now, decisions)
    _complete_when_due(loaded, now, decisions)
    if was_lagging and recall.state is not RecallState.LAGGING:
        why = recall.history[-1].why
        resolved = lagging_resolved_alert(loaded, assessment.forecast, why, now)
        records.append(alert_record(resolved, topics))
        decisions.resolved.append(AlertKind.RECALL_LAGGING)
    records += _overdue_resolved(loaded, now, topics, decisions)
    published = effectiveness_figures(assessment)
    records.append(effectiveness_record(loaded, published, topics, now))
    tx.recalls.save(loaded, at=now, effectiveness=published)
    tx.outbox.add(records)
    return decisions


def assess(recalls: RecallRepository, loaded: LoadedRecall, now: datetime) -> Assessment:
    """Rates, forecast (with the category's prior), post-recall incidents and residual risk."""
    spec, reports = loaded.spec, loaded.reports
    rates = correction_rates(spec, reports[-1] if reports else None)
    prior = figures.category_prior(recalls, spec.category, spec.recall_id)
    noted = recalls.incidents(spec.recall_id)
    after = sum(1 for n in noted if n.after_start)
    return Assessment(
        rates=rates,
        forecast=figures.forecast(figures.curve_points(spec, reports), prior),
        incidents_before=len(noted) - after,
        incidents_after=after,
        ineffective=figures.ineffective(loaded, noted, now),
        residual=figures.residual(
            spec, reports, uncorrected=rates[OVERALL].uncorrected, incidents_after=after, now=now
        ),
    )


def effectiveness_figures(assessment: Assessment) -> EffectivenessFigures:
    """The assessment as the contract publishes it (`OutgoingRecordError` if it cannot be)."""
    forecast, risk = assessment.forecast, assessment.residual
    with obeying(RECALL_EFFECTIVENESS):
        return EffectivenessFigures(
            rates={scope: _rates(r) for scope, r in assessment.rates.items()},
            forecast=None
            if forecast is None
            else FinalRateForecast(
                final_rate=forecast.final_rate,
                low80=forecast.low80,
                high80=forecast.high80,
                method=forecast.method,
                n_points=forecast.n_points,
            ),
            post_recall=PostRecallIncidents(
                before=assessment.incidents_before, after=assessment.incidents_after
            ),
            residual_risk=None
            if risk is None
            else ResidualRiskFigures(
                uncorrected_units=float(risk.uncorrected_units),
                incidents_after_start=float(risk.incidents),
                incidents_per_year_expected=risk.expected_per_year,
                incidents_per_year_high=risk.expected_high,
            ),
        )


def _rates(rates: LevelRates) -> CorrectionRates:
    adjusted = None if math.isnan(rates.adjusted_rate) else rates.adjusted_rate
    return CorrectionRates(
        affected=rates.affected,
        corrected=rates.corrected,
        unreachable=rates.unreachable,
        raw_rate=rates.raw_rate,
        adjusted_rate=adjusted,
        reach=rates.reach,
    )


def _follow_forecast(
    loaded: LoadedRecall,
    forecast: Forecast,
    topics: OutputTopics,
    now: datetime,
    decisions: Decisions,
) -> list[OutboxRecord]:
    """in progress → lagging when the target is out of reach; back once it is in reach."""
    recall, spec = loaded.recall, loaded.spec
    lag: RecallLagging | None = detect_lagging(spec.recall_id, forecast, spec.target_rate)
    when = after_last(recall, now)
    if lag is not None and recall.state is RecallState.IN_PROGRESS:
        recall.mark_lagging(who=AGENT, when=when, why=lag.reason)
        decisions.transitions.append(RecallState.LAGGING)
        decisions.alerts.append(AlertKind.RECALL_LAGGING)
        return [alert_record(lagging_alert(loaded, lag, now), topics)]
    if recall.state is RecallState.LAGGING and lagging_recovered(forecast, spec.target_rate):
        why = f"forecast {forecast.final_rate:.1%} back on target"
        recall.resume(who=AGENT, when=when, why=why)
        decisions.transitions.append(RecallState.IN_PROGRESS)
    return []


def _complete_when_due(loaded: LoadedRecall, now: datetime, decisions: Decisions) -> None:
    """Completed once a report's period reaches the target date."""
    recall, spec = loaded.recall, loaded.spec
    last = loaded.reports[-1] if loaded.reports else None
    if last is None or last.period_end < spec.target_date or recall.state not in MOVING:
        return
    why = f"reporting period reached the target date {spec.target_date.date()}"
    recall.complete(who=AGENT, when=after_last(recall, now), why=why)
    decisions.transitions.append(RecallState.COMPLETED)


def _overdue_resolved(
    loaded: LoadedRecall, now: datetime, topics: OutputTopics, decisions: Decisions
) -> list[OutboxRecord]:
    """Ends `progress_report_overdue` once every report noticed overdue has come in and none
    is overdue now (docs/alerting.md); the alert id names the last report noticed overdue, so
    judging again (every later report) repeats the same alert, which the outbox drops."""
    noticed = [k for k in loaded.sent_keys if k.startswith(f"{loaded.recall_id}/report/")]
    noticed = [k for k in noticed if k.endswith("/overdue")]
    if not noticed or not loaded.reports:
        return []
    statuses = figures.deadline_tracker(loaded, now).status(now)
    if any(st.timeliness is Timeliness.OVERDUE for st in statuses):
        return []
    last = max(int(k.split("/")[-2]) for k in noticed)
    status = next((st for st in statuses if st.expected.sequence == last), None)
    if status is None or status.submitted_at is None:
        return []
    due = status.expected.due
    days_late = max((status.submitted_at - due).total_seconds() / 86_400, 0.0)
    decisions.resolved.append(AlertKind.PROGRESS_REPORT_OVERDUE)
    alert = overdue_resolved_alert(loaded, last, due, days_late, now)
    return [alert_record(alert, topics)]
