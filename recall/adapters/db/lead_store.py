"""SQL storage of the triage queue (`leads`), beside the other repositories of a unit of work.

`SqlLeadStorage` is `SqlStorage` whose units of work also carry `leads`, so accepting a lead
and opening its investigation commit together. A lead is inserted once per id (insert ignoring
conflicts: the id is derived from the source and the channel's reference), and its decision
is written only while it is still pending (`LeadDecidedMeanwhileError` otherwise).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from functools import cached_property

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Event, LeadRow, MediaReportRefusalRow, Station
from recall.adapters.db.storage import SqlStorage, SqlUnitOfWork
from recall.adapters.db.upsert import insert_ignoring_conflicts
from recall.domain.leads import Lead, LeadSource, LeadState
from recall.service.leads.ports import LeadDecidedMeanwhileError, MediaRefusal, MediaReport

__all__ = ["SqlLeadRepository", "SqlLeadStorage"]

_FIELDS = (
    "lead_id",
    "source",
    "reference",
    "jurisdiction",
    "product_key",
    "hazard",
    "category",
    "summary",
    "received_at",
    "recorded_by",
    "recorded_at",
    "state",
    "investigation_id",
    "decided_by",
    "decided_at",
    "reason",
)


class SqlLeadRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, lead_id: str) -> Lead | None:
        row = self._session.get(LeadRow, lead_id)
        return _lead(row) if row else None

    def add(self, lead: Lead) -> bool:
        if self._session.get(LeadRow, lead.lead_id) is not None:
            return False
        values = {name: getattr(lead, name) for name in _FIELDS}
        values["source"] = lead.source.value
        values["state"] = lead.state.value
        # Ignoring conflicts: a concurrent recording of the same lead stores it once.
        self._session.execute(insert_ignoring_conflicts(self._session, LeadRow), [values])
        return True

    def decide(self, lead: Lead) -> None:
        result = self._session.execute(
            update(LeadRow)
            .where(LeadRow.lead_id == lead.lead_id, LeadRow.state == LeadState.PENDING.value)
            .values(
                state=lead.state.value,
                investigation_id=lead.investigation_id,
                decided_by=lead.decided_by,
                decided_at=lead.decided_at,
                reason=lead.reason,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
            raise LeadDecidedMeanwhileError(lead.lead_id)

    def unrecorded_media_reports(self, limit: int) -> list[MediaReport]:
        media_lead = exists().where(
            LeadRow.source == LeadSource.MEDIA.value, LeadRow.reference == Event.event_id
        )
        refused = exists().where(MediaReportRefusalRow.event_id == Event.event_id)
        rows = self._session.execute(
            select(Event.event_id, Event.jurisdiction, Event.received_at, Event.payload)
            .join(Station, Station.station_id == Event.reporter_id)
            .where(Station.kind == "media", Event.type == "injury_report", ~media_lead, ~refused)
            .order_by(Event.received_at, Event.event_id)
            .limit(limit)
        )
        return [MediaReport(e, j, at, dict(p or {})) for e, j, at, p in rows]

    def refuse_media_report(self, refusal: MediaRefusal) -> None:
        values = {
            "event_id": refusal.event_id,
            "reason": refusal.reason,
            "refused_at": refusal.refused_at,
        }
        self._session.execute(
            insert_ignoring_conflicts(self._session, MediaReportRefusalRow), [values]
        )

    def media_refusals(self, limit: int) -> list[MediaRefusal]:
        rows = self._session.scalars(
            select(MediaReportRefusalRow)
            .order_by(MediaReportRefusalRow.refused_at.desc(), MediaReportRefusalRow.event_id)
            .limit(limit)
        )
        return [MediaRefusal(r.event_id, r.reason, r.refused_at) for r in rows]

    def listing(
        self, *, scope_prefix: str | None, states: Collection[LeadState], limit: int
    ) -> list[Lead]:
        query = select(LeadRow).order_by(LeadRow.received_at.desc(), LeadRow.lead_id).limit(limit)
        if scope_prefix:
            query = query.where(LeadRow.jurisdiction.startswith(scope_prefix, autoescape=True))
        if states:
            query = query.where(LeadRow.state.in_(sorted(s.value for s in states)))
        return [_lead(row) for row in self._session.scalars(query)]


class SqlLeadUnitOfWork(SqlUnitOfWork):
    @cached_property
    def leads(self) -> SqlLeadRepository:
        return SqlLeadRepository(self.session)


class SqlLeadStorage(SqlStorage):
    """`SqlStorage` whose units of work carry the leads too."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        super().__init__(sessions)

    @contextmanager
    def transaction(self) -> Iterator[SqlLeadUnitOfWork]:
        with self.sessions.begin() as session:
            yield SqlLeadUnitOfWork(session)


def _lead(row: LeadRow) -> Lead:
    values = {name: getattr(row, name) for name in _FIELDS}
    values["source"] = LeadSource(row.source)
    values["state"] = LeadState(row.state)
    return Lead(**values)
