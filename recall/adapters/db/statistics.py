"""The statistics' reads (`StatisticsReads`): counts grouped in SQL within a region prefix.

Every query filters by the caller's scope (`jurisdiction LIKE prefix%`) and the half-open time
range in SQL, and groups by (region, category, UTC month, key), so the rows returned are at
most regions × categories × months × keys whatever the number of events. Months are computed
by the database (`to_char` on PostgreSQL, `strftime` on SQLite, where stored times are UTC
without a zone).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from recall.adapters.db.models import (
    Event,
    InvestigationAuditRow,
    InvestigationEvidenceRow,
    InvestigationRow,
    LeadRow,
    Product,
    RecallProgressRow,
    RecallRow,
    RiskSignalRow,
)
from recall.domain.jurisdiction import level
from recall.service.statistics.ports import (
    LeadTally,
    Measure,
    RecallFigure,
    StatisticsWindow,
    Tally,
)

Moment = ColumnElement[datetime] | InstrumentedAttribute[datetime]


class SqlStatistics:
    """Grouped counts over a session factory (one read transaction per call)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def tallies(self, window: StatisticsWindow) -> list[Tally]:
        with self.sessions() as session:
            month = _month_of(session)
            when = func.coalesce(Event.occurred_at, Event.received_at)
            events = _grouped(
                select(Event.jurisdiction, Product.category, month(when), Event.type).outerjoin(
                    Product, Product.product_key == Event.product_key
                ),
                window,
                Event.jurisdiction,
                when,
            )
            inv = InvestigationRow
            opened = _grouped(
                select(inv.jurisdiction, inv.category, month(inv.opened_at)),
                window,
                inv.jurisdiction,
                inv.opened_at,
            )
            audit = InvestigationAuditRow
            concluded = _grouped(
                select(inv.jurisdiction, inv.category, month(audit.at), inv.decision)
                .join(audit, audit.investigation_id == inv.investigation_id)
                .where(audit.action == "conclude"),
                window,
                inv.jurisdiction,
                audit.at,
            )
            out = [_tally(Measure.EVENTS, r) for r in session.execute(events)]
            out += [_tally(Measure.OPENED, (*r[:3], "", r[3])) for r in session.execute(opened)]
            out += [_tally(Measure.CONCLUDED, r) for r in session.execute(concluded)]
        return out

    def lead_tallies(self, window: StatisticsWindow) -> list[LeadTally]:
        with self.sessions() as session:
            month = _month_of(session)
            sig = RiskSignalRow
            signals = _grouped(
                select(sig.jurisdiction, sig.category, month(sig.raised_at), sig.method),
                window,
                sig.jurisdiction,
                sig.raised_at,
            )
            inv, ev = InvestigationRow, InvestigationEvidenceRow
            unsignalled = _grouped(
                select(inv.jurisdiction, inv.category, month(inv.opened_at), ev.kind, ev.method)
                .join(ev, and_(ev.investigation_id == inv.investigation_id, ev.position == 0))
                .where(~exists().where(sig.signal_id == ev.evidence_id))
                .where(~exists().where(LeadRow.lead_id == ev.evidence_id)),
                window,
                inv.jurisdiction,
                inv.opened_at,
            )
            triaged = _grouped(
                select(
                    LeadRow.jurisdiction,
                    LeadRow.category,
                    month(LeadRow.received_at),
                    LeadRow.source,
                ),
                window,
                LeadRow.jurisdiction,
                LeadRow.received_at,
            )
            out = [LeadTally(None, r[3], r[0], r[1], r[2], r[4]) for r in session.execute(signals)]
            out += [
                LeadTally("lead", f"lead_{r[3]}", r[0], r[1], r[2], r[4])
                for r in session.execute(triaged)
            ]
            out += [
                LeadTally(r[3], r[4], r[0], r[1], r[2], r[5]) for r in session.execute(unsignalled)
            ]
        return out

    def open_investigations(self, scope_prefix: str | None) -> list[tuple[str, datetime]]:
        inv = InvestigationRow
        query = select(inv.state, inv.opened_at).where(inv.state.in_(("opened", "assigned")))
        if scope_prefix:
            query = query.where(inv.jurisdiction.startswith(scope_prefix, autoescape=True))
        with self.sessions() as session:
            return [(state, opened_at) for state, opened_at in session.execute(query)]

    def recall_figures(self, window: StatisticsWindow) -> list[RecallFigure]:
        row, progress = RecallRow, RecallProgressRow
        latest = (
            select(progress.recall_id, func.max(progress.sequence).label("sequence"))
            .group_by(progress.recall_id)
            .subquery()
        )
        # A recall's tier: its ordering investigation's owner (supervision tier, migration 0019)
        # when it has one, else the recall's own jurisdiction (voluntary recalls, old rows).
        query = _within(
            select(row.jurisdiction, row.category, row.start, row.state, row.notice)
            .add_columns(progress.levels, InvestigationRow.owner)
            .outerjoin(InvestigationRow, InvestigationRow.investigation_id == row.investigation_id)
            .outerjoin(latest, latest.c.recall_id == row.recall_id)
            .outerjoin(
                progress,
                and_(
                    progress.recall_id == latest.c.recall_id,
                    progress.sequence == latest.c.sequence,
                ),
            ),
            window,
            row.jurisdiction,
            row.start,
        )
        with self.sessions() as session:
            rows = session.execute(query).all()
        return [_recall_figure(r) for r in rows]


def _recall_figure(r: Any) -> RecallFigure:
    affected = sum(int(n) for n in r.notice.get("affected", {}).values())
    unit_value = r.notice.get("declared_unit_value")
    return RecallFigure(
        region=r.jurisdiction,
        category=r.category,
        month=_aware(r.start).strftime("%Y-%m"),
        state=r.state,
        units_affected=affected,
        units_corrected=_corrected(r.levels),
        tier=level(r.owner or r.jurisdiction).value,
        value=None if unit_value is None else affected * float(unit_value),
    )


def _month_of(session: Session) -> Any:
    """A function from a time column to its UTC `YYYY-MM` in this session's SQL dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return lambda col: func.to_char(func.timezone("UTC", col), "YYYY-MM")
    return lambda col: func.strftime("%Y-%m", col)


def _within(query: Select[Any], window: StatisticsWindow, region: Any, when: Moment) -> Any:
    if window.scope_prefix:
        query = query.where(region.startswith(window.scope_prefix, autoescape=True))
    if window.start is not None:
        query = query.where(when >= _utc(window.start))
    if window.end is not None:
        query = query.where(when < _utc(window.end))
    return query


def _grouped(query: Select[Any], window: StatisticsWindow, region: Any, when: Moment) -> Any:
    """`query`'s columns, grouped, with a count added last."""
    columns = list(query.selected_columns)
    return _within(query, window, region, when).add_columns(func.count()).group_by(*columns)


def _tally(measure: Measure, r: Any) -> Tally:
    return Tally(measure, r[3] or "", r[0], r[1], r[2], r[4])


def _corrected(levels: Mapping[str, Any] | None) -> int:
    """Corrected units of a progress report, over every level and remedy."""
    if not levels:
        return 0
    return sum(int(n) for level in levels.values() for n in level.get("corrected", {}).values())


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    """A bound time in UTC (SQLite compares stored UTC text without a zone)."""
    return _aware(moment) if moment.tzinfo is None else moment.astimezone(UTC)
