"""Use cases people drive on an investigation: assign a panel, conclude, request a recall.

Each runs in one transaction: load the aggregate, apply the domain operation, save it with the
version check (the audit length when loaded), and write every new audit entry (plus an alert for
a confirmed defect or a recall request) to the outbox. So a crash loses neither the decision nor
its announcement, and a concurrent change by the stream agent makes the save fail
(`ConcurrentUpdateError`) instead of being overwritten. Refusals are the domain's own errors.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db import investigation_store as store
from recall.adapters.db.models import Expert as ExpertRow
from recall.adapters.db.models import InvestigationRow, OutboxRow
from recall.adapters.db.upsert import insert_ignoring_conflicts
from recall.domain.experts import DEFAULT_PANEL_SIZE, Expert, Panel, select_panel
from recall.domain.investigations import (
    Action,
    Decision,
    Investigation,
    InvestigationState,
    RiskLevel,
)

# One record format for investigation events and alerts, whoever decides them (agent or person).
from recall.service.investigations.signals import Topics, investigation_event_record, outbox_record
from recall.service.recalls.ordered import order_recall

__all__ = [
    "Assignment",
    "InvestigationNotFoundError",
    "assign_experts",
    "conclude",
    "get_investigation",
    "list_investigations",
    "request_recall",
]

_OPEN = (InvestigationState.OPENED.value, InvestigationState.ASSIGNED.value)


class InvestigationNotFoundError(LookupError):
    """No investigation has this id."""


@dataclass(frozen=True, slots=True)
class Assignment:
    """The assigned investigation and the panel decision, with its reasons."""

    investigation: Investigation
    panel: Panel


def get_investigation(sessions: sessionmaker[Session], investigation_id: str) -> Investigation:
    with sessions() as session:
        return _load(session, investigation_id)


def list_investigations(
    sessions: sessionmaker[Session],
    *,
    scope: str | None = None,
    states: Sequence[str] = (),
    limit: int = 200,
) -> list[InvestigationRow]:
    """Head rows, most recently changed first (detached: read-only snapshots)."""
    with sessions() as session:
        return store.list_rows(session, scope=scope, states=states, limit=limit)


def assign_experts(
    sessions: sessionmaker[Session],
    investigation_id: str,
    *,
    actor: str,
    topics: Topics,
    size: int = DEFAULT_PANEL_SIZE,
) -> Assignment:
    """Choose a panel by the policy (no expert linked to the manufacturer) and assign it."""
    now = datetime.now(UTC)
    with sessions.begin() as session:
        current = _load(session, investigation_id)
        if Action.ASSIGN not in current.allowed_actions():
            current.assign((), actor=actor, at=now, reason="refused")  # raises the domain's refusal
        firms = [current.manufacturer_id] if current.manufacturer_id else []
        panel = select_panel(
            _expert_pool(session, exclude=investigation_id),
            category=current.category,
            investigated_firms=firms,
            jurisdiction=current.jurisdiction,
            size=size,
        )
        reason = "panel by policy: " + "; ".join(c.explain() for c in panel.chosen)
        updated = current.assign(panel.expert_ids, actor=actor, at=now, reason=reason)
        _save(session, current, updated, topics)
    return Assignment(updated, panel)


def conclude(
    sessions: sessionmaker[Session],
    investigation_id: str,
    *,
    decision: Decision,
    reason: str,
    actor: str,
    topics: Topics,
    risk_level: RiskLevel | None = None,
    hazard_description: str | None = None,
) -> Investigation:
    """Record the panel's decision; a confirmed defect also raises an alert."""
    now = datetime.now(UTC)
    with sessions.begin() as session:
        current = _load(session, investigation_id)
        updated = current.conclude(
            decision,
            actor=actor,
            at=now,
            reason=reason,
            risk_level=risk_level,
            hazard_description=hazard_description,
        )
        alert = None
        if decision is Decision.DEFECT_CONFIRMED:
            alert = _alert(updated, "defect_confirmed", "缺陷已确认 / Defect confirmed", topics)
        _save(session, current, updated, topics, alert)
    return updated


def request_recall(
    sessions: sessionmaker[Session],
    investigation_id: str,
    *,
    reason: str,
    actor: str,
    topics: Topics,
) -> Investigation:
    """Order the manufacturer to recall (only after a confirmed defect); raises an alert.

    The ordered recall (责令召回) is created in the same transaction, so a requested recall
    always exists in the recall register with its reporting schedule running.
    """
    now = datetime.now(UTC)
    with sessions.begin() as session:
        current = _load(session, investigation_id)
        updated = current.request_recall(actor=actor, at=now, reason=reason)
        alert = _alert(updated, "recall_requested", "已要求召回 / Recall requested", topics)
        _save(session, current, updated, topics, alert)
        order_recall(session, updated, actor=actor, now=now)
    return updated


def _load(session: Session, investigation_id: str) -> Investigation:
    found = store.get(session, investigation_id)
    if found is None:
        raise InvestigationNotFoundError(f"no investigation {investigation_id!r}")
    return found


def _expert_pool(session: Session, *, exclude: str) -> list[Expert]:
    """Registry experts as domain values; load = open investigations they sit on (not this one)."""
    load: Counter[str] = Counter()
    open_rows = session.execute(
        select(InvestigationRow.investigation_id, InvestigationRow.expert_ids).where(
            InvestigationRow.state.in_(_OPEN)
        )
    )
    for row_id, expert_ids in open_rows:
        if row_id != exclude:
            load.update(expert_ids or ())
    return [
        Expert(
            expert_id=row.expert_id,
            name=row.name,
            categories=frozenset(row.categories or ()),
            jurisdiction=row.jurisdiction,
            linked_firms=frozenset(row.linked_firms or ()),
            active=row.active,
            load=load[row.expert_id],
        )
        for row in session.scalars(select(ExpertRow))
    ]


def _save(
    session: Session,
    before: Investigation,
    after: Investigation,
    topics: Topics,
    alert: dict[str, Any] | None = None,
) -> None:
    store.save(session, after, previous_version=len(before.audit))
    rows = [
        investigation_event_record(after, i, topics)
        for i in range(len(before.audit), len(after.audit))
    ]
    if alert is not None:
        rows.append(alert)
    outbox = OutboxRow.metadata.tables[OutboxRow.__tablename__]
    session.execute(insert_ignoring_conflicts(session, outbox), rows)


def _alert(inv: Investigation, kind: str, title: str, topics: Topics) -> dict[str, Any]:
    """An alert record with a stable id: replaying the same step cannot alert twice."""
    alert_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"recall:{kind}:{inv.investigation_id}"))
    conclusion = inv.conclusion
    level = conclusion.risk_level if conclusion else None
    entry = inv.audit[-1]
    value = {
        "alert_id": alert_id,
        "severity": "critical" if level is RiskLevel.SERIOUS else "warning",
        "kind": kind,
        "title": f"{title}: {inv.product_key} ({inv.hazard})",
        "subject": inv.investigation_id,
        "jurisdiction": inv.jurisdiction,
        "at": entry.at.isoformat(),
        "details": {
            "risk_level": level.value if level else "",
            "hazard_description": (conclusion.hazard_description or "") if conclusion else "",
            "reason": entry.reason[:500],
            "actor": entry.actor,
        },
    }
    return outbox_record(f"alert:{alert_id}", topics.alerts, alert_id, value, entry.at)
