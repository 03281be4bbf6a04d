"""Single sign-on: a JWT signed by the configured OIDC issuer, verified here, names an account.

`install_auth(..., sso=OidcConfig.from_settings(settings))` puts an `OidcVerifier` in front of
the opaque-token check: a bearer token shaped like a JWT (three base64url segments) comes
here, anything else (`rt1_…`) goes to `check_token` as before. What a token must pass, in
order; the first miss is the metric reason, the caller always gets the same 401:

1. `alg` among RECALL_OIDC_ALGORITHMS — asymmetric only, so never `none`, never an HS* "secret"
   that is really the issuer's public key — and a `kid` naming one of the issuer's signing
   keys whose type fits that algorithm; then the signature (`bad_signature`);
2. `exp`, `iat`, `nbf` within RECALL_OIDC_LEEWAY_S (`expired`, `bad_claims`); `iss` exactly
   the issuer (`wrong_issuer`); `aud` naming RECALL_OIDC_AUDIENCE (`wrong_audience`); `exp`,
   `iat`, `iss`, `aud` and the account claim present (`bad_claims`);
3. the account claim (RECALL_OIDC_ACCOUNT_CLAIM, `sub` by default) equal to the name of one
   enabled account (`check_subject`: `unknown_subject`, `ambiguous_subject`, `disabled`). Role
   and region are the account's: nothing in a token can grant a scope.

Keys come from RECALL_OIDC_JWKS_URL, else the discovery document's `jwks_uri`. They are kept
for `keys_max_age_s` and fetched again at once for an unseen `kid` (the issuer rotated), but
at most once per `refresh_cooldown_s`, so made-up `kid`s cannot turn us into a flood on the
issuer. While the issuer is unreachable the keys at hand keep working; with none at hand,
`IssuerUnavailableError` becomes a 503 with Retry-After: the token may well be good, so a
401 would make clients throw it away, and a 500 would blame us for an outage elsewhere.

Throttling: a failure counts against the client address always, and against the account key
`oidc:<claim>` only once the issuer's signature has been verified, so forged tokens that
merely name an account cannot lock it out.
"""

from __future__ import annotations

import http.client
import json
import math
import re
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import jwt
import structlog
from jwt.exceptions import InvalidJTIError, InvalidSubjectError

from recall.config import Settings, check_idp_url
from recall.service.accounts import commands
from recall.service.accounts.commands import Authentication, AuthFailure
from recall.service.accounts.ports import AccountStorage

__all__ = ["IssuerUnavailableError", "OidcConfig", "OidcVerifier", "looks_like_jwt"]

log = structlog.get_logger(__name__)

MAX_DOCUMENT_BYTES = 1_000_000
_JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_FAMILIES = {"RSA": ("RS", "PS"), "EC": ("ES",), "OKP": ("EdDSA",)}
_CURVES = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
# Raised by PyJWT only after the signature was verified: the token really is the issuer's.
_SIGNED_BUT: tuple[tuple[type[jwt.PyJWTError], AuthFailure], ...] = (
    (jwt.ExpiredSignatureError, AuthFailure.EXPIRED),
    (jwt.InvalidIssuerError, AuthFailure.WRONG_ISSUER),
    (jwt.InvalidAudienceError, AuthFailure.WRONG_AUDIENCE),
    (jwt.MissingRequiredClaimError, AuthFailure.BAD_CLAIMS),
    (jwt.ImmatureSignatureError, AuthFailure.BAD_CLAIMS),
    (jwt.InvalidIssuedAtError, AuthFailure.BAD_CLAIMS),
    (InvalidSubjectError, AuthFailure.BAD_CLAIMS),
    (InvalidJTIError, AuthFailure.BAD_CLAIMS),
)


class IssuerUnavailableError(Exception):
    """The issuer's keys cannot be had now; try again after `retry_after` seconds."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class OidcConfig:
    """What single sign-on checks tokens against (from `Settings`; see its `oidc_*` fields)."""

    issuer: str
    audience: str
    algorithms: tuple[str, ...]
    account_claim: str = "sub"
    jwks_url: str | None = None
    leeway_s: float = 30.0
    timeout_s: float = 5.0
    refresh_cooldown_s: float = 30.0
    keys_max_age_s: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcConfig | None:
        """The configuration, or None when single sign-on is off (no issuer set)."""
        if not settings.oidc_issuer or not settings.oidc_audience:
            return None  # Settings refuses an issuer without an audience; this is "off"
        return cls(
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience,
            algorithms=settings.oidc_algorithm_list,
            account_claim=settings.oidc_account_claim,
            jwks_url=settings.oidc_jwks_url or None,
            leeway_s=settings.oidc_leeway_s,
            timeout_s=settings.oidc_timeout_s,
        )


def looks_like_jwt(token: str) -> bool:
    """Three base64url segments: a compact JWS. An `rt1_` token never contains a dot."""
    return _JWT_SHAPE.fullmatch(token) is not None


@dataclass(frozen=True, slots=True)
class _Key:
    jwk: jwt.PyJWK
    algorithms: tuple[str, ...]  # configured ∩ what this key's type, curve and `alg` allow


class IssuerKeys:
    """The issuer's signing keys by `kid`, fetched on demand and shared by all request threads.

    One lock around lookups and fetches: a fetch is rare, and threads that arrive meanwhile
    want its result rather than a fetch of their own.
    """

    def __init__(self, config: OidcConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, _Key] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None

    def get(self, kid: str) -> _Key | None:
        """The key with this id, or None; `IssuerUnavailableError` when no key is at hand."""
        with self._lock:
            now = self._clock()
            age = None if self._fetched_at is None else now - self._fetched_at
            if age is None or age >= self._config.keys_max_age_s or kid not in self._keys:
                self._refresh(now)
            return self._keys.get(kid)

    def _refresh(self, now: float) -> None:
        cooldown = self._config.refresh_cooldown_s
        if self._attempted_at is not None and now - self._attempted_at < cooldown:
            if self._fetched_at is None:
                wait = max(1, math.ceil(self._attempted_at + cooldown - now))
                raise IssuerUnavailableError("the last fetch of the keys failed", wait)
            return
        self._attempted_at = now
        try:
            self._keys = self._fetch()
        except _IssuerAnswerError as error:
            log.warning("single sign-on: the issuer's keys could not be fetched", error=str(error))
            if self._fetched_at is None:
                wait = max(1, math.ceil(cooldown))
                raise IssuerUnavailableError(str(error), wait) from error
            return  # keep the keys we have until the issuer answers again
        self._fetched_at = now

    def _fetch(self) -> dict[str, _Key]:
        url = self._config.jwks_url or self._discover()
        keys: dict[str, _Key] = {}
        found = _get_json(url, self._config.timeout_s).get("keys")
        for raw in found if isinstance(found, list) else []:
            if isinstance(raw, dict) and (key := _signing_key(raw, self._config.algorithms)):
                keys[raw["kid"]] = key
        if not keys:
            raise _IssuerAnswerError(f"{url} holds no signing key for {self._config.algorithms}")
        return keys

    def _discover(self) -> str:
        issuer = self._config.issuer
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = _get_json(url, self._config.timeout_s)
        if document.get("issuer") != issuer:  # OpenID Connect Discovery 1.0, section 4.3
            raise _IssuerAnswerError(
                f"{url} names issuer {document.get('issuer')!r}, not {issuer!r}"
            )
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise _IssuerAnswerError(f"{url} has no jwks_uri")
        try:
            check_idp_url("jwks_uri", jwks_uri)
        except ValueError as error:
            raise _IssuerAnswerError(str(error)) from error
        return jwks_uri


class OidcVerifier:
    """Checks a JWT against the issuer and resolves it to an account (see the module text)."""

    def __init__(
        self,
        config: OidcConfig,
        storage: AccountStorage,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.storage = storage
        self.keys = IssuerKeys(config, clock)

    def verify(self, token: str) -> Authentication:
        """A principal, or why not; `IssuerUnavailableError` when no key can be had."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return Authentication(None, AuthFailure.MALFORMED, None)
        kid = header.get("kid")
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None or header.get("alg") not in key.algorithms:
            return Authentication(None, AuthFailure.BAD_SIGNATURE, None)
        try:
            claims = jwt.decode(
                token,
                key.jwk.key,
                algorithms=list(key.algorithms),  # from configuration and key, not the token
                audience=self.config.audience,
                issuer=self.config.issuer,
                leeway=self.config.leeway_s,
                options={"require": ["exp", "iat", "iss", "aud", self.config.account_claim]},
            )
        except jwt.PyJWTError as error:
            return self._refused(token, error)
        subject = claims[self.config.account_claim]
        if not isinstance(subject, str):
            return Authentication(None, AuthFailure.BAD_CLAIMS, None)
        return replace(commands.check_subject(self.storage, subject), token_id=_key_of(subject))

    def throttle_key(self, token: str) -> str | None:
        """The account key a JWT's failures are counted under, read before any check."""
        subject = _unverified_claims(token).get(self.config.account_claim)
        return _key_of(subject) if isinstance(subject, str) else None

    def _refused(self, token: str, error: jwt.PyJWTError) -> Authentication:
        for kind, failure in _SIGNED_BUT:
            if isinstance(error, kind):
                return Authentication(None, failure, self.throttle_key(token))
        if isinstance(error, jwt.InvalidSignatureError | jwt.InvalidAlgorithmError):
            return Authentication(None, AuthFailure.BAD_SIGNATURE, None)
        return Authentication(None, AuthFailure.MALFORMED, None)


class _IssuerAnswerError(Exception):
    """The issuer did not answer, or answered with something unusable."""


def _key_of(subject: str) -> str:
    return f"oidc:{subject}"


def _unverified_claims(token: str) -> dict[str, Any]:
    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}


def _signing_key(raw: dict[str, Any], configured: tuple[str, ...]) -> _Key | None:
    """A usable signature key with the algorithms it may verify, or None (skipped)."""
    kty, declared = raw.get("kty"), raw.get("alg")
    if not isinstance(raw.get("kid"), str) or raw.get("use", "sig") != "sig":
        return None
    prefixes = _FAMILIES.get(kty) if isinstance(kty, str) else None
    if prefixes is None:  # "oct" (a shared secret) or unknown: never a key for us
        return None
    crv = raw.get("crv")
    curve = _CURVES.get(crv) if isinstance(crv, str) else None
    if kty == "EC" and curve is None:  # ES256/384/512 each name one curve; others are refused
        return None
    algorithms = tuple(
        name
        for name in configured
        if name.startswith(prefixes)
        and (declared is None or name == declared)
        and (curve is None or name == curve)
    )
    if not algorithms:
        return None
    try:
        return _Key(jwt.PyJWK(raw, algorithm=algorithms[0]), algorithms)
    except jwt.PyJWTError:
        return None


def _get_json(url: str, timeout: float) -> dict[str, Any]:
    # Only https URLs (or http on loopback) get here: Settings and `_discover` check them.
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_DOCUMENT_BYTES + 1)
    except (OSError, ValueError, http.client.HTTPException) as error:  # URLError, timeouts
        raise _IssuerAnswerError(f"{url}: {error}") from error
    if len(body) > MAX_DOCUMENT_BYTES:
        raise _IssuerAnswerError(f"{url}: larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        document = json.loads(body)
    except ValueError as error:
        raise _IssuerAnswerError(f"{url}: not JSON ({error})") from error
    if not isinstance(document, dict):
        raise _IssuerAnswerError(f"{url}: not a JSON object")
    return document
