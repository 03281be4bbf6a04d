"""Grouped counts of stored events, for reports over windows people choose.

Implements `recall.service.risk.ports.InjuryCounts`: the database groups the injury reports,
so a year of reports crosses the wire as one row per distinct combination of codes, streamed
in batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Event
from recall.service.risk.ports import InjuryCodeCount

INJURY_REPORT = "injury_report"
STREAM_BATCH = 1_000


class SqlInjuryCounts:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def injury_codes(
        self,
        *,
        since: datetime,
        category: str | None = None,
        jurisdiction_prefix: str | None = None,
    ) -> Iterator[InjuryCodeCount]:
        """See `InjuryCounts.injury_codes`; the session stays open while the rows stream."""
        query = _grouped_query(since=since, category=category, prefix=jurisdiction_prefix)
        with self._sessions() as session:
            result = session.execute(query, execution_options={"yield_per": STREAM_BATCH})
            for cat, product_key, mechanism, nature, n in result:
                yield InjuryCodeCount(cat, product_key, mechanism, nature, int(n))


def _grouped_query(*, since: datetime, category: str | None, prefix: str | None) -> Any:
    """Counts per (category, product, mechanism, nature) computed by the database.

    The JSON fields are labelled in a subquery and grouped by those labels: grouping by the
    JSON expressions themselves fails on PostgreSQL with server-side parameter binding, where
    the SELECT and GROUP BY copies of the path become two different parameters.
    """
    cat = Event.payload[("product", "category")].as_string()
    inner = select(
        cat.label("category"),
        Event.product_key.label("product_key"),
        Event.payload["mechanism"].as_string().label("mechanism"),
        Event.payload["injury_nature"].as_string().label("nature"),
    ).where(
        Event.type == INJURY_REPORT,
        Event.product_key.is_not(None),
        Event.occurred_at >= since,
    )
    if category is not None:
        inner = inner.where(cat == category)
    if prefix is not None:
        inner = inner.where(Event.jurisdiction.startswith(prefix))
    sub = inner.subquery()
    columns = (sub.c.category, sub.c.product_key, sub.c.mechanism, sub.c.nature)
    return select(*columns, func.count()).group_by(*columns)
