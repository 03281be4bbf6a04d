"""Column types whose meaning must not depend on the database behind them.

`UtcDateTime` exists because `DateTime(timezone=True)` means two things: PostgreSQL stores an
instant (timestamptz) and gives it back in UTC, while SQLite — the embedded default — stores
the wall-clock text and drops the offset. A station's `2026-07-03T10:48+08:00` came back from
SQLite as 10:48 UTC, eight hours late, and a firm's second progress report was refused as
"overlapping the previous period" that had in fact ended when it began. Every timestamp column
uses this type: values are converted to UTC on the way in (naive ones are taken as UTC, which
is what the code has always meant by them) and come out aware and in UTC from both databases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An instant: stored in UTC everywhere, read back timezone-aware in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"a datetime is needed, not {type(value).__name__}")
        instant = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if dialect.name == "sqlite":
            return instant.replace(tzinfo=None)  # SQLite's text form: UTC wall clock
        return instant

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, the UTC text in one C call rather than two Python steps per value.

        The generic path converts in `process_bind_param` and then formats in SQLAlchemy's
        `DATETIME` processor (Python `%` formatting): a fifth of the intake's store phase,
        three timestamps a row. `isoformat(" ", "microseconds")` of the UTC wall clock is
        exactly SQLAlchemy's storage format (`YYYY-MM-DD HH:MM:SS.ffffff`, year padded to
        four digits), so stored text compares and reads back as before (tested).
        """
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: Any) -> str | None:
            if value is None:
                return None
            if not isinstance(value, datetime):
                raise TypeError(f"a datetime is needed, not {type(value).__name__}")
            instant = value if value.tzinfo is None else value.astimezone(UTC)
            return instant.isoformat(" ", "microseconds")[:26]  # without "+00:00"

        return process

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
