"""The public feed's reads (`PublicNotices`) over the recall register and the manufacturers.

Only the register's public columns and the notice's public fields are mapped; the notice JSON
is read field by field, so a field added to notices later is not published by accident.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Row, func, literal, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Manufacturer, RecallRow
from recall.service.paging import Page, PageRequest
from recall.service.public.ports import PublishedNotice


class SqlPublicNotices:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def _query(self) -> Any:
        return select(RecallRow, Manufacturer.name).outerjoin(
            Manufacturer,
            Manufacturer.credit_code
            == RecallRow.notice["product"]["manufacturer_code"].as_string(),
        )

    def notice_page(self, request: PageRequest) -> Page[PublishedNotice]:
        sort = {"start": RecallRow.start, "updated_at": RecallRow.updated_at}[request.sort]
        columns = (sort, RecallRow.recall_id)
        query = self._query()
        if request.after is not None:
            moment, recall_id = request.after
            assert isinstance(moment, datetime)
            bound = tuple_(literal(_utc(moment), sort.type), literal(str(recall_id)))
            key = tuple_(*columns)
            query = query.where(key < bound if request.descending else key > bound)
        order = [c.desc() if request.descending else c.asc() for c in columns]
        with self.sessions() as session:
            rows = session.execute(query.order_by(*order).limit(request.limit + 1)).all()
        items = [_notice(r) for r in rows[: request.limit]]
        after = None
        if len(rows) > request.limit and items:
            last = items[-1]
            after = (getattr(last, request.sort), last.recall_id)
        return Page(items, after)

    def notice(self, recall_id: str) -> PublishedNotice | None:
        with self.sessions() as session:
            row = session.execute(self._query().where(RecallRow.recall_id == recall_id)).first()
        return None if row is None else _notice(row)

    def last_change(self) -> datetime | None:
        with self.sessions() as session:
            latest = session.scalar(select(func.max(RecallRow.updated_at)))
        return None if latest is None else _aware(latest)


def _notice(found: Row[Any]) -> PublishedNotice:
    row: RecallRow = found[0]
    firm_name: str | None = cast(Any, found)[1]
    notice = row.notice
    product = notice.get("product", {})
    return PublishedNotice(
        recall_id=row.recall_id,
        title=str(notice.get("title", "")),
        brand=str(product.get("brand", "")),
        model=str(product.get("model", "")),
        gtin=product.get("gtin"),
        batches=tuple(str(b) for b in notice.get("batches", ())),
        category=row.category,
        hazard=row.hazard,
        risk_level=row.risk_level,
        remedies=tuple(str(r) for r in notice.get("remedies", ())),
        firm_name=firm_name,
        firm_credit_code=str(product.get("manufacturer_code") or ""),
        region=row.jurisdiction,
        start=_aware(row.start),
        state=row.state,
        updated_at=_aware(row.updated_at),
    )


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _utc(moment: datetime) -> datetime:
    """Bound values in UTC (SQLite compares the stored UTC text)."""
    return moment.astimezone(UTC)
