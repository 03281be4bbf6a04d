"""The live disproportionality pairs in SQL (`product_disproportionality`, migration 0016).

Implements `recall.service.risk.disproportionality_job.LiveDisproportionality`: a run replaces
every row in one transaction, so a reader sees the previous run or this one, never a mix. On
PostgreSQL the transaction first takes an EXCLUSIVE lock on the table (readers are not
blocked): two runs overlapping across a leader change then follow one another instead of the
second one's insert meeting the first one's rows. SQLite serialises writers by itself.

Workers read it back with `stored_version` (count and newest `computed_at`, one cheap
aggregate) every registry refresh, and `stored_pairs` only when that changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import ProductDisproportionalityRow as Row
from recall.domain.risk.evidence import DisproportionalityEvidence
from recall.service.risk.disproportionality_job import LivePair

StoredVersion = tuple[int, datetime | None]
"""(rows, newest computed_at): changes with every run that stores anything or empties it."""


class SqlLiveDisproportionality:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def replace_pairs(self, pairs: Sequence[LivePair], *, computed_at: datetime) -> None:
        """See `LiveDisproportionality.replace_pairs`."""
        rows = [_row(pair, computed_at) for pair in pairs]
        with self._sessions.begin() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text(f"LOCK TABLE {Row.__tablename__} IN EXCLUSIVE MODE"))
            session.execute(delete(Row))
            if rows:
                session.execute(insert(Row), rows)

    def stored_version(self) -> StoredVersion:
        with self._sessions() as session:
            count, newest = session.execute(select(func.count(), func.max(Row.computed_at))).one()
        return int(count), newest

    def stored_pairs(self) -> tuple[list[LivePair], StoredVersion]:
        """Every stored pair, and the version they make up (read in one statement)."""
        with self._sessions() as session:
            rows = session.execute(select(*_COLUMNS)).all()
        pairs = [_pair(row) for row in rows]
        times: list[datetime] = [row.computed_at for row in rows]
        return pairs, (len(pairs), max(times, default=None))


def _row(pair: LivePair, computed_at: datetime) -> dict[str, object]:
    e = pair.evidence
    return {
        "product_key": pair.product_key,
        "hazard": e.hazard,
        "category": pair.category,
        "a": e.a,
        "expected": e.expected,
        "prr": e.prr,
        "chi2_yates": e.chi2_yates,
        "ror_lower": e.ror_lower,
        "ic025": e.ic025,
        "criteria_met": e.criteria_met,
        "window_days": e.window_days,
        "computed_at": computed_at,
    }


_COLUMNS = (
    Row.category,
    Row.product_key,
    Row.hazard,
    Row.a,
    Row.expected,
    Row.prr,
    Row.chi2_yates,
    Row.ror_lower,
    Row.ic025,
    Row.criteria_met,
    Row.window_days,
    Row.computed_at,
)
"""Read as plain rows, not ORM objects: tens of thousands of pairs load in one pass."""


def _pair(row: Any) -> LivePair:
    evidence = DisproportionalityEvidence(
        hazard=row.hazard,
        a=row.a,
        expected=row.expected,
        prr=row.prr,
        chi2_yates=row.chi2_yates,
        ror_lower=row.ror_lower,
        ic025=row.ic025,
        criteria_met=row.criteria_met,
        window_days=row.window_days,
    )
    return LivePair(row.category, row.product_key, evidence)
