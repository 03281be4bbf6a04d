"""SQL storage for accounts and the audit log: `recall.service.accounts.ports`, implemented.

`SqlAccountStorage(sessions)` opens one session per transaction (`sessions.begin()`), so an
account change and its audit entry commit together. Disabling and rotating are single guarded
UPDATEs (`WHERE disabled_at IS NULL`), so a rotation racing a disable can never revive a
disabled account. SQLite hands back naive datetimes for timezone-aware columns; they are
stored in UTC, so they are read back as UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Account, AuditEntry, Expert, Station
from recall.domain.access import Role
from recall.service.accounts.ports import (
    AuditOutcome,
    AuditRecord,
    DuplicateTokenError,
    RegisteredStation,
    StoredAccount,
)

__all__ = [
    "SqlAccountRepository",
    "SqlAccountStorage",
    "SqlAccountsUnit",
    "SqlAuditLog",
    "SqlRegistryLookup",
]


class SqlAccountRepository:
    """Accounts over one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, account: StoredAccount) -> None:
        self._session.add(_row(account))
        try:
            self._session.flush()
        except IntegrityError as error:
            raise DuplicateTokenError(account.token_id) from error

    def get(self, account_id: str) -> StoredAccount | None:
        row = self._session.get(Account, account_id)
        return _account(row) if row else None

    def by_token_id(self, token_id: str) -> StoredAccount | None:
        row = self._session.scalars(select(Account).where(Account.token_id == token_id)).first()
        return _account(row) if row else None

    def by_name(self, name: str) -> list[StoredAccount]:
        query = (
            select(Account)
            .where(Account.name == name)
            .order_by(Account.created_at, Account.account_id)
        )
        return [_account(row) for row in self._session.scalars(query)]

    def list(self) -> list[StoredAccount]:
        query = select(Account).order_by(Account.created_at, Account.account_id)
        return [_account(row) for row in self._session.scalars(query)]

    def disable(self, account_id: str, *, at: datetime, by: str) -> bool:
        return self._update_enabled(account_id, disabled_at=at, disabled_by=by)

    def replace_token(
        self, account_id: str, *, token_id: str, token_sha256: str, at: datetime
    ) -> bool:
        try:
            return self._update_enabled(
                account_id, token_id=token_id, token_sha256=token_sha256, rotated_at=at
            )
        except IntegrityError as error:
            raise DuplicateTokenError(token_id) from error

    def _update_enabled(self, account_id: str, **values: object) -> bool:
        result = self._session.execute(
            update(Account)
            .where(Account.account_id == account_id, Account.disabled_at.is_(None))
            .values(**values)
            .execution_options(synchronize_session="fetch")
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


class SqlAuditLog:
    """The audit log over one session (append-only)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def append(self, record: AuditRecord) -> None:
        self._session.add(
            AuditEntry(
                entry_id=record.entry_id,
                account_id=record.account_id,
                action=record.action,
                subject=record.subject,
                outcome=record.outcome.value,
                at=record.at,
                detail=record.detail,
            )
        )
        self._session.flush()

    def recent(self, *, account_id: str | None = None, limit: int = 100) -> list[AuditRecord]:
        query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.entry_id.desc())
        if account_id is not None:
            query = query.where(AuditEntry.account_id == account_id)
        return [
            AuditRecord(
                entry_id=row.entry_id,
                account_id=row.account_id,
                action=row.action,
                subject=row.subject,
                outcome=AuditOutcome(row.outcome),
                at=_utc(row.at),
                detail=row.detail,
            )
            for row in self._session.scalars(query.limit(limit))
        ]


class SqlRegistryLookup:
    """The registry tables, read to check an account's station and expert ids."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def station(self, station_id: str) -> RegisteredStation | None:
        row = self._session.get(Station, station_id)
        if row is None:
            return None
        return RegisteredStation(
            station_id=row.station_id,
            kind=row.kind,
            enabled=row.enabled,
            manufacturer_code=row.manufacturer_code,
        )

    def has_expert(self, expert_id: str) -> bool:
        row = self._session.get(Expert, expert_id)
        return row is not None and row.active


class SqlAccountsUnit:
    """The repositories of one transaction, built on first use."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @cached_property
    def accounts(self) -> SqlAccountRepository:
        return SqlAccountRepository(self.session)

    @cached_property
    def audit(self) -> SqlAuditLog:
        return SqlAuditLog(self.session)

    @cached_property
    def registry(self) -> SqlRegistryLookup:
        return SqlRegistryLookup(self.session)


class SqlAccountStorage:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    @contextmanager
    def transaction(self) -> Iterator[SqlAccountsUnit]:
        with self.sessions.begin() as session:
            yield SqlAccountsUnit(session)


def _row(account: StoredAccount) -> Account:
    return Account(
        account_id=account.account_id,
        name=account.name,
        role=account.role.value,
        region=account.region,
        station_id=account.station_id,
        manufacturer_code=account.manufacturer_code,
        expert_id=account.expert_id,
        token_id=account.token_id,
        token_sha256=account.token_sha256,
        created_at=account.created_at,
        created_by=account.created_by,
        rotated_at=account.rotated_at,
        disabled_at=account.disabled_at,
        disabled_by=account.disabled_by,
    )


def _account(row: Account) -> StoredAccount:
    return StoredAccount(
        account_id=row.account_id,
        name=row.name,
        role=Role(row.role),
        region=row.region,
        station_id=row.station_id,
        manufacturer_code=row.manufacturer_code,
        expert_id=row.expert_id,
        token_id=row.token_id,
        token_sha256=row.token_sha256,
        created_at=_utc(row.created_at),
        created_by=row.created_by,
        rotated_at=_utc(row.rotated_at) if row.rotated_at else None,
        disabled_at=_utc(row.disabled_at) if row.disabled_at else None,
        disabled_by=row.disabled_by,
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
