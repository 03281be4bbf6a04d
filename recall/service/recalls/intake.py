"""Recall events at intake: check them against the system of record, store them, and note
injuries and sampling failures that involve a recalled product.

Runs inside the intake batch's transaction, in batch order, so a notice and its first progress
report arriving together are judged correctly, and two reports can never both be checked
against the same "previous" report. A refused event becomes a dead letter with the rule it
broke (both languages); nothing is silently corrected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from recall.adapters.db.models import (
    Event,
    PostRecallIncidentRow,
    RecallProgressRow,
    RecallRow,
    RecallTransitionRow,
)
from recall.adapters.db.upsert import insert_ignoring_conflicts
from recall.domain.errors import DomainError
from recall.domain.intake import Reporter
from recall.domain.recalls import validate_progress
from recall.service.recalls.mapping import aware, report_from_row, spec_from_notice
from schemas import RejectReason
from schemas.envelope import RecallNoticeEvent, RecallProgressReportEvent, StationEvent


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: RejectReason
    errors: list[dict[str, str]]


def check_and_store(
    session: Session, events: Sequence[StationEvent], reporters: dict[str, Reporter], now: datetime
) -> dict[tuple[str, str], Refusal]:
    """Store valid recall events; return refusals by (reporter id, event id) for the others."""
    refusals: dict[tuple[str, str], Refusal] = {}
    for event in events:
        if isinstance(event, RecallNoticeEvent):
            refusal = _notice(session, event, reporters.get(event.reporter_id), now)
        elif isinstance(event, RecallProgressReportEvent):
            refusal = _progress(session, event)
        else:
            continue
        if refusal is not None:
            refusals[(event.reporter_id, str(event.event_id))] = refusal
    _post_recall(session, events)
    return refusals


def _err(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def _notice(
    session: Session, event: RecallNoticeEvent, reporter: Reporter | None, now: datetime
) -> Refusal | None:
    notice = event.payload
    existing = session.get(RecallRow, notice.recall_id)
    if existing is not None:
        if existing.notice_event_id == str(event.event_id):
            return None  # the same notice again: event-level dedupe decides what it is
        return Refusal(
            RejectReason.RECALL_CONFLICT,
            [
                _err(
                    "payload.recall_id",
                    f"recall {notice.recall_id} already exists (召回编号已存在)",
                )
            ],
        )
    maker = notice.product.manufacturer_code
    if reporter is not None and reporter.kind == "firm" and reporter.manufacturer_code != maker:
        return Refusal(
            RejectReason.NOT_PERMITTED,
            [
                _err(
                    "payload.product.manufacturer_code",
                    f"firm {event.reporter_id} may only recall its own products "
                    "(只能召回本企业产品)",
                )
            ],
        )
    data = notice.model_dump(mode="json")
    try:
        spec = spec_from_notice(
            data, product_key=notice.product.product_key, firm_id=event.reporter_id
        )
    except DomainError as error:
        return Refusal(RejectReason.SCHEMA, [_err("payload", str(error))])
    session.add(
        RecallRow(
            recall_id=spec.recall_id,
            kind=spec.kind.value,
            investigation_id=spec.investigation_id,
            product_key=spec.product_key,
            category=spec.category,
            firm_id=event.reporter_id,
            jurisdiction=event.jurisdiction,
            hazard=notice.hazard.value,
            risk_level=spec.risk_level.value,
            notice=data,
            notice_event_id=str(event.event_id),
            start=spec.start,
            target_date=spec.target_date,
            state="announced",
            verdict=None,
            sent_keys=[],
            last_effectiveness=None,
            updated_at=now,
        )
    )
    session.add(
        RecallTransitionRow(
            recall_id=spec.recall_id,
            position=0,
            from_state=None,
            to_state="announced",
            who=event.reporter_id,
            at=event.sent_at,
            why=f"{notice.kind.value} recall announced: {notice.title}",
        )
    )
    session.flush()
    backfill_incidents(session, session.get(RecallRow, spec.recall_id))  # type: ignore[arg-type]
    return None


def _progress(session: Session, event: RecallProgressReportEvent) -> Refusal | None:
    report = event.payload
    recall = session.get(RecallRow, report.recall_id)
    if recall is None:
        return Refusal(
            RejectReason.UNKNOWN_RECALL,
            [
                _err(
                    "payload.recall_id",
                    f"no recall {report.recall_id!r} (召回编号不存在); send its notice first",
                )
            ],
        )
    if recall.firm_id != event.reporter_id:
        return Refusal(
            RejectReason.NOT_PERMITTED,
            [_err("reporter_id", f"only {recall.firm_id} reports on recall {report.recall_id}")],
        )
    stored = session.get(RecallProgressRow, (report.recall_id, report.sequence))
    if stored is not None and stored.event_id == str(event.event_id):
        return None
    spec = spec_from_notice(recall.notice, product_key=recall.product_key, firm_id=recall.firm_id)
    levels = {k.value: v.model_dump(mode="json") for k, v in report.levels.items()}
    current = report_from_row(
        report.recall_id,
        report.sequence,
        report.period_start,
        report.period_end,
        event.sent_at,
        levels,
    )
    violations = validate_progress(
        current, recalls={spec.recall_id: spec}, previous=_previous(session, report.recall_id)
    )
    if violations:
        errors = [_err(f"payload.{v.field}", f"{v.message} ({v.message_zh})") for v in violations]
        return Refusal(RejectReason.INVALID_PROGRESS, errors)
    session.add(
        RecallProgressRow(
            recall_id=report.recall_id,
            sequence=report.sequence,
            event_id=str(event.event_id),
            period_start=report.period_start,
            period_end=report.period_end,
            submitted_at=event.sent_at,
            levels=levels,
            refused=report.refused,
        )
    )
    session.flush()
    return None


def _previous(session: Session, recall_id: str) -> Any:
    row = session.scalars(
        select(RecallProgressRow)
        .where(RecallProgressRow.recall_id == recall_id)
        .order_by(RecallProgressRow.sequence.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return report_from_row(
        recall_id, row.sequence, row.period_start, row.period_end, row.submitted_at, row.levels
    )


def _post_recall(session: Session, events: Sequence[StationEvent]) -> None:
    """Note every injury or failed sample in this batch that involves a recalled product."""
    facts = [f for e in events if (f := _incident_facts(e)) is not None]
    if not facts:
        return
    keys = {f["product_key"] for f in facts}
    recalls = session.scalars(select(RecallRow).where(RecallRow.product_key.in_(keys))).all()
    _insert_incidents(session, recalls, facts)


def backfill_incidents(session: Session, recall: RecallRow) -> None:
    """A new recall: note the product's incidents already stored (they may have arrived first,
    on another partition, or happened before the start — the 'before' of before-vs-after)."""
    stored = session.scalars(
        select(Event).where(
            Event.product_key == recall.product_key,
            Event.type.in_(("injury_report", "sampling_result")),
        )
    ).all()
    facts = [f for e in stored if (f := _row_facts(e)) is not None]
    _insert_incidents(session, [recall], facts)


def _incident_facts(event: StationEvent) -> dict[str, Any] | None:
    payload: Any = event.payload
    if event.type == "injury_report":
        occurred, kind = payload.occurred_at, "injury"
    elif event.type == "sampling_result" and payload.overall.value == "fail":
        occurred, kind = payload.sampled_at, "sampling_failure"
    else:
        return None
    return {
        "event_id": str(event.event_id),
        "product_key": payload.product.product_key,
        "batch": payload.product.batch,
        "occurred_at": occurred,
        "kind": kind,
    }


def _row_facts(row: Event) -> dict[str, Any] | None:
    payload = row.payload
    if row.type == "sampling_result" and payload.get("overall") != "fail":
        return None
    if row.occurred_at is None:
        return None
    return {
        "event_id": row.event_id,
        "product_key": row.product_key,
        "batch": (payload.get("product") or {}).get("batch"),
        "occurred_at": aware(row.occurred_at),
        "kind": "injury" if row.type == "injury_report" else "sampling_failure",
    }


def _insert_incidents(
    session: Session, recalls: Sequence[RecallRow], facts: Sequence[dict[str, Any]]
) -> None:
    rows = []
    for recall in recalls:
        batches = set(recall.notice.get("batches") or ())
        start = aware(recall.start)
        for fact in facts:
            if fact["product_key"] != recall.product_key:
                continue
            if batches and fact["batch"] and fact["batch"] not in batches:
                continue
            rows.append(
                {
                    "recall_id": recall.recall_id,
                    "event_id": fact["event_id"],
                    "kind": fact["kind"],
                    "occurred_at": fact["occurred_at"],
                    "batch": fact["batch"],
                    "after_start": fact["occurred_at"] >= start,
                }
            )
    if rows:
        session.execute(insert_ignoring_conflicts(session, PostRecallIncidentRow.__table__), rows)
