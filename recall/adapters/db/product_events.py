"""The product's accepted events as (moment, type) pairs, for its day-by-day series.

Served by `ix_events_product_occurred` (product_key, occurred_at): the rows of one product in
the window, nothing else is read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Event


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
