"""INSERT … ON CONFLICT DO NOTHING for both supported dialects.

Idempotent writes are how at-least-once delivery becomes exactly-once in effect; both SQLite
(≥ 3.35) and PostgreSQL support the same statement, but SQLAlchemy spells it per dialect.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_conflicts(session: Session, table: Any) -> Any:
    """An insert statement for `table` that skips rows whose key already exists."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"idempotent inserts are not implemented for {dialect}")
