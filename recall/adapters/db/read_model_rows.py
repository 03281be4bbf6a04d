"""The read model's write statements, decided by the database (see `read_model`).

A score: `INSERT … ON CONFLICT (product_key) DO UPDATE … WHERE (stored updated_at, partition,
offset) < (offered …)`; a signal or an alert: `INSERT … ON CONFLICT DO NOTHING`. Both return
the keys they changed, so the caller can count what was skipped as older or known. Every time
is written in UTC (SQLite compares times as text).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from recall.adapters.db.models import RiskScoreRow
from recall.adapters.db.upsert import insert_ignoring_conflicts
from recall.service.readmodel.ports import ScoreRow
from schemas.risk import Alert, SignalRaised


def upsert_scores(session: Session, rows: Sequence[ScoreRow]) -> int:
    """Insert, or replace a stored score that is older than the new one; how many changed."""
    values = [
        {
            "product_key": r.record.score.product_key,
            "score": r.record.score.score,
            "risk_level": r.record.score.risk_level.value if r.record.score.risk_level else None,
            "explanation": list(r.record.score.explanation),
            "contributions": [c.model_dump(mode="json") for c in r.record.score.contributions],
            "updated_at": r.record.score.updated_at.astimezone(UTC),
            "region": r.region,
            "category": r.category,
            "source_partition": r.record.partition,
            "source_offset": r.record.offset,
        }
        for r in rows
    ]
    if not values:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = RiskScoreRow.metadata.tables[RiskScoreRow.__tablename__]  # a Table, for Core
    statement = insert(table)
    new = statement.excluded
    stored = table.c
    version = (stored.updated_at, stored.source_partition, stored.source_offset)
    offered = (new.updated_at, new.source_partition, new.source_offset)
    upsert = statement.on_conflict_do_update(
        index_elements=[stored.product_key],
        set_={c: new[c] for c in values[0] if c != "product_key"},
        where=tuple_(*version) < tuple_(*offered),
    ).returning(stored.product_key)
    # Executed with many parameter sets: SQLAlchemy sends them as multi-row statements
    # ("insertmanyvalues") from one cached compilation, RETURNING included.
    return len(session.execute(upsert, values).all())


def insert_new(session: Session, model: Any, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    table = model.__table__
    key = table.primary_key.columns.values()[0]
    stmt = insert_ignoring_conflicts(session, table).returning(key)
    return len(session.execute(stmt, rows).all())


def signal_row(signal: SignalRaised) -> dict[str, Any]:
    return {
        "signal_id": signal.signal_id,
        "product_key": signal.product_key,
        "hazard": signal.hazard,
        "category": signal.category,
        "jurisdiction": signal.jurisdiction,
        "method": signal.method,
        "risk_level": signal.risk_level.value,
        "raised_at": signal.raised_at.astimezone(UTC),
        "record": signal.model_dump(mode="json"),
    }


def alert_row(alert: Alert) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id,
        "kind": alert.kind.value,
        "severity": alert.severity.value,
        "subject": alert.subject,
        "jurisdiction": alert.jurisdiction,
        "at": alert.at.astimezone(UTC),
        "record": alert.model_dump(mode="json"),
        "status": alert.status.value,  # firing or resolved (migration 0014)
    }
