"""Investigation use cases: signals open or join investigations; people assign and conclude.

Each use case runs in one database transaction that also writes the records to publish
(investigation events, alerts) to the outbox, so a crash can lose neither the decision nor its
announcement. Signal handling is idempotent by evidence id (the signal id).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db import investigation_store as store
from recall.adapters.db.models import OutboxRow
from recall.adapters.db.upsert import insert_ignoring_conflicts
from recall.domain.investigations import (
    Evidence,
    EvidenceKind,
    Investigation,
    RiskLevel,
    Route,
    route_evidence,
)

AGENT = "risk-agent"
_KIND = {
    "live_nb": EvidenceKind.SIGNAL,
    "severe_cluster": EvidenceKind.INJURY_CLUSTER,
    "fatal_case": EvidenceKind.INJURY_CLUSTER,
    "sampling_failure": EvidenceKind.SAMPLING_FAILURE,
}


@dataclass
class SignalOutcome:
    opened: list[str] = field(default_factory=list)
    attached: int = 0
    duplicate: int = 0
    ignored: int = 0


@dataclass(frozen=True, slots=True)
class Topics:
    investigations: str
    alerts: str


def evidence_from_signal(signal: dict[str, Any]) -> Evidence:
    summary = f"{signal['method']}: " + " ".join(signal["explanation"])
    return Evidence(
        evidence_id=signal["signal_id"],
        kind=_KIND.get(signal["method"], EvidenceKind.SIGNAL),
        summary=summary[:2000],
        occurred_at=datetime.fromisoformat(signal["raised_at"]),
        risk_level=RiskLevel(signal["risk_level"]) if signal.get("risk_level") else None,
        observed=signal.get("observed"),
        expected=signal.get("expected"),
        statistic=signal.get("statistic"),
        threshold=signal.get("threshold"),
        method=signal.get("method"),
        window=signal.get("window"),
    )


def handle_signals(
    sessions: sessionmaker[Session], signals: Sequence[dict[str, Any]], topics: Topics
) -> SignalOutcome:
    """Open or join investigations for a batch of signals, in one transaction."""
    outcome = SignalOutcome()
    now = datetime.now(UTC)
    with sessions.begin() as session:
        cache: dict[tuple[str, str], tuple[Investigation | None, int | None]] = {}
        for signal in signals:
            _handle_one(session, signal, topics, now, cache, outcome)
        for investigation, version in cache.values():
            if investigation is not None:
                _save(session, investigation, version, signals, topics)
    return outcome


def _handle_one(
    session: Session,
    signal: dict[str, Any],
    topics: Topics,
    now: datetime,
    cache: dict[tuple[str, str], tuple[Investigation | None, int | None]],
    outcome: SignalOutcome,
) -> None:
    key = (signal["product_key"], signal["hazard"])
    if key not in cache:
        latest = store.latest_for(session, *key)
        cache[key] = (latest, len(latest.audit) if latest else None)
    latest, version = cache[key]
    evidence = evidence_from_signal(signal)
    route = route_evidence(latest, evidence, product_key=key[0], hazard=key[1])
    if route.route is Route.DUPLICATE:
        outcome.duplicate += 1
    elif route.route is Route.IGNORE:
        outcome.ignored += 1
    elif route.route is Route.ATTACH and latest is not None:
        cache[key] = (latest.attach_evidence(evidence, actor=AGENT, at=now), version)
        outcome.attached += 1
    else:
        if latest is not None and version is not None:
            _save(session, latest, version, [], topics)  # flush the previous one first
        opened = Investigation.open(
            product_key=key[0],
            hazard=key[1],
            seq=route.seq,
            category=signal["category"],
            jurisdiction=signal.get("jurisdiction") or None,
            evidence=evidence,
            actor=AGENT,
            at=now,
            reason=f"signal {signal['method']}: {evidence.summary[:300]}",
        )
        cache[key] = (opened, None)
        outcome.opened.append(opened.investigation_id)


def _save(
    session: Session,
    investigation: Investigation,
    version: int | None,
    signals: Sequence[dict[str, Any]],
    topics: Topics,
) -> None:
    if version is not None and len(investigation.audit) == version:
        return  # nothing changed
    trigger = _trigger_time(investigation, signals) if version is None else None
    store.save(session, investigation, previous_version=version, trigger_sent_at=trigger)
    start = version or 0
    rows = [
        investigation_event_record(investigation, i, topics)
        for i in range(start, len(investigation.audit))
    ]
    if version is None:
        rows.append(_alert_row(investigation, topics))
    session.execute(insert_ignoring_conflicts(session, OutboxRow.__table__), rows)


def _trigger_time(
    investigation: Investigation, signals: Sequence[dict[str, Any]]
) -> datetime | None:
    first = investigation.evidence[0].evidence_id
    for signal in signals:
        if signal["signal_id"] == first and signal.get("trigger_sent_at"):
            return datetime.fromisoformat(signal["trigger_sent_at"])
    return None


def investigation_event_record(inv: Investigation, position: int, topics: Topics) -> dict[str, Any]:
    entry = inv.audit[position]
    record_id = f"{inv.investigation_id}:{position}"
    evidence_id = inv.evidence[-1].evidence_id if entry.action.value == "attach_evidence" else None
    value = {
        "record_id": record_id,
        "investigation_id": inv.investigation_id,
        "action": entry.action.value,
        "product_key": inv.product_key,
        "hazard": inv.hazard,
        "state": entry.to_state.value,
        "actor": entry.actor,
        "at": entry.at.isoformat(),
        "reason": entry.reason,
        "evidence_id": evidence_id,
    }
    return outbox_record(record_id, topics.investigations, inv.investigation_id, value, entry.at)


def _alert_row(inv: Investigation, topics: Topics) -> dict[str, Any]:
    alert_id = str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"recall:investigation-opened:{inv.investigation_id}")
    )
    first = inv.evidence[0]
    serious = first.risk_level is RiskLevel.SERIOUS
    value = {
        "alert_id": alert_id,
        "severity": "critical" if serious else "warning",
        "kind": "investigation_opened",
        "title": f"缺陷调查已立案 / Defect investigation opened: {inv.product_key} ({inv.hazard})",
        "subject": inv.investigation_id,
        "jurisdiction": inv.jurisdiction,
        "at": inv.opened_at.isoformat(),
        "details": {
            "method": first.method or "",
            "evidence": first.summary[:500],
            "category": inv.category,
        },
    }
    return outbox_record(f"alert:{alert_id}", topics.alerts, alert_id, value, inv.opened_at)


def outbox_record(
    record_id: str, topic: str, key: str, value: dict[str, Any], at: datetime
) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "topic": topic,
        "key": key,
        "value": orjson.dumps(value),
        "created_at": at,
        "published_at": None,
    }
