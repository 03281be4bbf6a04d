"""In-memory `AccountStorage` for the accounts service's unit tests.

A transaction works on a deep copy and swaps it in on a normal exit, so a refused command
leaves nothing behind (an account without its audit entry, say) — as the database does.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from recall.service.accounts.ports import (
    AuditRecord,
    DuplicateTokenError,
    RegisteredStation,
    StoredAccount,
)


@dataclass
class MemoryAccountRepository:
    accounts: dict[str, StoredAccount] = field(default_factory=dict)

    def add(self, account: StoredAccount) -> None:
        if any(a.token_id == account.token_id for a in self.accounts.values()):
            raise DuplicateTokenError(account.token_id)
        self.accounts[account.account_id] = account

    def get(self, account_id: str) -> StoredAccount | None:
        return self.accounts.get(account_id)

    def by_token_id(self, token_id: str) -> StoredAccount | None:
        return next((a for a in self.accounts.values() if a.token_id == token_id), None)

    def by_name(self, name: str) -> list[StoredAccount]:
        return [a for a in self.list() if a.name == name]

    def list(self) -> list[StoredAccount]:
        return sorted(self.accounts.values(), key=lambda a: (a.created_at, a.account_id))

    def disable(self, account_id: str, *, at: datetime, by: str) -> bool:
        return self._change(account_id, disabled_at=at, disabled_by=by)

    def replace_token(
        self, account_id: str, *, token_id: str, token_sha256: str, at: datetime
    ) -> bool:
        return self._change(account_id, token_id=token_id, token_sha256=token_sha256, rotated_at=at)

    def _change(self, account_id: str, **values: object) -> bool:
        found = self.accounts.get(account_id)
        if found is None or not found.enabled:
            return False
        self.accounts[account_id] = dataclasses.replace(found, **values)  # type: ignore[arg-type]  # keyword values of StoredAccount fields
        return True


@dataclass
class MemoryAuditLog:
    records: list[AuditRecord] = field(default_factory=list)

    def append(self, record: AuditRecord) -> None:
        self.records.append(record)

    def recent(self, *, account_id: str | None = None, limit: int = 100) -> list[AuditRecord]:
        found = [r for r in self.records if account_id is None or r.account_id == account_id]
        return sorted(found, key=lambda r: r.at, reverse=True)[:limit]


@dataclass
class MemoryRegistry:
    stations: dict[str, RegisteredStation] = field(default_factory=dict)
    experts: set[str] = field(default_factory=set)

    def station(self, station_id: str) -> RegisteredStation | None:
        return self.stations.get(station_id)

    def has_expert(self, expert_id: str) -> bool:
        return expert_id in self.experts


@dataclass
class MemoryAccountsUnit:
    accounts: MemoryAccountRepository = field(default_factory=MemoryAccountRepository)
    audit: MemoryAuditLog = field(default_factory=MemoryAuditLog)
    registry: MemoryRegistry = field(default_factory=MemoryRegistry)


class MemoryAccountStorage:
    def __init__(self, registry: MemoryRegistry | None = None) -> None:
        self.state = MemoryAccountsUnit(registry=registry or MemoryRegistry())
        self.transactions = 0

    @contextmanager
    def transaction(self) -> Iterator[MemoryAccountsUnit]:
        working = copy.deepcopy(self.state)
        yield working
        self.state = working
        self.transactions += 1
