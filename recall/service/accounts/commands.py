"""Accounts: add (the token is shown once), list, disable, rotate; authenticate; audit.

Each command is one transaction over `AccountStorage` and is itself audited (account changes
name who made them: `by` is an account id, or `cli:<login>` for an operator on the server).
`check_token` (opaque tokens) and `check_subject` (single sign-on, after the API verified the
JWT) say *why* a login failed, so the API can count failures by reason; the reason never
reaches the caller, who only learns that the token was not accepted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from recall.domain.access import Principal, Role
from recall.service.accounts import tokens
from recall.service.accounts.errors import (
    AccountDisabledError,
    AccountError,
    InvalidAccountError,
    UnknownAccountError,
)
from recall.service.accounts.ports import (
    AccountStorage,
    AccountsUnit,
    AuditOutcome,
    AuditRecord,
    StoredAccount,
)
from recall.service.accounts.scopes import NewAccount, check_registry, principal_for

__all__ = [
    "AccountDisabledError",
    "AccountError",
    "AccountView",
    "AuthFailure",
    "Authentication",
    "InvalidAccountError",
    "IssuedAccount",
    "NewAccount",
    "UnknownAccountError",
    "add_account",
    "audit",
    "authenticate",
    "check_subject",
    "check_token",
    "disable_account",
    "list_accounts",
    "principal_of",
    "rotate_token",
]

MAX_ACTOR_LENGTH = 64  # audit_log.account_id


class AuthFailure(StrEnum):
    """Why a presented token was not accepted (a metric label, never told to the caller).

    The first four apply to opaque `rt1_` tokens (`DISABLED` to single sign-on too); the rest
    to single sign-on tokens (JWTs), whose signature and claims the API checks before it asks
    `check_subject` for the account. No JWT library is imported here: only the verdicts are.
    """

    MALFORMED = "malformed"
    UNKNOWN = "unknown_token"
    WRONG_SECRET = "wrong_secret"
    DISABLED = "disabled"
    BAD_SIGNATURE = "bad_signature"  # no key of the issuer, a refused algorithm, or forged
    EXPIRED = "expired"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    BAD_CLAIMS = "bad_claims"  # not yet valid, issued in the future, a required claim missing
    UNKNOWN_SUBJECT = "unknown_subject"  # the issuer vouches for someone with no account here
    AMBIGUOUS_SUBJECT = "ambiguous_subject"  # two enabled accounts answer to that name


@dataclass(frozen=True, slots=True)
class AccountView:
    """An account as listed: everything but its token."""

    account_id: str
    name: str
    role: Role
    region: str | None
    station_id: str | None
    manufacturer_code: str | None
    expert_id: str | None
    created_at: datetime
    created_by: str
    rotated_at: datetime | None
    disabled_at: datetime | None
    disabled_by: str | None

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True, slots=True)
class IssuedAccount:
    """An account with its new token: the only time the token text exists outside the caller."""

    account: AccountView
    token: str

    def __repr__(self) -> str:
        return f"IssuedAccount(account={self.account!r}, token='***')"


@dataclass(frozen=True, slots=True)
class Authentication:
    """The result of checking a token: a principal, or why not (and the token id, if any)."""

    principal: Principal | None
    failure: AuthFailure | None
    token_id: str | None


def add_account(
    storage: AccountStorage, new: NewAccount, *, by: str, at: datetime
) -> IssuedAccount:
    """Create an account and its first token; the token is returned once and never stored."""
    _check_actor(by)
    name = new.name.strip()
    if not name or len(name) > 200:
        raise InvalidAccountError("the account name must be 1 to 200 characters")
    principal = principal_for(new, "pending")
    token = tokens.issue()
    stored = StoredAccount(
        account_id=f"acc-{uuid.uuid4().hex[:12]}",
        name=name,
        role=principal.role,
        region=principal.region,
        station_id=principal.station_id,
        manufacturer_code=principal.manufacturer_code,
        expert_id=principal.expert_id,
        token_id=token.token_id,
        token_sha256=token.sha256,
        created_at=at,
        created_by=by,
    )
    with storage.transaction() as unit:
        check_registry(unit, principal)
        unit.accounts.add(stored)
        _audit(unit, by, "accounts.add", stored.account_id, at, _scope_text(stored))
    return IssuedAccount(account=_view(stored), token=token.text)


def list_accounts(storage: AccountStorage) -> list[AccountView]:
    """Every account, oldest first, without tokens."""
    with storage.transaction() as unit:
        return [_view(account) for account in unit.accounts.list()]


def disable_account(
    storage: AccountStorage, account_id: str, *, by: str, at: datetime
) -> AccountView:
    """Disable an account: its token stops working at once, for good."""
    _check_actor(by)
    with storage.transaction() as unit:
        _enabled(unit, account_id)
        unit.accounts.disable(account_id, at=at, by=by)
        _audit(unit, by, "accounts.disable", account_id, at, None)
        found = unit.accounts.get(account_id)
    assert found is not None  # it was there a moment ago, in this transaction
    return _view(found)


def rotate_token(
    storage: AccountStorage, account_id: str, *, by: str, at: datetime
) -> IssuedAccount:
    """Give an account a new token, shown once; the old token stops working at once."""
    _check_actor(by)
    token = tokens.issue()
    with storage.transaction() as unit:
        _enabled(unit, account_id)
        unit.accounts.replace_token(
            account_id, token_id=token.token_id, token_sha256=token.sha256, at=at
        )
        _audit(unit, by, "accounts.rotate", account_id, at, None)
        found = unit.accounts.get(account_id)
    assert found is not None
    return IssuedAccount(account=_view(found), token=token.text)


def check_token(storage: AccountStorage, token: str) -> Authentication:
    """Resolve a presented token to its principal, or say why it is not accepted."""
    token_id = tokens.token_id_of(token)
    if token_id is None:
        return Authentication(None, AuthFailure.MALFORMED, None)
    with storage.transaction() as unit:
        account = unit.accounts.by_token_id(token_id)
    if account is None:
        return Authentication(None, AuthFailure.UNKNOWN, token_id)
    if not tokens.matches(token, account.token_sha256):
        return Authentication(None, AuthFailure.WRONG_SECRET, token_id)
    if not account.enabled:
        return Authentication(None, AuthFailure.DISABLED, token_id)
    return Authentication(principal_of(account), None, token_id)


def check_subject(storage: AccountStorage, subject: str) -> Authentication:
    """Resolve a single sign-on subject, already verified by the caller, to its account.

    The account is the one whose *name* is `subject` (`recall accounts add NAME`), so single
    sign-on needs no new column and an operator still decides who may come in by creating the
    account. Role and scope come from the account alone, never from the identity provider.
    Names are not unique: a disabled account beside its enabled successor is fine, but two
    enabled accounts of one name are refused rather than guessed between.
    """
    with storage.transaction() as unit:
        found = unit.accounts.by_name(subject)
    enabled = [account for account in found if account.enabled]
    if len(enabled) == 1:
        return Authentication(principal_of(enabled[0]), None, None)
    if enabled:
        return Authentication(None, AuthFailure.AMBIGUOUS_SUBJECT, None)
    failure = AuthFailure.DISABLED if found else AuthFailure.UNKNOWN_SUBJECT
    return Authentication(None, failure, None)


def authenticate(storage: AccountStorage, token: str) -> Principal | None:
    """The principal behind a token, or None (malformed, unknown, wrong, or disabled)."""
    return check_token(storage, token).principal


def audit(
    storage: AccountStorage,
    *,
    account_id: str,
    action: str,
    subject: str,
    outcome: AuditOutcome,
    at: datetime,
    detail: str | None = None,
) -> AuditRecord:
    """Record one action in the audit log (its own transaction) and return the record."""
    with storage.transaction() as unit:
        return _audit(unit, account_id, action, subject, at, detail, outcome)


def principal_of(account: StoredAccount) -> Principal:
    """The principal an account acts as."""
    return Principal(
        account_id=account.account_id,
        role=account.role,
        region=account.region,
        station_id=account.station_id,
        manufacturer_code=account.manufacturer_code,
        expert_id=account.expert_id,
    )


def _enabled(unit: AccountsUnit, account_id: str) -> StoredAccount:
    found = unit.accounts.get(account_id)
    if found is None:
        raise UnknownAccountError(f"no account {account_id!r}; see `recall accounts list`")
    if not found.enabled:
        raise AccountDisabledError(
            f"account {account_id!r} was disabled by {found.disabled_by} at"
            f" {found.disabled_at:%Y-%m-%d %H:%M}; a disabled account stays disabled:"
            " create a new one with `recall accounts add`"
        )
    return found


def _check_actor(by: str) -> None:
    if not by.strip() or len(by) > MAX_ACTOR_LENGTH:
        raise InvalidAccountError(f"--by must be 1 to {MAX_ACTOR_LENGTH} characters")


AUDIT_SUBJECT_CHARS = 200
"""An audit line names the object acted on, and the name comes from the request (a path's
id): a hostile or broken one is cut to this many characters, marked with an ellipsis, so the
attempt is still recorded (as `denied`, usually) instead of the write failing — PostgreSQL
refused a longer subject and the request ended in a 500 (found by the API fuzz test)."""


def bounded_subject(subject: str) -> str:
    """`subject` as the audit log keeps it (at most `AUDIT_SUBJECT_CHARS` characters)."""
    if len(subject) <= AUDIT_SUBJECT_CHARS:
        return subject
    return subject[: AUDIT_SUBJECT_CHARS - 1] + "…"


def _audit(
    unit: AccountsUnit,
    account_id: str,
    action: str,
    subject: str,
    at: datetime,
    detail: str | None,
    outcome: AuditOutcome = AuditOutcome.DONE,
) -> AuditRecord:
    record = AuditRecord(
        entry_id=uuid.uuid4().hex,
        account_id=account_id,
        action=action,
        subject=bounded_subject(subject),
        outcome=outcome,
        at=at,
        detail=detail,
    )
    unit.audit.append(record)
    return record


def _scope_text(account: StoredAccount) -> str:
    parts = [f"role={account.role.value}"]
    for name in ("region", "station_id", "manufacturer_code", "expert_id"):
        value = getattr(account, name)
        if value is not None:
            parts.append(f"{name}={value}")
    return " ".join(parts)


def _view(account: StoredAccount) -> AccountView:
    return AccountView(
        account_id=account.account_id,
        name=account.name,
        role=account.role,
        region=account.region,
        station_id=account.station_id,
        manufacturer_code=account.manufacturer_code,
        expert_id=account.expert_id,
        created_at=account.created_at,
        created_by=account.created_by,
        rotated_at=account.rotated_at,
        disabled_at=account.disabled_at,
        disabled_by=account.disabled_by,
    )
