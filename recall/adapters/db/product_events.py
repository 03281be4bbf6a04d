"""The product's accepted events as (moment, type) pairs for its day-by-day series, and
counted per product for a page of scores' trends.

Served by `ix_events_product_occurred` (product_key, occurred_at): the rows of one product in
the window, nothing else is read.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Event
from recall.service.readmodel.product_series import TrendBounds


class SqlProductEvents:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def product_event_times(
        self, product_key: str, region_prefix: str | None, since: datetime, limit: int
    ) -> list[tuple[datetime, str]]:
        query = (
            select(Event.occurred_at, Event.type)
            .where(Event.product_key == product_key, Event.occurred_at >= since)
            .order_by(Event.occurred_at)
            .limit(limit)
        )
        if region_prefix:
            query = query.where(Event.jurisdiction.startswith(region_prefix, autoescape=True))
        with self._sessions() as session:
            return [(at, kind) for at, kind in session.execute(query) if at is not None]

    def product_event_counts(
        self, product_keys: Collection[str], region_prefix: str | None, bounds: TrendBounds
    ) -> dict[str, tuple[int, int]]:
        recent = case((Event.occurred_at >= bounds.middle, 1), else_=0)
        query = (
            select(Event.product_key, func.sum(recent), func.count())
            .where(
                Event.product_key.in_(list(product_keys)),
                Event.occurred_at >= bounds.start,
                Event.occurred_at < bounds.end,
            )
            .group_by(Event.product_key)
        )
        if region_prefix:
            query = query.where(Event.jurisdiction.startswith(region_prefix, autoescape=True))
        with self._sessions() as session:
            rows = session.execute(query).all()
        return {key: (int(last), int(total) - int(last)) for key, last, total in rows if key}
