"""Every action taken through the API is audited, and every denial counted.

`recorded` wraps an action: one audit-log entry for the authenticated account
(`recall.api.auth.audit`) saying how it ended — `done`, `denied` (403, or 404 outside the
scope), `refused` (a domain rule said no: 409, 422) or `failed` (an unexpected error). The
entry is written after the action's own transaction, in a short one of its own.

`hidden` and `forbidden` build the 404 and 403 problems of a scope decision and count them
(`recall.api.auth.count_denial`). A 404 for an object outside the scope reads exactly as the
404 for a missing one (`recall.api.problems.not_found`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request

from recall.api import auth
from recall.api.problems import ProblemError, is_refusal, not_found
from recall.api.problems import forbidden as forbidden_problem
from recall.domain.access import Decision, Principal, Role, Scoped, decide
from recall.service.accounts.ports import AuditOutcome


@contextmanager
def recorded(request: Request, principal: Principal, action: str, subject: str) -> Iterator[None]:
    """Audit the block with its outcome; the block's exception, if any, goes on."""
    try:
        yield
    except ProblemError as error:
        denied = error.status in (403, 404)
        outcome = AuditOutcome.DENIED if denied else AuditOutcome.REFUSED
        auth.audit(request, principal, action, subject, outcome, error.detail)
        raise
    except Exception as error:
        refused = is_refusal(error)
        outcome = AuditOutcome.REFUSED if refused else AuditOutcome.FAILED
        detail = str(error) if refused else type(error).__name__
        auth.audit(request, principal, action, subject, outcome, detail)
        raise
    auth.audit(request, principal, action, subject, AuditOutcome.DONE)


def hidden(request: Request, noun: str, identifier: str) -> ProblemError:
    """The 404 for an object outside the caller's scope (counted as a denial)."""
    auth.count_denial(request, Decision.HIDDEN)
    return not_found(noun, identifier)


def enforce(
    request: Request,
    principal: Principal,
    obj: Scoped,
    *,
    acting_roles: frozenset[Role],
    noun: str,
    identifier: str,
    action: str,
) -> None:
    """Raise the problem `decide` calls for (404 outside the scope, 403 for a role that sees
    but may not act), so every action route maps a decision to HTTP the same way."""
    decision = decide(principal, obj, acting_roles=acting_roles)
    if decision is Decision.HIDDEN:
        raise hidden(request, noun, identifier)
    if decision is Decision.FORBIDDEN:
        allowed = ", ".join(sorted(f"{role.value}s" for role in acting_roles))
        raise forbidden(request, f"{action} {_article(noun)} {noun}", allowed)


def _article(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"


def forbidden(request: Request, action: str, allowed: str) -> ProblemError:
    """The 403 for an object the caller sees but may not act on (counted as a denial)."""
    auth.count_denial(request, Decision.FORBIDDEN)
    return forbidden_problem(action, allowed)
