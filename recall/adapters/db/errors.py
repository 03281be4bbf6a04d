"""Which database errors are worth waiting out, and which are the record's fault.

DESIGN.md §7: a transient error (the server is down, a connection dropped, a lock or
serialisation conflict) is retried with backoff and jitter, because the same write will succeed
later; a permanent error (bad data, an integrity or encoding failure) will fail the same way
forever, so retrying it would stop a partition for good. Only the first kind may be retried.
An error we cannot place is treated as permanent: the record is isolated and dead-lettered, which
loses nothing, whereas waiting forever on a data error stops all intake.
"""

from __future__ import annotations

import sqlite3
from enum import StrEnum

from sqlalchemy import exc as sa

# SQLSTATE classes and codes that mean "try again": connection exceptions (08), insufficient
# resources (53), operator intervention such as a shutdown (57), system errors (58),
# serialisation failure and deadlock (40001, 40P01), lock not available (55P03).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57", "58")
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
# SQLite reports contention and I/O trouble as OperationalError with these messages.
_TRANSIENT_SQLITE_MESSAGES = ("database is locked", "database table is locked", "disk i/o error")


class ErrorKind(StrEnum):
    TRANSIENT = "transient"
    PERMANENT = "permanent"


def classify(error: BaseException) -> ErrorKind:
    """Transient when waiting can fix it, permanent when only changing the data can."""
    if isinstance(error, ConnectionError | TimeoutError | sa.DisconnectionError):
        return ErrorKind.TRANSIENT
    if isinstance(error, sa.TimeoutError):  # the connection pool had no free connection
        return ErrorKind.TRANSIENT
    if isinstance(error, sa.DBAPIError):
        if error.connection_invalidated:
            return ErrorKind.TRANSIENT
        return _classify_driver_error(error.orig)
    if isinstance(error, OSError):
        return ErrorKind.TRANSIENT
    return ErrorKind.PERMANENT


def _classify_driver_error(orig: BaseException | None) -> ErrorKind:
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(sqlstate, str):
        transient = sqlstate in _TRANSIENT_SQLSTATES or sqlstate.startswith(
            _TRANSIENT_SQLSTATE_CLASSES
        )
    elif isinstance(orig, sqlite3.OperationalError):
        message = str(orig).lower()
        transient = any(text in message for text in _TRANSIENT_SQLITE_MESSAGES)
    else:
        # psycopg raises OperationalError without a SQLSTATE when it cannot reach the server.
        transient = type(orig).__name__ in {"OperationalError", "InterfaceError"}
    return ErrorKind.TRANSIENT if transient else ErrorKind.PERMANENT


def is_transient(error: BaseException) -> bool:
    return classify(error) is ErrorKind.TRANSIENT
