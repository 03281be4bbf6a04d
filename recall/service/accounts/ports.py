"""What the accounts stage needs from storage, declared here and implemented by adapters.

`recall.adapters.db.account_store.SqlAccountStorage` implements it with SQL;
`tests/support/fakes/accounts.py` in memory, for the unit tests.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from recall.domain.access import Role


@dataclass(frozen=True, slots=True)
class StoredAccount:
    """One account as stored: its scope fields and the SHA-256 of its current token."""

    account_id: str
    name: str
    role: Role
    region: str | None
    station_id: str | None
    manufacturer_code: str | None
    expert_id: str | None
    token_id: str
    token_sha256: str
    created_at: datetime
    created_by: str
    rotated_at: datetime | None = None
    disabled_at: datetime | None = None
    disabled_by: str | None = None

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None


class AuditOutcome(StrEnum):
    """How an audited action ended."""

    DONE = "done"
    DENIED = "denied"  # the principal may not (403, or 404 outside its scope)
    REFUSED = "refused"  # allowed, but a domain rule said no (409, 422)
    FAILED = "failed"  # allowed, but an unexpected error stopped it


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One line of the audit log: who did what to which object, when, and how it ended."""

    entry_id: str
    account_id: str
    action: str
    subject: str
    outcome: AuditOutcome
    at: datetime
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class RegisteredStation:
    """What account creation needs to know about a registered reporter."""

    station_id: str
    kind: str
    enabled: bool
    manufacturer_code: str | None


class DuplicateTokenError(RuntimeError):
    """A new token id collided with a stored one (never in practice: 96 random bits)."""


class AccountRepository(Protocol):
    def add(self, account: StoredAccount) -> None:
        """Store a new account; `DuplicateTokenError` if its token id is taken."""

    def get(self, account_id: str) -> StoredAccount | None:
        """The account with this id, or None."""

    def by_token_id(self, token_id: str) -> StoredAccount | None:
        """The account whose current token has this public half, or None."""

    def by_name(self, name: str) -> list[StoredAccount]:
        """Every account (enabled or not) named exactly `name`, oldest first."""

    def list(self) -> list[StoredAccount]:
        """Every account, oldest first."""

    def disable(self, account_id: str, *, at: datetime, by: str) -> bool:
        """Mark an enabled account disabled; False when it is missing or already disabled."""

    def replace_token(
        self, account_id: str, *, token_id: str, token_sha256: str, at: datetime
    ) -> bool:
        """Give an enabled account a new token (the old one stops working); False otherwise."""


class AuditLog(Protocol):
    def append(self, record: AuditRecord) -> None:
        """Keep one audit record."""

    def recent(self, *, account_id: str | None = None, limit: int = 100) -> list[AuditRecord]:
        """The newest records first (of one account, or of all)."""


class RegistryLookup(Protocol):
    def station(self, station_id: str) -> RegisteredStation | None:
        """The registered station (or firm reporter) with this id, or None."""

    def has_expert(self, expert_id: str) -> bool:
        """True when the expert is in the expert registry."""


class AccountsUnit(Protocol):
    """The repositories of one transaction."""

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def registry(self) -> RegistryLookup: ...


class AccountStorage(Protocol):
    def transaction(self) -> AbstractContextManager[AccountsUnit]:
        """One transaction: committed when the block ends, rolled back when it raises."""
