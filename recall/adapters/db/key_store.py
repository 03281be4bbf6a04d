"""Station key versions in SQL: issue, revoke, list, and the keyring the intake verifies with.

The table `station_keys` says which versions of which station are active; the keys themselves
are derived from the master secret (`schemas.signing`), so nothing here is secret.
Each change is one short transaction and names who made it, so a revocation is auditable.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Station, StationKeyRow
from recall.config import Settings
from schemas.signing import ServerSideKeys, StationKeyring

ACTIVE = "active"
REVOKED = "revoked"


class StationKeyError(Exception):
    """A key operation that cannot be done; the message says what to do instead."""


class UnknownStationError(StationKeyError):
    pass


class UnknownKeyVersionError(StationKeyError):
    pass


class KeyAlreadyRevokedError(StationKeyError):
    pass


@dataclass(frozen=True, slots=True)
class StationKeyInfo:
    """One row of `station_keys`, as `recall station key list` shows it."""

    station_id: str
    version: int
    status: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None


def load_keyring(sessions: sessionmaker[Session], master_secret: str) -> StationKeyring:
    """Every active (station, version), ready to verify records: what the worker refreshes."""
    return StationKeyring(master_secret, active_versions(sessions))


def server_side_keys(sessions: sessionmaker[Session], settings: Settings) -> ServerSideKeys:
    """A key source for tools next to the server that play many stations (demo, simulations).

    A snapshot: keys issued or revoked afterwards are not seen, which suits a run that lasts
    minutes; build a new one to pick changes up.
    """
    return ServerSideKeys(load_keyring(sessions, settings.signing_secret.get_secret_value()))


def active_versions(sessions: sessionmaker[Session]) -> dict[str, frozenset[int]]:
    """Station id → its active versions (stations with none are absent)."""
    found: defaultdict[str, set[int]] = defaultdict(set)
    with sessions() as session:
        rows = session.execute(
            select(StationKeyRow.station_id, StationKeyRow.version).where(
                StationKeyRow.status == ACTIVE
            )
        )
        for station_id, version in rows:
            found[station_id].add(int(version))
    return {station: frozenset(versions) for station, versions in found.items()}


def issue_key(sessions: sessionmaker[Session], station_id: str, *, by: str) -> int:
    """Issue the station's next version (max + 1, never reusing a revoked number); active at once.

    Earlier versions stay active, so a station keeps sending while its new key is installed;
    revoke the old version afterwards. Concurrent issues for one station collide on the primary
    key and one of them fails rather than both getting the same version.
    """
    with sessions.begin() as session:
        if session.get(Station, station_id) is None:
            raise UnknownStationError(
                f"station {station_id!r} is not in the registry; add it to the registry file"
                " and run `recall registry load FILE` first"
            )
        version = _next_version(session, station_id)
        session.add(_new_row(station_id, version, by, datetime.now(UTC)))
    return version


def revoke_key(
    sessions: sessionmaker[Session], station_id: str, version: int, *, by: str, reason: str
) -> None:
    """Revoke one version of one station: records signed with it are refused from now on.

    The worker picks the change up at its next registry refresh. Other versions and other
    stations are untouched.
    """
    with sessions.begin() as session:
        row = session.get(StationKeyRow, (station_id, version), with_for_update=True)
        if row is None:
            raise UnknownKeyVersionError(
                f"station {station_id!r} has no key version {version};"
                f" see `recall station key list {station_id}`"
            )
        if row.status == REVOKED:
            raise KeyAlreadyRevokedError(
                f"key version {version} of station {station_id!r} was already revoked"
                f" by {row.revoked_by} at {row.revoked_at}"
            )
        row.status = REVOKED
        row.revoked_at = datetime.now(UTC)
        row.revoked_by = by
        row.revoke_reason = reason


def list_keys(
    sessions: sessionmaker[Session], station_id: str | None = None
) -> list[StationKeyInfo]:
    """Every key version (of one station, or of all), ordered by station and version."""
    query = select(StationKeyRow).order_by(StationKeyRow.station_id, StationKeyRow.version)
    if station_id is not None:
        query = query.where(StationKeyRow.station_id == station_id)
    with sessions() as session:
        return [
            StationKeyInfo(
                station_id=row.station_id,
                version=row.version,
                status=row.status,
                created_at=row.created_at,
                created_by=row.created_by,
                revoked_at=row.revoked_at,
                revoked_by=row.revoked_by,
                revoke_reason=row.revoke_reason,
            )
            for row in session.scalars(query)
        ]


def current_version(sessions: sessionmaker[Session], station_id: str) -> int | None:
    """The station's newest active version, or None when it has none."""
    with sessions() as session:
        found = session.scalar(
            select(func.max(StationKeyRow.version)).where(
                StationKeyRow.station_id == station_id, StationKeyRow.status == ACTIVE
            )
        )
    return None if found is None else int(found)


def issue_initial_keys(session: Session, station_ids: Iterable[str], *, by: str) -> int:
    """Give version 1 to each station that has never had a key; returns how many were issued.

    Idempotent, and deliberately blind to revocations: a station whose keys were all revoked
    has rows, so reloading the registry never silently re-enables it.
    """
    wanted = set(station_ids)
    if not wanted:
        return 0
    have = set(session.scalars(select(StationKeyRow.station_id).distinct()))
    now = datetime.now(UTC)
    new = sorted(wanted - have)
    session.add_all(_new_row(station_id, 1, by, now) for station_id in new)
    return len(new)


def _next_version(session: Session, station_id: str) -> int:
    found = session.scalar(
        select(func.max(StationKeyRow.version)).where(StationKeyRow.station_id == station_id)
    )
    return 1 if found is None else int(found) + 1


def _new_row(station_id: str, version: int, by: str, at: datetime) -> StationKeyRow:
    return StationKeyRow(
        station_id=station_id, version=version, status=ACTIVE, created_at=at, created_by=by
    )
