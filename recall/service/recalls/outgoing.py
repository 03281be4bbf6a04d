"""What the recall stage announces: alerts and effectiveness updates, as contract models.

Each alert is built from the domain's own finding (`RecallLagging`, `RecallIneffective`,
`OverdueNotice`, `Referral`), so its details cannot drift from what was decided. Alert ids
are derived from a key that names the occasion, so announcing it again (after a crash, or
from the timer and the agent both) is one alert to every consumer.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from recall.domain.recalls import (
    Forecast,
    OverdueNotice,
    RecallIneffective,
    RecallLagging,
    Referral,
)
from recall.service.ports import OutboxRecord, OutputTopics, outbox_record
from recall.service.recalls.ports import LoadedRecall
from schemas.recalls import EffectivenessFigures, RecallEffectivenessUpdated
from schemas.risk import Alert, AlertKind, AlertSeverity, AlertStatus
from schemas.topics import ALERTS, RECALL_EFFECTIVENESS, OutgoingRecordError, TopicSpec


@contextmanager
def obeying(spec: TopicSpec) -> Iterator[None]:
    """Building a record for `spec` that breaks its model is `OutgoingRecordError`, as if
    `outbox_record` had refused it: a bug of ours, never a record on the topic."""
    try:
        yield
    except ValidationError as error:
        fields = sorted({".".join(str(p) for p in e["loc"]) or "(value)" for e in error.errors()})
        raise OutgoingRecordError(
            f"record for {spec.name} does not obey its model: {', '.join(fields)}"
        ) from None


def effectiveness_record(
    loaded: LoadedRecall, figures: EffectivenessFigures, topics: OutputTopics, now: datetime
) -> OutboxRecord:
    """The `recalls.effectiveness` record of this update; one per (reports, transitions)."""
    recall = loaded.recall
    with obeying(RECALL_EFFECTIVENESS):
        update = RecallEffectivenessUpdated(
            **dict(figures), recall_id=recall.recall_id, state=recall.state.value, at=now
        )
    return outbox_record(
        RECALL_EFFECTIVENESS,
        topics.effectiveness,
        record_id=f"effectiveness:{recall.recall_id}:{len(loaded.reports)}:{len(recall.history)}",
        key=recall.recall_id,
        value=update,
        at=now,
    )


@dataclass(frozen=True, slots=True)
class _Occasion:
    kind: AlertKind
    key: str  # names the occasion: the same key is the same alert
    severity: AlertSeverity
    title: str
    details: Mapping[str, str]
    status: AlertStatus = AlertStatus.FIRING


def _alert(loaded: LoadedRecall, occasion: _Occasion, now: datetime) -> Alert:
    alert_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"recall:{occasion.kind}:{occasion.key}"))
    with obeying(ALERTS):
        return Alert(
            alert_id=alert_id,
            severity=occasion.severity,
            kind=occasion.kind,
            title=occasion.title,
            subject=loaded.recall_id,
            jurisdiction=loaded.jurisdiction,
            at=now,
            details=dict(occasion.details),
            status=occasion.status,
            category=loaded.spec.category,
        )


def lagging_alert(loaded: LoadedRecall, lag: RecallLagging, now: datetime) -> Alert:
    """Raised with the move to `lagging`; one per such move."""
    forecast = lag.forecast
    occasion = _Occasion(
        AlertKind.RECALL_LAGGING,
        f"{loaded.recall_id}:{len(loaded.recall.history)}",
        AlertSeverity.WARNING,
        f"召回进度滞后 / Recall lagging: {loaded.recall_id}",
        {
            "reason": lag.reason,
            "target_rate": f"{lag.target_rate:.2f}",
            "forecast": f"{forecast.final_rate:.3f} [{forecast.low80:.3f}, {forecast.high80:.3f}]",
        },
    )
    return _alert(loaded, occasion, now)


def lagging_resolved_alert(
    loaded: LoadedRecall, forecast: Forecast | None, why: str, now: datetime
) -> Alert:
    """Ends the `recall_lagging` condition (docs/alerting.md): the recall left `lagging`, back
    on track or completed; one per such move, like the alert that started it."""
    shown = (
        ""
        if forecast is None
        else f"{forecast.final_rate:.3f} [{forecast.low80:.3f}, {forecast.high80:.3f}]"
    )
    occasion = _Occasion(
        AlertKind.RECALL_LAGGING,
        f"{loaded.recall_id}:{len(loaded.recall.history)}:resolved",
        AlertSeverity.WARNING,
        f"召回进度恢复 / Recall no longer lagging: {loaded.recall_id}",
        {"reason": why, "target_rate": f"{loaded.spec.target_rate:.2f}", "forecast": shown},
        AlertStatus.RESOLVED,
    )
    return _alert(loaded, occasion, now)


def ineffective_alert(
    loaded: LoadedRecall, finding: RecallIneffective, incidents_after: int, now: datetime
) -> Alert:
    """One per count of incidents noted after the start: a new incident may alert again."""
    occasion = _Occasion(
        AlertKind.RECALL_INEFFECTIVE,
        f"{loaded.recall_id}:{incidents_after}",
        AlertSeverity.CRITICAL,
        f"召回无效 / Recall ineffective: {loaded.recall_id}",
        {"reasons": "; ".join(finding.reasons), "incidents_after": str(finding.incidents_after)},
    )
    return _alert(loaded, occasion, now)


def overdue_alert(loaded: LoadedRecall, notice: OverdueNotice, now: datetime) -> Alert:
    occasion = _Occasion(
        AlertKind.PROGRESS_REPORT_OVERDUE,
        notice.key,
        AlertSeverity.WARNING,
        f"召回进度报告逾期 / Progress report overdue: {loaded.recall_id} #{notice.sequence}",
        {
            "sequence": str(notice.sequence),
            "due": notice.due.isoformat(),
            "days_overdue": f"{notice.days_overdue:.1f}",
        },
    )
    return _alert(loaded, occasion, now)


def referral_alert(loaded: LoadedRecall, referral: Referral, now: datetime) -> Alert:
    occasion = _Occasion(
        AlertKind.REFERRAL,
        referral.key,
        AlertSeverity.CRITICAL,
        f"移送执法 / Referred to enforcement: {loaded.recall_id}",
        {
            "reasons": "; ".join(referral.reasons),
            "missed": ",".join(str(s) for s in referral.missed_sequences),
            "refused": str(referral.refused).lower(),
        },
    )
    return _alert(loaded, occasion, now)


def overdue_resolved_alert(
    loaded: LoadedRecall, sequence: int, due: datetime, days_late: float, now: datetime
) -> Alert:
    """Ends the `progress_report_overdue` condition: no report of the recall is overdue any
    more; keyed by the last report noticed overdue, so it is one alert however often judged."""
    occasion = _Occasion(
        AlertKind.PROGRESS_REPORT_OVERDUE,
        f"{loaded.recall_id}/report/{sequence}/overdue/resolved",
        AlertSeverity.WARNING,
        f"召回进度报告已提交 / Progress report received: {loaded.recall_id} #{sequence}",
        {"sequence": str(sequence), "due": due.isoformat(), "days_overdue": f"{days_late:.1f}"},
        AlertStatus.RESOLVED,
    )
    return _alert(loaded, occasion, now)
