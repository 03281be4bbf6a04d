"""Deciding from the command line as an API account: `--as ACCOUNT_ID`.

A decision (assign, conclude, request a recall, evaluate, close) names an authenticated
account, whether it is made through the API or on the server. So the commands that decide take
`--as` with an account id — the first column of `recall accounts list`, the id `recall
accounts disable` and `rotate` take, the id the audit log keeps; a name is not unique — and:

- the account must exist and be enabled (otherwise nothing is done and nothing audited: there
  is no one to audit, as the API answers 401);
- its role must be one that acts, and the object must be inside its scope — the same rule the
  API applies (`recall.domain.access.decide`), so a city regulator cannot conclude another
  city's investigation from the shell either;
- the decision records the account id as its actor, as the API does;
- the action is written to the audit log by the service function the API's audit uses
  (`recall.service.accounts.commands.audit`), under the API's action names, with the API's
  outcomes: done, denied, refused (a domain rule said no, `recall.api.problems.is_refusal`)
  or failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from recall.cli.common import fail
from recall.domain.access import Decision, Principal, Role, Scoped, decide

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from recall.service.accounts.ports import AccountStorage, AuditOutcome

AS_HELP = (
    "The account that decides: its id as `recall accounts list` shows it (acc-…). It must be"
    " enabled, be a regulator's and cover the object's region; the decision and the audit log"
    " name it. Required."
)
AsAccount = Annotated[str | None, typer.Option("--as", help=AS_HELP, show_default=False)]
RetiredActor = Annotated[
    str | None, typer.Option("--actor", hidden=True, help="Replaced by --as.", show_default=False)
]
ACTING_ROLES = frozenset({Role.REGULATOR})
"""Who decides, as in the API's investigation and recall routes."""
_ADD_HINT = "recall accounts add NAME --role regulator --region CODE"


@dataclass(frozen=True, slots=True)
class Actor:
    """The account a command acts as, and the storage its audit entries go to."""

    principal: Principal
    storage: AccountStorage

    @property
    def account_id(self) -> str:
        return self.principal.account_id


class AccessDeniedError(Exception):
    """The account may not take this action on this object (audited as `denied`)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def acting_as(account: str | None, retired_actor: str | None, db: sessionmaker[Session]) -> Actor:
    """The enabled account `account` in the database `db`, or fail saying what to do next.

    `retired_actor` is what was passed to the retired `--actor`: free text that named no
    account, refused with a pointer to `--as` rather than silently ignored or guessed at.
    """
    if retired_actor is not None:
        fail(
            "--actor was replaced by --as: a decision is now recorded under an API account",
            "pass --as ACCOUNT_ID (`recall accounts list` shows the ids)",
        )
    if not account:
        fail(
            "--as ACCOUNT_ID is required: a decision names the account that makes it",
            f"`recall accounts list` shows the ids; create one with `{_ADD_HINT}`",
        )
    from recall.adapters.db.account_store import SqlAccountStorage
    from recall.service.accounts.commands import principal_of

    storage = SqlAccountStorage(db)
    with storage.transaction() as unit:
        found = unit.accounts.get(account)
        named = [a.account_id for a in unit.accounts.list() if a.name == account and a.enabled]
    if found is None:
        hint = (
            f"the account named {escape(repr(account))} has the id {', '.join(named)}: pass that"
            if named
            else f"`recall accounts list` shows the ids; create one with `{_ADD_HINT}`"
        )
        fail(f"no account with the id {escape(repr(account))}", hint)
    if not found.enabled:
        fail(
            f"account {escape(repr(account))} ({escape(found.name)}) was disabled by"
            f" {escape(found.disabled_by or '?')} at {found.disabled_at:%Y-%m-%d %H:%M}",
            f"act as an enabled account (`recall accounts list`) or create one with `{_ADD_HINT}`",
        )
    return Actor(principal_of(found), storage)


def permit(actor: Actor, obj: Scoped, *, action: str, noun: str, identifier: str) -> None:
    """Raise `AccessDeniedError` unless `decide` allows the account to act on the object."""
    decision = decide(actor.principal, obj, acting_roles=ACTING_ROLES)
    if decision is Decision.ALLOWED:
        return
    role = actor.principal.role
    if role not in ACTING_ROLES:
        raise AccessDeniedError(
            f"account {actor.account_id} is {_a(role.value)} account: only regulators may"
            f" {action} {_a(noun)}",
            f"act as a regulator account (`recall accounts list`), or create one with"
            f" `{_ADD_HINT}`",
        )
    raise AccessDeniedError(
        f"{noun} {identifier} (region {obj.region or 'unknown'}) is outside the area of"
        f" account {actor.account_id} (region {actor.principal.region})",
        "act as a regulator account whose region covers it (`recall accounts list`)",
    )


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


@contextmanager
def recorded(actor: Actor, action: str, subject: str) -> Iterator[None]:
    """Audit the block exactly as the API's `recall.api.audit.recorded` does.

    A denial is audited and reported here (with what to do next); any other exception is
    audited and goes on, to the command's own handler of refusals.
    """
    from recall.service.accounts.ports import AuditOutcome

    try:
        yield
    except AccessDeniedError as error:
        _audit(actor, action, subject, AuditOutcome.DENIED, str(error))
        fail(escape(str(error)), error.hint)
    except Exception as error:
        outcome, detail = _ended(error)
        _audit(actor, action, subject, outcome, detail)
        raise
    _audit(actor, action, subject, AuditOutcome.DONE, None)


def _ended(error: Exception) -> tuple[AuditOutcome, str]:
    """How the API would record this error: a missing object is a 404 (denied), a domain
    refusal a 409 or 422 (refused), anything else a 500 (failed, with the type only)."""
    from recall.api.problems import is_refusal
    from recall.service.accounts.ports import AuditOutcome
    from recall.service.cases.ports import CaseNotFoundError
    from recall.service.investigations.queries import InvestigationNotFoundError
    from recall.service.recalls.lookup import RecallNotFoundError

    if isinstance(error, InvestigationNotFoundError | RecallNotFoundError | CaseNotFoundError):
        return AuditOutcome.DENIED, str(error)
    if is_refusal(error):
        return AuditOutcome.REFUSED, str(error)
    return AuditOutcome.FAILED, type(error).__name__


def _audit(
    actor: Actor, action: str, subject: str, outcome: AuditOutcome, detail: str | None
) -> None:
    from recall.service.accounts.commands import audit

    audit(
        actor.storage,
        account_id=actor.account_id,
        action=action,
        subject=subject,
        outcome=outcome,
        at=datetime.now(UTC),
        detail=detail,
    )
