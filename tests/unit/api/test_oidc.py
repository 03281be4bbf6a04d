"""Single sign-on: JWTs from a real (small) identity provider over HTTP, verified end to end.

Each test runs `install_auth` with an `OidcConfig` on a tiny app (`/me` says who is calling),
over a migrated SQLite database and a hand-stepped monotonic clock (failure windows and the
key refresh cooldown); token lifetimes use the wall clock, as PyJWT does.
"""

from __future__ import annotations

import base64
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.api.app import create_api
from recall.api.auth import AuthLimits, current_principal, install_auth
from recall.api.oidc import OidcConfig, looks_like_jwt
from recall.config import Settings, load_settings
from recall.domain.access import Principal, Role
from recall.service.accounts.commands import NewAccount, add_account, disable_account
from tests.support.account_scenarios import T0
from tests.unit.api.oidc_idp import (
    AUDIENCE,
    DISCOVERY,
    JWKS,
    IdentityProvider,
    SigningKey,
    hs256,
    unsigned,
)

Caller = Annotated[Principal, Depends(current_principal)]
COOLDOWN = 30.0
OPAQUE_JUNK = "rt1_" + "A" * 16 + "_" + "B" * 43


@dataclass(frozen=True)
class Keys:
    rsa: SigningKey
    ec: SigningKey
    rotated: SigningKey  # published only once the test rotates
    stranger: SigningKey  # never published; same kid as `rsa`, to pass for it


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database per module, copied for each test: migrating is the slow part."""
    path = tmp_path_factory.mktemp("oidc") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def db(settings: Settings, template: Path) -> sessionmaker[Session]:
    """Overrides the conftest's: the same file `settings` names, copied from the template."""
    assert settings.database_url is not None
    shutil.copyfile(template, settings.database_url.removeprefix("sqlite:///"))
    return make_session_factory(make_engine(settings.sqlalchemy_url))


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(
        rsa=SigningKey.rsa("rsa-1"),
        ec=SigningKey.ec("ec-1"),
        rotated=SigningKey.rsa("rsa-2"),
        stranger=SigningKey.rsa("rsa-1"),
    )


@pytest.fixture
def idp(keys: Keys) -> Iterator[IdentityProvider]:
    provider = IdentityProvider(keys=[keys.rsa.jwk(), keys.ec.jwk()])
    provider.start()
    yield provider
    provider.stop()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Sso:
    client: TestClient
    storage: SqlAccountStorage
    metrics: CollectorRegistry
    clock: Clock
    idp: IdentityProvider

    def get(self, token: str) -> Response:
        response: Response = self.client.get("/me", headers=_bearer(token))
        return response

    def failures(self, reason: str) -> float:
        value = self.metrics.get_sample_value("recall_api_auth_failures_total", {"reason": reason})
        return value or 0.0

    def account(self, name: str, region: str = "140100") -> str:
        new = NewAccount(name, Role.REGULATOR, region=region)
        return add_account(self.storage, new, by="cli:test", at=T0).account.account_id


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _me_app() -> FastAPI:
    app = FastAPI()

    @app.get("/me")
    async def me(principal: Caller) -> dict[str, str | None]:
        return {
            "account_id": principal.account_id,
            "role": principal.role,
            "region": principal.region,
        }

    return app


MakeSso = Callable[..., Sso]


@pytest.fixture
def make_sso(db: sessionmaker[Session], idp: IdentityProvider) -> Iterator[MakeSso]:
    """`make_sso(**config_changes)`: the tiny app with single sign-on against `idp`."""
    clients: list[TestClient] = []

    def make(**changes: Any) -> Sso:
        config = OidcConfig(
            issuer=idp.issuer,
            audience=AUDIENCE,
            algorithms=("RS256", "ES256"),
            leeway_s=5,
            timeout_s=2,
            refresh_cooldown_s=COOLDOWN,
        )
        app, metrics, clock = _me_app(), CollectorRegistry(), Clock()
        limits = AuthLimits(per_address=4, per_token=2, window_s=60)
        install_auth(app, db, metrics, limits=limits, sso=replace(config, **changes), clock=clock)
        clients.append(TestClient(app))
        return Sso(clients[-1], SqlAccountStorage(db), metrics, clock, idp)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def sso(make_sso: MakeSso) -> Sso:
    return make_sso()


def test_a_valid_token_acts_as_the_named_account_with_that_accounts_scope(
    sso: Sso, keys: Keys
) -> None:
    alice = sso.account("alice")
    sso.account("bob", region="110000")
    # Claims that try to pick a role, a region or an account change nothing.
    claims = sso.idp.claims("alice", role="regulator", region="110000", account_id="acc-bob")
    for key in (keys.rsa, keys.ec):
        response = sso.get(key.sign(claims))
        assert response.status_code == 200, response.text
        assert response.json() == {"account_id": alice, "role": "regulator", "region": "140100"}
    assert sso.idp.hits[DISCOVERY] == 1 and sso.idp.hits[JWKS] == 1  # one fetch serves both


def _refused_tokens() -> dict[str, tuple[Callable[[IdentityProvider, Keys], str], str]]:
    now = int(time.time())

    def pem(keys: Keys) -> bytes:
        return keys.rsa.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def tampered(idp: IdentityProvider, keys: Keys) -> str:
        header, _, signature = keys.rsa.sign(idp.claims("bob")).split(".")
        payload = keys.rsa.sign(idp.claims("alice")).split(".")[1]
        return f"{header}.{payload}.{signature}"

    return {
        "expired": (
            lambda idp, k: k.rsa.sign(idp.claims("alice", iat=now - 7200, exp=now - 3600)),
            "expired",
        ),
        "wrong issuer": (
            lambda idp, k: k.rsa.sign(idp.claims("alice", iss="https://sso.elsewhere.example")),
            "wrong_issuer",
        ),
        "issuer with a trailing slash": (
            lambda idp, k: k.rsa.sign(idp.claims("alice", iss=idp.issuer + "/")),
            "wrong_issuer",
        ),
        "wrong audience": (
            lambda idp, k: k.rsa.sign(idp.claims("alice", aud=["another-app"])),
            "wrong_audience",
        ),
        "not yet valid": (
            lambda idp, k: k.rsa.sign(idp.claims("alice", nbf=now + 3600)),
            "bad_claims",
        ),
        "issued in the future": (
            lambda idp, k: k.rsa.sign(idp.claims("alice", iat=now + 3600)),
            "bad_claims",
        ),
        "no expiry": (lambda idp, k: k.rsa.sign(idp.claims("alice", exp=None)), "bad_claims"),
        "no subject": (lambda idp, k: k.rsa.sign(idp.claims(None)), "bad_claims"),
        "signed by a key not in the JWKS": (
            lambda idp, k: k.stranger.sign(idp.claims("alice")),
            "bad_signature",
        ),
        "unknown kid": (
            lambda idp, k: k.stranger.sign(idp.claims("alice"), kid="rsa-9"),
            "bad_signature",
        ),
        "alg none": (lambda idp, k: unsigned(idp.claims("alice"), "rsa-1"), "bad_signature"),
        "HS256 with the public key as secret": (
            lambda idp, k: hs256(idp.claims("alice"), pem(k), "rsa-1"),
            "bad_signature",
        ),
        "payload swapped under a signature": (tampered, "bad_signature"),
        "unknown subject": (lambda idp, k: k.rsa.sign(idp.claims("mallory")), "unknown_subject"),
        "three dots of nothing": (lambda idp, k: "abc.def.ghi", "malformed"),
    }


REFUSED = _refused_tokens()


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_every_refused_token_gets_the_same_401_and_is_counted_by_reason(
    sso: Sso, keys: Keys, case: str
) -> None:
    sso.account("alice")
    sso.account("bob")
    build, reason = REFUSED[case]
    opaque = sso.get(OPAQUE_JUNK)  # what any refused token looks like to the caller
    assert opaque.status_code == 401

    response = sso.get(build(sso.idp, keys))

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == opaque.headers["www-authenticate"]
    assert response.json() == opaque.json()
    assert sso.failures(reason) == 1


def test_a_disabled_account_is_refused_and_its_enabled_successor_is_used(
    sso: Sso, keys: Keys
) -> None:
    old = sso.account("alice")
    disable_account(sso.storage, old, by="cli:test", at=T0)
    token = keys.rsa.sign(sso.idp.claims("alice"))
    assert sso.get(token).status_code == 401
    assert sso.failures("disabled") == 1

    new = sso.account("alice")
    assert sso.get(token).json()["account_id"] == new


def test_two_enabled_accounts_of_one_name_are_refused_not_guessed_between(
    sso: Sso, keys: Keys
) -> None:
    sso.account("alice")
    sso.account("alice", region="110000")
    assert sso.get(keys.rsa.sign(sso.idp.claims("alice"))).status_code == 401
    assert sso.failures("ambiguous_subject") == 1


def test_a_shared_secret_key_in_the_jwks_is_never_used(sso: Sso, keys: Keys) -> None:
    secret = b"a-shared-secret-the-idp-published"
    encoded = base64.urlsafe_b64encode(secret).rstrip(b"=").decode()
    sso.idp.keys.append({"kty": "oct", "kid": "shared", "k": encoded})
    sso.account("alice")
    assert sso.get(hs256(sso.idp.claims("alice"), secret, "shared")).status_code == 401
    assert sso.failures("bad_signature") == 1


def test_a_key_rotated_in_after_the_first_fetch_is_fetched_and_accepted(
    sso: Sso, keys: Keys
) -> None:
    alice = sso.account("alice")
    assert sso.get(keys.rsa.sign(sso.idp.claims("alice"))).status_code == 200
    assert sso.idp.hits[JWKS] == 1

    sso.idp.keys.append(keys.rotated.jwk())
    sso.clock.now += COOLDOWN
    response = sso.get(keys.rotated.sign(sso.idp.claims("alice")))

    assert response.status_code == 200 and response.json()["account_id"] == alice
    assert sso.idp.hits[JWKS] == 2
    assert sso.get(keys.rsa.sign(sso.idp.claims("alice"))).status_code == 200
    assert sso.idp.hits[JWKS] == 2  # known kids are served from the fetched set


def test_made_up_kids_fetch_the_keys_at_most_once_per_cooldown(sso: Sso, keys: Keys) -> None:
    sso.account("alice")
    for kid in ("made-up-1", "made-up-2"):
        assert sso.get(keys.stranger.sign(sso.idp.claims("alice"), kid=kid)).status_code == 401
    assert sso.idp.hits[JWKS] == 1

    sso.clock.now += COOLDOWN
    assert sso.get(keys.stranger.sign(sso.idp.claims("alice"), kid="made-up-3")).status_code == 401
    assert sso.idp.hits[JWKS] == 2


def _assert_unavailable(response: Response, retry_after: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == retry_after
    assert response.json()["type"] == "/problems/identity-provider-unavailable"


def test_an_unreachable_issuer_is_a_503_with_retry_after_and_never_throttles(
    sso: Sso, keys: Keys
) -> None:
    sso.account("alice")
    sso.idp.mode = "down"
    token = keys.rsa.sign(sso.idp.claims("alice"))
    for _ in range(6):  # more than the 4 failures an address may make
        _assert_unavailable(sso.get(token), retry_after="30")
    assert sso.idp.hits[DISCOVERY] == 1  # one attempt per cooldown, not one per request
    assert sso.failures("idp_unavailable") == 6 and sso.failures("rate_limited") == 0

    sso.clock.now += 10
    _assert_unavailable(sso.get(token), retry_after="20")
    sso.idp.mode = "up"
    sso.clock.now += 20
    assert sso.get(token).status_code == 200


def test_a_closed_port_and_a_silent_issuer_are_503_too(make_sso: MakeSso, keys: Keys) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/jwks"
    refused = make_sso(jwks_url=closed)
    refused.account("alice")
    _assert_unavailable(refused.get(keys.rsa.sign(refused.idp.claims("alice"))), "30")

    silent = make_sso(timeout_s=0.2)
    silent.idp.mode = "hang"
    _assert_unavailable(silent.get(keys.rsa.sign(silent.idp.claims("alice"))), "30")


def test_keys_at_hand_keep_working_while_the_issuer_is_down(sso: Sso, keys: Keys) -> None:
    sso.account("alice")
    token = keys.rsa.sign(sso.idp.claims("alice"))
    assert sso.get(token).status_code == 200
    sso.idp.mode = "down"
    sso.clock.now += 301  # past the keys' max age: a refresh is attempted and fails
    assert sso.get(token).status_code == 200
    assert sso.idp.hits[DISCOVERY] == 2


def test_opaque_tokens_keep_working_with_single_sign_on_on(sso: Sso) -> None:
    issued = add_account(
        sso.storage, NewAccount("robot", Role.REGULATOR, region="140100"), by="cli:t", at=T0
    )
    response = sso.get(issued.token)
    assert (
        response.status_code == 200 and response.json()["account_id"] == issued.account.account_id
    )
    assert sso.get(OPAQUE_JUNK).status_code == 401
    assert sso.failures("unknown_token") == 1
    assert sso.idp.hits[JWKS] == 0  # an rt1_ token never reaches the issuer


def test_failures_of_a_signed_token_throttle_its_account(sso: Sso, keys: Keys) -> None:
    alice = sso.account("alice")
    sso.account("bob")
    now = int(time.time())
    expired = keys.rsa.sign(sso.idp.claims("alice", iat=now - 7200, exp=now - 3600))
    for _ in range(2):
        assert sso.get(expired).status_code == 401
    good = keys.rsa.sign(sso.idp.claims("alice"))

    throttled = sso.get(good)  # even a good token of that account waits

    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "60"
    assert throttled.headers["content-type"] == "application/problem+json"
    assert sso.failures("expired") == 2 and sso.failures("rate_limited") == 1
    assert sso.get(keys.rsa.sign(sso.idp.claims("bob"))).status_code == 200  # address not yet
    sso.clock.now += 60
    assert sso.get(good).json()["account_id"] == alice


def test_forged_tokens_that_name_an_account_do_not_lock_it_out(sso: Sso, keys: Keys) -> None:
    sso.account("alice")
    for _ in range(3):  # more than the account's 2, fewer than the address's 4
        assert sso.get(keys.stranger.sign(sso.idp.claims("alice"))).status_code == 401
    assert sso.get(keys.rsa.sign(sso.idp.claims("alice"))).status_code == 200


def test_failed_tokens_of_any_kind_throttle_the_address(sso: Sso, keys: Keys) -> None:
    sso.account("alice")
    for token in ("abc.def.ghi", OPAQUE_JUNK, keys.stranger.sign(sso.idp.claims("x")), "x.y.z"):
        assert sso.get(token).status_code == 401
    blocked = sso.get(keys.rsa.sign(sso.idp.claims("alice")))
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "60"


def test_create_api_takes_the_limits_and_the_issuer_from_settings(
    settings: Settings, db: sessionmaker[Session], idp: IdentityProvider, keys: Keys
) -> None:
    configured = load_settings(
        database_url=settings.database_url,
        state_dir=settings.state_dir,
        oidc_issuer=idp.issuer,
        oidc_audience=AUDIENCE,
        api_auth_failures_per_address=3,
        api_auth_failures_per_token=2,
        api_auth_failure_window_s=45.0,
    )
    app = create_api(configured, sessions=db)
    assert app.state.auth.limits == AuthLimits(per_address=3, per_token=2, window_s=45.0)
    add_account(
        SqlAccountStorage(db), NewAccount("alice", Role.REGULATOR, region="140100"), by="t", at=T0
    )
    good = keys.rsa.sign(idp.claims("alice"))
    other = keys.rsa.sign(idp.claims("alice", aud="another-app"))
    with TestClient(app) as client:
        assert client.get("/recalls", headers=_bearer(good)).status_code == 200
        assert client.get("/recalls", headers=_bearer(other)).status_code == 401


def test_without_an_issuer_a_jwt_is_just_a_malformed_token(
    app: FastAPI, idp: IdentityProvider, keys: Keys
) -> None:
    assert app.state.auth.sso is None
    token = keys.rsa.sign(idp.claims("alice"))
    with TestClient(app) as client:
        assert client.get("/recalls", headers=_bearer(token)).status_code == 401
    registry = app.state.auth.metrics.registry
    assert registry.get_sample_value("recall_api_auth_failures_total", {"reason": "malformed"}) == 1
    assert idp.hits[JWKS] == 0


@pytest.mark.parametrize(
    ("token", "shaped"),
    [
        ("eyJh.eyJz.c2ln", True),
        ("eyJh.eyJz.", True),  # alg none leaves the signature empty: still ours to refuse
        (OPAQUE_JUNK, False),
        ("a.b", False),
        ("a.b.c.d", False),
        ("a.b+/.c", False),
        ("", False),
    ],
)
def test_only_three_base64url_segments_look_like_a_jwt(token: str, shaped: bool) -> None:
    assert looks_like_jwt(token) is shaped
