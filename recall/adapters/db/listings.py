"""Keyset pages for the regulator API's lists: investigations, recalls, dead letters.

Implements the read ports `InvestigationPages`, `RecallPages` and `DeadLetterReads`. Each
page is one short transaction; the scope is part of the WHERE clause. A page asks for one
row more than it shows, so the last page has no `next`. Rows are ordered by (sort column,
primary key) in one direction and a page starts after the previous one with a row-value
comparison, `(sort, id…) > (:sort, :id…)`, which both PostgreSQL and SQLite (≥ 3.15) index.

Stored times are UTC; SQLite drops the zone, so positions and items are made aware again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import ColumnElement, Row, Select, String, cast, func, literal, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from recall.adapters.db.models import (
    DeadLetterRow,
    InvestigationRow,
    RecallProgressRow,
    RecallRow,
    Station,
)
from recall.adapters.db.recall_rows import head_of
from recall.domain.investigations import Decision, InvestigationState
from recall.service.intake.queries import DeadLetterFilter, DeadLetterView
from recall.service.investigations.pages import InvestigationFilter, InvestigationItem
from recall.service.paging import Page, PageRequest
from recall.service.recalls.pages import RecallFilter, RecallListing

T = TypeVar("T")


class SqlListings:
    """The API's list queries over a session factory (one transaction per page)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def investigation_page(
        self, where: InvestigationFilter, request: PageRequest
    ) -> Page[InvestigationItem]:
        row = InvestigationRow
        query = select(row)
        if where.scope_prefix:
            query = query.where(row.jurisdiction.startswith(where.scope_prefix, autoescape=True))
        if where.region_prefix:
            query = query.where(row.jurisdiction.startswith(where.region_prefix, autoescape=True))
        if where.expert_id is not None:
            query = query.where(_json_list_holds(row.expert_ids, where.expert_id))
        if where.states:
            query = query.where(row.state.in_(sorted(s.value for s in where.states)))
        if where.hazard:
            query = query.where(row.hazard == where.hazard)
        if where.category:
            query = query.where(row.category == where.category)
        if where.owner:
            query = query.where(row.owner == where.owner)
        sort = {"opened_at": row.opened_at, "updated_at": row.updated_at}[request.sort]
        return self._page(query, (sort, row.investigation_id), request, _investigation)

    def recall_page(self, where: RecallFilter, request: PageRequest) -> Page[RecallListing]:
        row = RecallRow
        last_report = (
            select(func.coalesce(func.max(RecallProgressRow.sequence), 0))
            .where(RecallProgressRow.recall_id == row.recall_id)
            .scalar_subquery()
        )
        query = select(row, last_report)
        if where.scope_prefix:
            query = query.where(row.jurisdiction.startswith(where.scope_prefix, autoescape=True))
        if where.region_prefix:
            query = query.where(row.jurisdiction.startswith(where.region_prefix, autoescape=True))
        if where.manufacturer_code is not None:
            owned = f"{where.manufacturer_code}/"
            query = query.where(row.product_key.startswith(owned, autoescape=True))
        if where.states:
            query = query.where(row.state.in_(sorted(s.value for s in where.states)))
        if where.category:
            query = query.where(row.category == where.category)
        if where.verdicts:
            query = query.where(row.verdict.in_(sorted(where.verdicts)))
        sort = {"updated_at": row.updated_at, "start": row.start}[request.sort]
        return self._page(query, (sort, row.recall_id), request, _recall)

    def dead_letter_page(
        self, where: DeadLetterFilter, request: PageRequest
    ) -> Page[DeadLetterView]:
        row = DeadLetterRow
        query = select(
            row.source_topic,
            row.source_partition,
            row.source_offset,
            row.reporter_id,
            Station.jurisdiction,
            row.reason,
            row.errors,
            row.received_at,
        ).outerjoin(Station, Station.station_id == row.reporter_id)
        if where.station_id is not None:
            query = query.where(row.reporter_id == where.station_id)
        if where.scope_prefix:
            area = Station.jurisdiction.startswith(where.scope_prefix, autoescape=True)
            query = query.where(area)
        if where.reason:
            query = query.where(row.reason == where.reason)
        if where.reporter_id:
            query = query.where(row.reporter_id == where.reporter_id)
        columns = (row.received_at, row.source_topic, row.source_partition, row.source_offset)
        return self._page(query, columns, request, _letter)

    def _page(
        self,
        query: Select[Any],
        columns: Sequence[InstrumentedAttribute[Any]],
        request: PageRequest,
        to_item: Callable[[Row[Any]], T],
    ) -> Page[T]:
        """Order by `columns` (sort column first, then the key), start after the position.

        The columns are selected again at the end of each row: the last shown row's values
        are the next page's position.
        """
        query = query.add_columns(*columns)
        if request.after is not None:
            key = tuple_(*columns)
            bound = tuple_(*(_bind(v, c) for v, c in zip(request.after, columns, strict=True)))
            query = query.where(key < bound if request.descending else key > bound)
        order = [c.desc() if request.descending else c.asc() for c in columns]
        with self.sessions.begin() as session:
            rows = session.execute(query.order_by(*order).limit(request.limit + 1)).all()
        shown = rows[: request.limit]
        after = None
        if len(rows) > request.limit and shown:
            after = tuple(_position_value(v) for v in shown[-1][-len(columns) :])
        return Page([to_item(r) for r in shown], after)


def _bind(value: object, column: InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
        if column.type.python_type is datetime and not getattr(column.type, "timezone", True):
            value = value.replace(tzinfo=None)
    return literal(value, column.type)


def _json_list_holds(column: InstrumentedAttribute[Any], value: str) -> ColumnElement[bool]:
    """The JSON list column's text contains `value` as one JSON string (both dialects).

    The needle is the value's JSON form with its quotes, so `EXP-1` never matches `EXP-10`;
    LIKE wildcards in it are escaped.
    """
    needle = orjson.dumps(value).decode()
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(column, String).like(f"%{escaped}%", escape="\\")


def _position_value(value: object) -> object:
    return _aware(value) if isinstance(value, datetime) else value


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _investigation(r: Row[Any]) -> InvestigationItem:
    row: InvestigationRow = r[0]
    return InvestigationItem(
        investigation_id=row.investigation_id,
        product_key=row.product_key,
        hazard=row.hazard,
        category=row.category,
        state=InvestigationState(row.state),
        decision=Decision(row.decision) if row.decision else None,
        jurisdiction=row.jurisdiction,
        expert_ids=tuple(row.expert_ids or ()),
        opened_at=_aware(row.opened_at),
        updated_at=_aware(row.updated_at),
        owner=row.owner,
    )


def _recall(r: Row[Any]) -> RecallListing:
    row: RecallRow
    row, last_sequence = tuple(r)[:2]
    cadence = int(row.notice.get("reporting_cadence_days", 30))
    start = _aware(row.start)
    return RecallListing(head_of(row), row.product_key, start, int(last_sequence), cadence)


def _letter(r: Row[Any]) -> DeadLetterView:
    topic, partition, offset, reporter, region, reason, errors, received = tuple(r)[:8]
    return DeadLetterView(
        position=(topic, partition, offset),
        reporter_id=reporter,
        region=region,
        reason=reason,
        errors=tuple((str(e.get("field", "")), str(e.get("message", ""))) for e in errors or ()),
        received_at=_aware(received),
    )
