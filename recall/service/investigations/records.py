"""What an investigation change announces: its audit entries as events, and its alerts.

One record format whoever decides (the agent or a person): every new audit entry becomes an
`InvestigationEvent`, and opening, confirming a defect and requesting a recall raise an `Alert`.
They go to the outbox in the transaction that saves the change, validated against their
topic's model on the way (`OutgoingRecordError` rolls the whole change back), so a crash
loses neither the decision nor its announcement, and nothing off-contract is ever queued.
Record ids are stable, so replaying a step cannot announce it twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from recall.domain.investigations import Action, Investigation, RiskLevel
from recall.service.ports import OutboxRecord, OutputTopics, UnitOfWork, alert_record, outbox_record
from schemas.risk import Alert, AlertKind, AlertSeverity, InvestigationEvent
from schemas.topics import INVESTIGATION_EVENTS


def save_and_announce(
    tx: UnitOfWork,
    investigation: Investigation,
    *,
    previous_version: int | None,
    topics: OutputTopics,
    alerts: Sequence[Alert] = (),
    trigger_sent_at: datetime | None = None,
) -> None:
    """Save with the version check, then queue the events of the new entries and `alerts`."""
    records = [
        event_record(investigation, position, topics)
        for position in range(previous_version or 0, len(investigation.audit))
    ]
    records += [alert_record(alert, topics) for alert in alerts]
    tx.investigations.save(
        investigation, previous_version=previous_version, trigger_sent_at=trigger_sent_at
    )
    tx.outbox.add(records)


def investigation_event(inv: Investigation, position: int) -> InvestigationEvent:
    """Audit entry `position` of `inv` as the event consumers read."""
    entry = inv.audit[position]
    return InvestigationEvent(
        record_id=f"{inv.investigation_id}:{position}",
        investigation_id=inv.investigation_id,
        action=entry.action.value,
        product_key=inv.product_key,
        hazard=inv.hazard,
        state=entry.to_state.value,
        actor=entry.actor,
        at=entry.at,
        reason=entry.reason,
        evidence_id=_attached_evidence_id(inv, position),
        jurisdiction=inv.jurisdiction,
    )


def _attached_evidence_id(inv: Investigation, position: int) -> str | None:
    """The evidence audit entry `position` attached, if it attached any.

    Opening brings the first piece and each attach entry exactly one more, in order, so the
    entry's evidence is found by counting (several may be attached in one batch).
    """
    if inv.audit[position].action is not Action.ATTACH_EVIDENCE:
        return None
    attached = sum(1 for e in inv.audit[: position + 1] if e.action is Action.ATTACH_EVIDENCE)
    return inv.evidence[attached].evidence_id


def event_record(inv: Investigation, position: int, topics: OutputTopics) -> OutboxRecord:
    event = investigation_event(inv, position)
    return outbox_record(
        INVESTIGATION_EVENTS,
        topics.investigations,
        record_id=event.record_id,
        key=inv.investigation_id,
        value=event,
        at=inv.audit[position].at,
    )


def _alert_id(kind: AlertKind, inv: Investigation) -> str:
    """Stable per kind and investigation: replaying the same step cannot alert twice."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"recall:{kind.value}:{inv.investigation_id}"))


def opened_alert(inv: Investigation) -> Alert:
    """A new investigation; critical when its first evidence is of serious risk."""
    first = inv.evidence[0]
    serious = first.risk_level is RiskLevel.SERIOUS
    return Alert(
        # The id's name predates AlertKind and must not change: it dedups replays.
        alert_id=str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"recall:investigation-opened:{inv.investigation_id}")
        ),
        severity=AlertSeverity.CRITICAL if serious else AlertSeverity.WARNING,
        kind=AlertKind.INVESTIGATION_OPENED,
        title=f"缺陷调查已立案 / Defect investigation opened: {inv.product_key} ({inv.hazard})",
        subject=inv.investigation_id,
        jurisdiction=inv.jurisdiction,
        at=inv.opened_at,
        category=inv.category,  # a PRODUCT_CATEGORIES code (checked by the aggregate)
        details={
            "method": first.method or "",
            "evidence": first.summary[:500],
            "category": inv.category,
        },
    )


def decision_alert(inv: Investigation, kind: AlertKind, title: str) -> Alert:
    """A decision people must act on (defect confirmed, recall requested), with its grounds."""
    conclusion = inv.conclusion
    level = conclusion.risk_level if conclusion else None
    entry = inv.audit[-1]
    return Alert(
        alert_id=_alert_id(kind, inv),
        severity=AlertSeverity.CRITICAL if level is RiskLevel.SERIOUS else AlertSeverity.WARNING,
        kind=kind,
        title=f"{title}: {inv.product_key} ({inv.hazard})",
        subject=inv.investigation_id,
        jurisdiction=inv.jurisdiction,
        at=entry.at,
        category=inv.category,
        details={
            "risk_level": level.value if level else "",
            "hazard_description": (conclusion.hazard_description or "") if conclusion else "",
            "reason": entry.reason[:500],
            "actor": entry.actor,
        },
    )
