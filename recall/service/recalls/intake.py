"""Recall events at intake: check them against the system of record, store them, and note
injuries and sampling failures that involve a recalled product.

Runs inside the intake batch's unit of work, in batch order, so a notice and its first
progress report arriving together are judged correctly, and two reports can never both be
checked against the same "previous" report. A refused event becomes a dead letter with the
rule it broke (both languages); nothing is silently corrected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from recall.domain.errors import DomainError
from recall.domain.intake import Reporter
from recall.domain.recalls import (
    Incident,
    IncidentKind,
    Recall,
    RecallSpec,
    RecallState,
    RecallTransition,
    validate_progress,
)
from recall.service.ports import UnitOfWork
from recall.service.recalls.mapping import progress_report, spec_from_notice
from recall.service.recalls.ports import NewRecall, RecallIncident, RecallRepository, StoredReport
from schemas import RejectReason
from schemas.envelope import (
    InjuryReportEvent,
    RecallNoticeEvent,
    RecallProgressReportEvent,
    SamplingResultEvent,
    StationEvent,
)
from schemas.sampling import Verdict


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: RejectReason
    errors: list[dict[str, str]]


def check_and_store(
    tx: UnitOfWork, events: Sequence[StationEvent], reporters: dict[str, Reporter], now: datetime
) -> dict[tuple[str, str], Refusal]:
    """Store valid recall events; return refusals by (reporter id, event id) for the others."""
    refusals: dict[tuple[str, str], Refusal] = {}
    for event in events:
        if isinstance(event, RecallNoticeEvent):
            refusal = _notice(tx.recalls, event, reporters.get(event.reporter_id), now)
        elif isinstance(event, RecallProgressReportEvent):
            refusal = _progress(tx.recalls, event)
        else:
            continue
        if refusal is not None:
            refusals[(event.reporter_id, str(event.event_id))] = refusal
    _note_incidents(tx.recalls, events)
    return refusals


def _refusal(reason: RejectReason, field: str, message: str) -> Refusal:
    return Refusal(reason, [{"field": field, "message": message}])


def _notice(
    recalls: RecallRepository,
    event: RecallNoticeEvent,
    reporter: Reporter | None,
    now: datetime,
) -> Refusal | None:
    announced_by = recalls.notice_event_id(event.payload.recall_id)
    if announced_by == str(event.event_id):
        return None  # the same notice again: event-level dedupe decides what it is
    refusal = _refuse_notice(event, reporter, exists=announced_by is not None)
    if refusal is not None:
        return refusal
    try:
        new = _new_recall(event, now)
    except DomainError as error:
        return _refusal(RejectReason.SCHEMA, "payload", str(error))
    recalls.add(new)
    backfill_incidents(recalls, new.recall.spec)
    return None


def _refuse_notice(
    event: RecallNoticeEvent, reporter: Reporter | None, *, exists: bool
) -> Refusal | None:
    notice = event.payload
    if exists:
        return _refusal(
            RejectReason.RECALL_CONFLICT,
            "payload.recall_id",
            f"recall {notice.recall_id} already exists (召回编号已存在)",
        )
    maker = notice.product.manufacturer_code
    if reporter is not None and reporter.kind == "firm" and reporter.manufacturer_code != maker:
        return _refusal(
            RejectReason.NOT_PERMITTED,
            "payload.product.manufacturer_code",
            f"firm {event.reporter_id} may only recall its own products (只能召回本企业产品)",
        )
    return None


def _new_recall(event: RecallNoticeEvent, now: datetime) -> NewRecall:
    """The announced recall; `DomainError` when the notice cannot be a recall."""
    notice = event.payload
    document = notice.model_dump(mode="json")
    spec = spec_from_notice(
        document, product_key=notice.product.product_key, firm_id=event.reporter_id
    )
    why = f"{notice.kind.value} recall announced: {notice.title}"
    created = RecallTransition(
        spec.recall_id, None, RecallState.ANNOUNCED, event.reporter_id, event.sent_at, why
    )
    return NewRecall(
        recall=Recall.restore(spec, [created]),
        jurisdiction=event.jurisdiction,
        hazard=notice.hazard.value,
        notice=document,
        notice_event_id=str(event.event_id),
        created_at=now,
    )


def _progress(recalls: RecallRepository, event: RecallProgressReportEvent) -> Refusal | None:
    report = event.payload
    spec = recalls.spec(report.recall_id)
    if spec is None:
        return _refusal(
            RejectReason.UNKNOWN_RECALL,
            "payload.recall_id",
            f"no recall {report.recall_id!r} (召回编号不存在); send its notice first",
        )
    if spec.firm_id != event.reporter_id:
        return _refusal(
            RejectReason.NOT_PERMITTED,
            "reporter_id",
            f"only {spec.firm_id} reports on recall {report.recall_id}",
        )
    if recalls.report_event_id(report.recall_id, report.sequence) == str(event.event_id):
        return None
    levels = {k.value: v.model_dump(mode="json") for k, v in report.levels.items()}
    current = progress_report(
        report.recall_id,
        report.sequence,
        report.period_start,
        report.period_end,
        event.sent_at,
        levels,
    )
    previous = recalls.latest_report(report.recall_id)
    violations = validate_progress(current, recalls={spec.recall_id: spec}, previous=previous)
    if violations:
        errors = [
            {"field": f"payload.{v.field}", "message": f"{v.message} ({v.message_zh})"}
            for v in violations
        ]
        return Refusal(RejectReason.INVALID_PROGRESS, errors)
    recalls.add_report(StoredReport(current, str(event.event_id), report.refused))
    return None


def _note_incidents(recalls: RecallRepository, events: Sequence[StationEvent]) -> None:
    """Note every injury or failed sample in this batch that involves a recalled product."""
    incidents = [i for e in events if (i := _incident(e)) is not None]
    if not incidents:
        return
    specs = recalls.specs_for_products({i.product_key for i in incidents})
    recalls.add_incidents(involving(specs, incidents))


def backfill_incidents(recalls: RecallRepository, spec: RecallSpec) -> None:
    """A new recall: note the product's incidents already stored (they may have arrived first,
    on another partition, or happened before the start — the 'before' of before-vs-after)."""
    recalls.add_incidents(involving([spec], recalls.stored_incidents(spec.product_key)))


def _incident(event: StationEvent) -> Incident | None:
    if isinstance(event, InjuryReportEvent):
        injury = event.payload
        return Incident(
            str(event.event_id),
            IncidentKind.INJURY,
            injury.occurred_at,
            injury.product.product_key,
            injury.product.batch,
        )
    if isinstance(event, SamplingResultEvent) and event.payload.overall is Verdict.FAIL:
        sample = event.payload
        return Incident(
            str(event.event_id),
            IncidentKind.SAMPLING_FAILURE,
            sample.sampled_at,
            sample.product.product_key,
            sample.product.batch,
        )
    return None


def involving(specs: Iterable[RecallSpec], incidents: Sequence[Incident]) -> list[RecallIncident]:
    """Each incident of a recalled product and batch (or of unknown batch), for its recall."""
    return [
        RecallIncident(spec.recall_id, incident, after_start=incident.occurred_at >= spec.start)
        for spec in specs
        for incident in incidents
        if incident.product_key == spec.product_key
        and not (spec.batches and incident.batch and incident.batch not in spec.batches)
    ]
