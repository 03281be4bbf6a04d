"""Accounts for the CLI's decisions (`--as ACCOUNT_ID`) and what the audit log kept of them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.models import AuditEntry
from recall.domain.access import Role
from recall.service.accounts.commands import NewAccount, add_account, disable_account


def account(
    db: sessionmaker[Session],
    name: str,
    role: Role = Role.REGULATOR,
    *,
    region: str | None = None,
    expert_id: str | None = None,
    disabled: bool = False,
) -> str:
    """A new account's id, as `recall accounts add` makes it (and `disable`, if asked)."""
    storage = SqlAccountStorage(db)
    new = NewAccount(name, role, region=region, expert_id=expert_id)
    made = add_account(storage, new, by="test", at=datetime.now(UTC)).account.account_id
    if disabled:
        disable_account(storage, made, by="test", at=datetime.now(UTC))
    return made


def audited(db: sessionmaker[Session], account_id: str) -> list[tuple[str, str, str, str | None]]:
    """The account's audit entries (action, subject, outcome, detail), oldest first, without
    the entries of account management."""
    with db() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.subject, AuditEntry.outcome, AuditEntry.detail)
            .where(AuditEntry.account_id == account_id, ~AuditEntry.action.startswith("accounts."))
            .order_by(AuditEntry.at)
        ).all()
    return [(a, s, o, d) for a, s, o, d in rows]
