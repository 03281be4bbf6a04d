"""`UtcDateTime` keeps the instant on SQLite, which drops offsets from `DateTime(timezone=True)`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

from recall.adapters.db.types import UtcDateTime

CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def table() -> tuple[Table, Table]:
    metadata = MetaData()
    fixed = Table("fixed", metadata, Column("id", Integer, primary_key=True),
                  Column("at", UtcDateTime()))  # fmt: skip
    plain = Table("plain", metadata, Column("id", Integer, primary_key=True),
                  Column("at", DateTime(timezone=True)))  # fmt: skip
    return fixed, plain


def test_an_offset_instant_reads_back_as_the_same_instant_in_utc(
    table: tuple[Table, Table],
) -> None:
    fixed, _ = table
    engine = create_engine("sqlite://")
    fixed.metadata.create_all(engine)
    sent = datetime(2026, 7, 3, 10, 48, 44, 455800, tzinfo=CHINA)
    with engine.begin() as connection:
        connection.execute(insert(fixed).values(id=1, at=sent))
        got = connection.execute(select(fixed.c.at)).scalar_one()
    assert got == sent
    assert got.tzinfo == UTC
    assert got.hour == 2


def test_plain_timezone_columns_on_sqlite_lose_the_offset(table: tuple[Table, Table]) -> None:
    """Why the type exists: the bare type shifts +08:00 times by eight hours on SQLite."""
    _, plain = table
    engine = create_engine("sqlite://")
    plain.metadata.create_all(engine)
    sent = datetime(2026, 7, 3, 10, 48, tzinfo=CHINA)
    with engine.begin() as connection:
        connection.execute(insert(plain).values(id=1, at=sent))
        got = connection.execute(select(plain.c.at)).scalar_one()
    assert got.replace(tzinfo=UTC) != sent


def test_comparisons_in_sql_use_the_instant(table: tuple[Table, Table]) -> None:
    fixed, _ = table
    engine = create_engine("sqlite://")
    fixed.metadata.create_all(engine)
    early = datetime(2026, 7, 3, 9, 0, tzinfo=CHINA)  # 01:00 UTC
    late = datetime(2026, 7, 3, 3, 0, tzinfo=UTC)  # 11:00 China time
    with engine.begin() as connection:
        connection.execute(insert(fixed), [{"id": 1, "at": early}, {"id": 2, "at": late}])
        between = datetime(2026, 7, 3, 10, 0, tzinfo=CHINA)  # 02:00 UTC
        after = connection.execute(select(fixed.c.id).where(fixed.c.at > between)).scalars()
        assert list(after) == [2]
        ordered = connection.execute(select(fixed.c.id).order_by(fixed.c.at)).scalars()
        assert list(ordered) == [1, 2]


def test_naive_values_are_taken_as_utc_and_none_stays_none(table: tuple[Table, Table]) -> None:
    fixed, _ = table
    engine = create_engine("sqlite://")
    fixed.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(fixed), [{"id": 1, "at": datetime(2026, 1, 1, 12)},
                                           {"id": 2, "at": None}])  # fmt: skip
        rows = {row.id: row.at for row in connection.execute(select(fixed.c.id, fixed.c.at))}
    assert rows == {1: datetime(2026, 1, 1, 12, tzinfo=UTC), 2: None}


def test_a_non_datetime_is_refused(table: tuple[Table, Table]) -> None:
    fixed, _ = table
    engine = create_engine("sqlite://")
    fixed.metadata.create_all(engine)
    with pytest.raises(Exception, match="a datetime is needed"), engine.begin() as connection:
        connection.execute(insert(fixed).values(id=1, at="2026-01-01"))


@settings(max_examples=300, deadline=None)
@given(
    at=st.datetimes(
        min_value=datetime(2, 1, 1),
        max_value=datetime(9998, 12, 31),
        timezones=st.one_of(
            st.none(), st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
        ),
    )
)
def test_the_sqlite_text_is_sqlalchemys_own_datetime_format(at: datetime) -> None:
    """The one-call SQLite bind writes exactly what the generic path (convert, then SQLAlchemy's
    `DATETIME` processor) wrote, so stored text sorts and reads back as before."""
    dialect = sqlite_dialect()
    fast = UtcDateTime().bind_processor(dialect)
    generic = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert fast is not None and generic is not None
    utc_wall = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    assert fast(at) == generic(utc_wall.replace(tzinfo=None))
