"""Engine and session factory, created on demand (never at import time)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    """An engine tuned for the two supported back ends.

    SQLite gets WAL mode and a busy timeout so the worker and the CLI can use the same file at
    once; PostgreSQL gets pre-ping so a restarted server does not fail the next batch. Both hide
    bound parameters from error messages: they hold record contents, which may be personal
    data a station should never have sent, and errors end up in logs.
    """
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": 30},
            hide_parameters=True,
            json_serializer=_json,
            json_deserializer=orjson.loads,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,
        pool_size=5,
        max_overflow=5,
        json_serializer=_json,
        json_deserializer=orjson.loads,
    )


def _json(value: Any) -> str:
    """orjson for JSON columns: several times faster than the standard library on payloads."""
    return orjson.dumps(value).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
