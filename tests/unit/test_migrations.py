"""The migrations build exactly the tables the models declare (no drift either way), and
what a migration fills in for existing rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import column, create_engine, insert, table, text

from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import Base


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_0007_backfills_the_event_ids_the_old_lookup_could_reach(tmp_path: Path) -> None:
    """Each reporter's newest 500 letters get the id their kept original claims; older ones,
    letters of no reporter and originals that are no whole JSON object keep NULL."""
    url = f"sqlite:///{tmp_path / 'backfill.db'}"
    upgrade(url, "0006")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [str(uuid.UUID(int=n)) for n in range(503)]
    rows = [  # offsets 0..502 of reporter "st-1", oldest first
        _letter(n, "st-1", orjson.dumps({"event_id": ids[n].upper()}), start + timedelta(n))
        for n in range(503)
    ]
    rows += [
        _letter(600, None, orjson.dumps({"event_id": ids[0]}), start),
        _letter(601, "st-2", b'{"event_id": "' + ids[1].encode() + b'", "cut', start),
        _letter(602, "st-2", orjson.dumps({"event_id": "x\u0000y"}), start),
        _letter(603, "st-2", orjson.dumps({"payload": {"event_id": ids[2]}}), start),
    ]
    engine = create_engine(url)
    letters = table("dead_letters", *(column(name) for name in rows[0]))
    with engine.begin() as connection:
        connection.execute(insert(letters), rows)
    upgrade(url)
    with engine.connect() as connection:
        rows_after = connection.execute(text("SELECT source_offset, event_id FROM dead_letters"))
        found: dict[int, str | None] = {row[0]: row[1] for row in rows_after}
    engine.dispose()
    assert [found[n] for n in range(3)] == [None, None, None]  # behind 500 newer ones
    assert [found[n] for n in range(3, 503)] == ids[3:503]  # canonical (lower-case)
    assert [found[n] for n in range(600, 604)] == [None] * 4


def _letter(offset: int, reporter: str | None, original: bytes, at: datetime) -> dict[str, Any]:
    return {
        "source_topic": "intake.raw",
        "source_partition": 0,
        "source_offset": offset,
        "reason": "schema",
        "errors": "[]",
        "reporter_id": reporter,
        "received_at": at,
        "original": original,
        "detail": "",
    }


def test_0009_gives_stations_the_time_of_their_newest_stored_event(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'seen.db'}"
    upgrade(url, "0008")
    engine = create_engine(url)
    with engine.begin() as connection:
        for station, kept in (("st-1", None), ("st-2", None), ("st-3", "2026-02-01 00:00:00")):
            connection.execute(
                text(
                    "INSERT INTO stations (station_id, kind, name, jurisdiction, enabled,"
                    " last_seen_at) VALUES (:s, 'hospital', :s, '140105', 1, :seen)"
                ),
                {"s": station, "seen": kept},
            )
        for n, (reporter, at) in enumerate(
            [("st-1", "2026-01-01 08:00:00"), ("st-1", "2026-01-03 08:00:00"),
             ("st-3", "2026-01-05 08:00:00")]
        ):  # fmt: skip
            connection.execute(
                text(
                    "INSERT INTO events (event_id, reporter_id, type, jurisdiction, sent_at,"
                    " received_at, source_topic, source_partition, source_offset, payload)"
                    " VALUES (:e, :r, 'injury_report', '140105', :at, :at, 'intake.raw', 0,"
                    " :n, '{}')"
                ),
                {"e": f"e-{n}", "r": reporter, "at": at, "n": n},
            )
    upgrade(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT station_id, last_seen_at FROM stations"))
        seen: dict[str, str | None] = {row[0]: row[1] for row in rows}
    engine.dispose()
    assert seen == {
        "st-1": "2026-01-03 08:00:00",  # its newest event
        "st-2": None,  # never heard from
        "st-3": "2026-02-01 00:00:00",  # kept: already set, and newer
    }
