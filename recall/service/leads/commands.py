"""Lead triage use cases: record a lead, then accept, merge or dismiss it.

Each runs in one transaction. Accepting opens an investigation through the investigation
domain (`Investigation.open`, `next_seq`) and announces it as the risk agent's openings are
announced (`save_and_announce`, `opened_alert`); merging attaches the lead as evidence
(`attach_evidence`). The lead's decision is saved in the same transaction, guarded on its being
still pending, so two regulators deciding at once cannot both win. Scope checks are the
callers' (the API and the CLI check both the lead and the target investigation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from pydantic import ValidationError

from recall.domain.investigations import Investigation, next_seq
from recall.domain.leads import Lead, LeadAction, LeadError, LeadSource
from recall.domain.risk.severity import hazard_for_mechanism
from recall.service.investigations.queries import load
from recall.service.investigations.records import opened_alert, save_and_announce
from recall.service.leads.ports import (
    LeadStorage,
    LeadUnitOfWork,
    MediaRefusal,
    MediaReport,
)
from recall.service.ports import OutputTopics
from schemas.leads import LeadReport

__all__ = [
    "LeadNotFoundError",
    "MediaImport",
    "Recorded",
    "accept_lead",
    "dismiss_lead",
    "import_media_reports",
    "merge_lead",
    "record_lead",
    "record_leads",
]


class LeadNotFoundError(LookupError):
    """No lead has this id."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """The lead as stored, and whether this call stored it (False: it was already there)."""

    lead: Lead
    created: bool


def record_lead(
    storage: LeadStorage, report: LeadReport, *, actor: str, now: datetime | None = None
) -> Recorded:
    """Put a validated report in the triage queue; the same (source, reference) twice is one
    lead (the stored one is returned unchanged)."""
    return record_leads(storage, [report], actor=actor, now=now)[0]


def record_leads(
    storage: LeadStorage, reports: list[LeadReport], *, actor: str, now: datetime | None = None
) -> list[Recorded]:
    """`record_lead` for many reports in one transaction: the media import queues hundreds a
    tick, and a transaction (a commit, on SQLite a sync) per lead made each tick a burst of
    seconds on the worker."""
    at = now or datetime.now(UTC)
    leads = [_recorded(report, actor, at) for report in reports]
    with storage.transaction() as tx:
        return _store(tx, leads)


def _store(tx: LeadUnitOfWork, leads: list[Lead]) -> list[Recorded]:
    done = []
    for lead in leads:
        created = tx.leads.add(lead)
        done.append(Recorded(lead if created else _lead(tx, lead.lead_id), created))
    return done


def _recorded(report: LeadReport, actor: str, at: datetime) -> Lead:
    return Lead.record(
        source=LeadSource(report.source.value),
        reference=report.reference,
        jurisdiction=report.jurisdiction,
        product_key=report.product.product_key,
        hazard=report.hazard.value,
        category=report.product.category.value,
        summary=report.summary,
        received_at=report.received_at,
        actor=actor,
        at=at,
    )


log = structlog.get_logger(__name__)
MEDIA_INTAKE = "intake:media"
"""Who records the leads taken from newsroom reports in the record."""
REFUSAL_CHARS = 500
"""A refusal's reason is cut to this: it is read by people, and bounded like a dead letter's."""


@dataclass(frozen=True, slots=True)
class MediaImport:
    """One import: the leads it stored or found, and the reports it refused."""

    recorded: list[Recorded]
    refused: list[MediaRefusal]

    @property
    def created(self) -> int:
        return sum(1 for r in self.recorded if r.created)


def import_media_reports(
    storage: LeadStorage, *, limit: int = 500, now: datetime | None = None
) -> MediaImport:
    """Put the newsroom (media station) injury reports of the record in the triage queue.

    Idempotent: each report becomes the media lead whose reference is its event id, and a
    report that already has one is not read again. Each goes through `LeadReport` like a lead
    recorded by hand; the hazard is the one the risk model reads from the report's mechanism
    and injury nature (`hazard_for_mechanism`). A report that cannot become a lead (no product,
    a value the lead's rules refuse) is recorded as refused, with why, in the same transaction:
    read first on every tick, it would otherwise take one of `limit` places each time, and
    `limit` of them would stop the queue for good.
    """
    at = now or datetime.now(UTC)
    with storage.transaction() as tx:
        reports = tx.leads.unrecorded_media_reports(limit)
    leads: list[Lead] = []
    refused: list[MediaRefusal] = []
    for report in reports:
        try:  # no I/O in here: whatever raises is about this report's data
            leads.append(_recorded(_media_lead(report), MEDIA_INTAKE, at))
        except (ValidationError, LeadError, KeyError, TypeError, ValueError) as error:
            refused.append(MediaRefusal(report.event_id, refusal_reason(error), at))
            log.warning("media report refused", event_id=report.event_id, error=refused[-1].reason)
    with storage.transaction() as tx:
        done = _store(tx, leads)
        for refusal in refused:
            tx.leads.refuse_media_report(refusal)
    return MediaImport(done, refused)


def refusal_reason(error: Exception) -> str:
    """What was wrong, for a person: a validation error names the fields and the rules with
    its input values left out (as a dead letter's original is redacted); a rule of the lead
    domain gives its own message."""
    if isinstance(error, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in e['loc']) or 'report'}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False)
        ]
        text = "; ".join(parts)
    elif isinstance(error, KeyError):
        text = f"missing field {error.args[0]!r}" if error.args else "missing field"
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:REFUSAL_CHARS]


def _media_lead(report: MediaReport) -> LeadReport:
    payload = report.payload
    hazard = hazard_for_mechanism(str(payload.get("mechanism")), str(payload.get("injury_nature")))
    narrative = str(payload.get("narrative") or "").strip()
    summary = narrative or f"{payload.get('mechanism')} / {payload.get('injury_nature')}"
    return LeadReport.model_validate(
        {
            "source": "media",
            "reference": report.event_id,
            "jurisdiction": report.jurisdiction,
            "product": payload["product"],
            "hazard": hazard,
            "summary": summary[:2000],
            "received_at": report.received_at.isoformat(),
        }
    )


def accept_lead(
    storage: LeadStorage,
    lead_id: str,
    *,
    actor: str,
    reason: str,
    topics: OutputTopics,
    now: datetime | None = None,
) -> tuple[Lead, Investigation]:
    """Open an investigation of the lead's product and hazard with the lead as first evidence.

    Refused (`IllegalInvestigationTransition`) when one is already open for that product and
    hazard: merge the lead into it instead.
    """
    at = now or datetime.now(UTC)
    with storage.transaction() as tx:
        lead = _lead(tx, lead_id)
        lead.require(LeadAction.ACCEPT)  # a decided lead is refused before anything opens
        latest = tx.investigations.latest_for(lead.product_key, lead.hazard)
        opened = Investigation.open(
            product_key=lead.product_key,
            hazard=lead.hazard,
            seq=next_seq(latest),
            category=lead.category,
            jurisdiction=lead.jurisdiction,
            evidence=lead.as_evidence(),
            actor=actor,
            at=at,
            reason=f"lead {lead.source} {lead.reference} accepted: {reason}"[:2000],
        )
        save_and_announce(
            tx, opened, previous_version=None, topics=topics, alerts=[opened_alert(opened)]
        )
        decided = lead.accept(opened.investigation_id, actor=actor, at=at, reason=reason)
        tx.leads.decide(decided)
    return decided, opened


def merge_lead(
    storage: LeadStorage,
    lead_id: str,
    investigation_id: str,
    *,
    actor: str,
    reason: str,
    topics: OutputTopics,
    now: datetime | None = None,
) -> tuple[Lead, Investigation]:
    """Attach the lead as evidence to the open investigation `investigation_id`."""
    at = now or datetime.now(UTC)
    with storage.transaction() as tx:
        lead = _lead(tx, lead_id)
        decided = lead.merge(investigation_id, actor=actor, at=at, reason=reason)
        current = load(tx.investigations, investigation_id)
        updated = current.attach_evidence(lead.as_evidence(), actor=actor, at=at)
        if updated is not current:
            save_and_announce(tx, updated, previous_version=len(current.audit), topics=topics)
        tx.leads.decide(decided)
    return decided, updated


def dismiss_lead(
    storage: LeadStorage, lead_id: str, *, actor: str, reason: str, now: datetime | None = None
) -> Lead:
    """Close the lead without an investigation; the reason is the record."""
    at = now or datetime.now(UTC)
    with storage.transaction() as tx:
        decided = _lead(tx, lead_id).dismiss(actor=actor, at=at, reason=reason)
        tx.leads.decide(decided)
    return decided


def _lead(tx: LeadUnitOfWork, lead_id: str) -> Lead:
    found = tx.leads.get(lead_id)
    if found is None:
        raise LeadNotFoundError(f"no lead {lead_id!r}")
    return found
