"""Who is calling: the bearer token of a request, resolved to a `Principal`; denials; audit.

Wiring (the app factory calls this once, with values from `Settings`)::

    install_auth(app, sessions, metrics,   # sessionmaker; prometheus CollectorRegistry (or None)
                 limits=AuthLimits.from_settings(settings),
                 sso=OidcConfig.from_settings(settings))   # None: single sign-on off

It stores an `AuthState` on `app.state.auth` (the account storage, the failure windows, the
Prometheus counters, the single sign-on verifier) and registers the handler that turns an
`AuthProblem` into problem+json.
Then, in routes:

- `current_principal` — the dependency every route uses (tests may override it with
  `app.dependency_overrides[current_principal] = ...`). It reads `Authorization: Bearer
  <token>`, answers 401 (`application/problem+json`, RFC 9457, with `WWW-Authenticate:
  Bearer`) for a missing, malformed, unknown, rotated-away or disabled token, or a JWT that
  fails any check — the caller is never told which — and 429 with `Retry-After` once an
  address or an account key (a token id, or a verified SSO subject) has failed too often in
  the window (`recall.domain.throttle.FailureWindow`); 503 with `Retry-After` when a JWT
  cannot be checked because the issuer's keys cannot be fetched. Failures are counted in
  `recall_api_auth_failures_total{reason}` (`idp_unavailable` for the 503).
- `count_denial(request, kind)` — whoever decides a 403 or a 404-outside-scope counts it in
  `recall_api_denials_total{kind}` (`kind`: a `recall.domain.access.Decision`, "forbidden" or
  "hidden").
- `audit(request, principal, action, subject, outcome)` — writes one audit-log entry for the
  authenticated account; `outcome` is an `AuditOutcome` or its value: "done", "denied" (403/404),
  "refused" (a domain rule said no) or "failed". It is synchronous (one short transaction):
  call it from `def` routes, which FastAPI runs in a thread.

The client address is `request.client.host`: behind a reverse proxy, run uvicorn with
`--proxy-headers --forwarded-allow-ips=<proxy>` so it is the real client, not the proxy.

Verifiers: with single sign-on configured, a token shaped like a JWT goes to
`recall.api.oidc.OidcVerifier` (the issuer's keys and claims, then the account it names);
every other token to `AuthState.verify`, which unset is
`recall.service.accounts.commands.check_token` over the accounts table (opaque `rt1_` tokens).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from recall.adapters.db.account_store import SqlAccountStorage
from recall.api.oidc import IssuerUnavailableError, OidcConfig, OidcVerifier, looks_like_jwt
from recall.config import Settings
from recall.domain.access import Decision, Principal
from recall.domain.throttle import FailureWindow
from recall.service.accounts import commands
from recall.service.accounts.commands import Authentication
from recall.service.accounts.ports import AccountStorage, AuditOutcome, AuditRecord
from recall.service.accounts.tokens import token_id_of

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "AuthLimits",
    "AuthMetrics",
    "AuthProblem",
    "AuthState",
    "audit",
    "count_denial",
    "current_principal",
    "install_auth",
    "verify_token",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
_CHALLENGE = 'Bearer realm="recall-tracker"'


@dataclass(frozen=True, slots=True)
class AuthLimits:
    """Failed authentications allowed per client address and per account key, per window."""

    per_address: int = 20
    per_token: int = 5
    window_s: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthLimits:
        """The operator's limits (RECALL_API_AUTH_FAILURE*): many users behind one NAT
        address need a larger per-address limit than a deployment facing the internet."""
        return cls(
            per_address=settings.api_auth_failures_per_address,
            per_token=settings.api_auth_failures_per_token,
            window_s=settings.api_auth_failure_window_s,
        )


@dataclass(frozen=True)
class AuthMetrics:
    """The two counters, registered in `registry` (expose it on the app's /metrics)."""

    registry: CollectorRegistry
    failures: Counter
    denials: Counter

    @classmethod
    def register(cls, registry: CollectorRegistry) -> AuthMetrics:
        return cls(
            registry=registry,
            failures=Counter(
                "recall_api_auth_failures",
                "Requests refused at authentication, by reason",
                ["reason"],
                registry=registry,
            ),
            denials=Counter(
                "recall_api_denials",
                "Authenticated requests denied: forbidden (403) or hidden outside scope (404)",
                ["kind"],
                registry=registry,
            ),
        )


@dataclass
class AuthState:
    """What `install_auth` keeps on `app.state.auth`."""

    storage: AccountStorage
    metrics: AuthMetrics
    limits: AuthLimits = field(default_factory=AuthLimits)
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    verify: Callable[[str], Authentication] | None = None
    sso: OidcVerifier | None = None
    by_address: FailureWindow = field(init=False)
    by_token: FailureWindow = field(init=False)

    def __post_init__(self) -> None:
        self.by_address = FailureWindow(self.limits.per_address, self.limits.window_s)
        self.by_token = FailureWindow(self.limits.per_token, self.limits.window_s)

    def check(self, token: str) -> Authentication:
        """Single sign-on for a JWT; else the configured verifier, or the opaque tokens."""
        if self.sso is not None and looks_like_jwt(token):
            return self.sso.verify(token)
        if self.verify is not None:
            return self.verify(token)
        return commands.check_token(self.storage, token)

    def throttle_key(self, token: str) -> str | None:
        """The account key this token's failures count under, known before it is checked."""
        if self.sso is not None and looks_like_jwt(token):
            return self.sso.throttle_key(token)
        return token_id_of(token)


class AuthProblem(HTTPException):
    """A 401, 429 or 503 from authentication, answered as problem+json by `install_auth`."""

    def __init__(self, status: int, detail: str, *, kind: str, headers: dict[str, str]) -> None:
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.kind = kind


def install_auth(
    app: FastAPI,
    sessions: sessionmaker[Session],
    metrics: CollectorRegistry | None = None,
    *,
    limits: AuthLimits | None = None,
    sso: OidcConfig | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> AuthState:
    """Make `current_principal`, `count_denial` and `audit` work for this app.

    `metrics` is the Prometheus registry the counters join (None: a new one, kept as
    `app.state.auth.metrics.registry`); one registry per app, since a counter name can be
    registered only once per registry. `sso` turns single sign-on on; `clock` (monotonic
    seconds) drives both the failure windows and the issuer's key refresh.
    """
    storage = SqlAccountStorage(sessions)
    state = AuthState(
        storage=storage,
        metrics=AuthMetrics.register(metrics if metrics is not None else CollectorRegistry()),
        limits=limits or AuthLimits(),
        clock=clock,
        sso=OidcVerifier(sso, storage, clock) if sso is not None else None,
    )
    app.state.auth = state
    app.add_exception_handler(AuthProblem, _on_auth_problem)  # type: ignore[arg-type]  # narrower
    return state


async def current_principal(request: Request) -> Principal:
    """The authenticated principal, or 401 (problem+json) when there is none, 429 when throttled."""
    # The failure windows are touched only here, on the event loop's thread: no lock needed.
    state = _state(request)
    _refuse_if_throttled(state, _address(request), None, state.clock())
    token = _bearer(request.headers.get("authorization")) or _session_token(request)
    if token is None:
        state.metrics.failures.labels(reason="missing").inc()
        raise AuthProblem(
            401,
            "this request needs a header `Authorization: Bearer <token>`;"
            " an administrator creates accounts with `recall accounts add`",
            kind="unauthorized",
            headers={"WWW-Authenticate": _CHALLENGE},
        )
    return await verify_token(request, token)


async def verify_token(request: Request, token: str) -> Principal:
    """The principal of `token`, with the same throttling, metrics and answers as every request:
    the dashboard's sign-in form checks a pasted token through here."""
    state = _state(request)
    address = _address(request)
    now = state.clock()
    _refuse_if_throttled(state, address, state.throttle_key(token), now)
    try:
        result = await run_in_threadpool(state.check, token)
    except IssuerUnavailableError as error:  # the token may be fine: not the caller's failure
        state.metrics.failures.labels(reason="idp_unavailable").inc()
        raise AuthProblem(
            503,
            "the single sign-on issuer cannot be reached to check this token; try again later",
            kind="identity-provider-unavailable",
            headers={"Retry-After": str(error.retry_after)},
        ) from None
    if result.principal is not None:
        return result.principal
    state.by_address.record(address, now)
    if result.token_id is not None:
        state.by_token.record(result.token_id, now)
    reason = result.failure.value if result.failure else "invalid"
    state.metrics.failures.labels(reason=reason).inc()
    raise AuthProblem(
        401,
        "the bearer token is not valid (it may be mistyped, rotated or disabled)",
        kind="unauthorized",
        headers={"WWW-Authenticate": f'{_CHALLENGE}, error="invalid_token"'},
    )


def count_denial(request: Request, kind: Decision | str) -> None:
    """Count one denied request: `Decision.FORBIDDEN` (403) or `Decision.HIDDEN` (404)."""
    _state(request).metrics.denials.labels(kind=str(kind)).inc()


def audit(
    request: Request,
    principal: Principal,
    action: str,
    subject: str,
    outcome: AuditOutcome | str,
    detail: str | None = None,
) -> AuditRecord:
    """Write one audit-log entry: this account did `action` to `subject`, with `outcome`."""
    state = _state(request)
    return commands.audit(
        state.storage,
        account_id=principal.account_id,
        action=action,
        subject=subject,
        outcome=AuditOutcome(outcome),
        at=state.now(),
        detail=detail,
    )


def _state(request: Request) -> AuthState:
    state = getattr(request.app.state, "auth", None)
    if not isinstance(state, AuthState):
        raise RuntimeError("authentication is not installed: call install_auth(app, …) first")
    return state


SESSION_COOKIE = "recall_session"
"""The dashboard's sign-in: the account's bearer token in an HttpOnly, SameSite=Strict cookie."""
CSRF_COOKIE = "recall_csrf"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _session_token(request: Request) -> str | None:
    """The dashboard session's token; a state-changing request must also echo the CSRF cookie.

    SameSite=Strict already keeps other sites' forms from sending the cookie; the
    double-submit token (a cookie page scripts can read, echoed in a header that other
    origins cannot set) is the second lock, for browsers or proxies that ignore SameSite.
    """
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    if request.method not in _SAFE_METHODS:
        expected = request.cookies.get(CSRF_COOKIE, "")
        echoed = request.headers.get(CSRF_HEADER, "")
        if not expected or not hmac.compare_digest(expected.encode(), echoed.encode()):
            raise AuthProblem(
                403,
                f"a change made with the dashboard's session needs the `{CSRF_HEADER}` header"
                f" equal to the `{CSRF_COOKIE}` cookie; reload the page and try again",
                kind="csrf",
                headers={},
            )
    return token


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _refuse_if_throttled(state: AuthState, address: str, token_id: str | None, now: float) -> None:
    wait = state.by_address.retry_after(address, now)
    if token_id is not None:
        wait = max(wait, state.by_token.retry_after(token_id, now))
    if wait:
        state.metrics.failures.labels(reason="rate_limited").inc()
        raise AuthProblem(
            429,
            f"too many failed authentications; try again in {wait} s",
            kind="too-many-failures",
            headers={"Retry-After": str(wait)},
        )


async def _on_auth_problem(request: Request, error: AuthProblem) -> JSONResponse:
    body = {
        "type": f"/problems/{error.kind}",
        "title": HTTPStatus(error.status_code).phrase,
        "status": error.status_code,
        "detail": error.detail,
        "instance": request.url.path,
    }
    return JSONResponse(
        body, status_code=error.status_code, media_type=PROBLEM_MEDIA_TYPE, headers=error.headers
    )
