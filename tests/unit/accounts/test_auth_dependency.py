"""`current_principal` on a tiny app: 401 problem+json, 429 with Retry-After, metrics, audit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from httpx import Response
from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.api.auth import AuthLimits, audit, count_denial, current_principal, install_auth
from recall.domain.access import Decision, Principal, Role
from recall.service.accounts.commands import (
    NewAccount,
    add_account,
    disable_account,
    rotate_token,
)
from recall.service.accounts.ports import AuditOutcome
from tests.support.account_scenarios import T0

Caller = Annotated[Principal, Depends(current_principal)]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Api:
    client: TestClient
    storage: SqlAccountStorage
    metrics: CollectorRegistry
    clock: Clock

    def failures(self, reason: str) -> float:
        value = self.metrics.get_sample_value("recall_api_auth_failures_total", {"reason": reason})
        return value or 0.0

    def token(self, region: str = "140100") -> tuple[str, str]:
        new = NewAccount("city", Role.REGULATOR, region=region)
        issued = add_account(self.storage, new, by="cli:test", at=T0)
        return issued.account.account_id, issued.token


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/me")
    async def me(principal: Caller) -> dict[str, str | None]:
        return {"account_id": principal.account_id, "region": principal.region}

    @app.post("/things/{thing}/close")
    def close(thing: str, principal: Caller, request: Request) -> dict[str, str]:
        if thing == "secret":
            count_denial(request, Decision.HIDDEN)
            audit(request, principal, "things.close", thing, AuditOutcome.DENIED)
            return {"closed": "no"}
        audit(request, principal, "things.close", thing, "done", detail="why not")
        return {"closed": thing}

    return app


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    url = f"sqlite:///{tmp_path / 'recall.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions: sessionmaker[Session] = make_session_factory(engine)
    app, metrics, clock = _app(), CollectorRegistry(), Clock()
    install_auth(
        app,
        sessions,
        metrics,
        limits=AuthLimits(per_address=4, per_token=2, window_s=60),
        clock=clock,
    )
    with TestClient(app) as client:
        yield Api(client, SqlAccountStorage(sessions), metrics, clock)
    engine.dispose()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_valid_token_resolves_to_its_principal(api: Api) -> None:
    account_id, token = api.token()
    response = api.client.get("/me", headers=_bearer(token))
    assert response.status_code == 200
    assert response.json() == {"account_id": account_id, "region": "140100"}
    lowercase = api.client.get("/me", headers={"Authorization": f"bearer {token}"})
    assert lowercase.status_code == 200


def _assert_unauthorized(response: Response) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["title"] == "Unauthorized"
    assert body["type"] == "/problems/unauthorized" and body["detail"]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "missing"),
        ({"Authorization": "Bearer "}, "missing"),
        ({"Authorization": "Bearer not-a-token"}, "malformed"),
        ({"Authorization": "Bearer rt1_" + "A" * 16 + "_" + "B" * 43}, "unknown_token"),
    ],
)
def test_missing_or_invalid_tokens_are_401_problems_counted_by_reason(
    api: Api, headers: dict[str, str], reason: str
) -> None:
    _assert_unauthorized(api.client.get("/me", headers=headers))
    assert api.failures(reason) == 1


def test_a_wrong_secret_a_rotated_token_and_a_disabled_account_are_refused(api: Api) -> None:
    account_id, token = api.token()
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    _assert_unauthorized(api.client.get("/me", headers=_bearer(wrong)))
    assert api.failures("wrong_secret") == 1

    new = rotate_token(api.storage, account_id, by="cli:test", at=T0).token
    _assert_unauthorized(api.client.get("/me", headers=_bearer(token)))
    assert api.client.get("/me", headers=_bearer(new)).status_code == 200

    disable_account(api.storage, account_id, by="cli:test", at=T0)
    _assert_unauthorized(api.client.get("/me", headers=_bearer(new)))
    assert api.failures("disabled") == 1


def test_failures_per_token_id_are_throttled_with_retry_after(api: Api) -> None:
    _, token = api.token()
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    for _ in range(2):
        assert api.client.get("/me", headers=_bearer(wrong)).status_code == 401
    throttled = api.client.get("/me", headers=_bearer(token))  # even the right secret waits
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "60"
    assert throttled.headers["content-type"] == "application/problem+json"
    assert throttled.json()["status"] == 429
    assert api.failures("rate_limited") == 1
    _, other = api.token()
    assert api.client.get("/me", headers=_bearer(other)).status_code == 200  # address not yet
    api.clock.now += 60
    assert api.client.get("/me", headers=_bearer(token)).status_code == 200


def test_failures_per_address_are_throttled_whatever_the_token(api: Api) -> None:
    _, token = api.token()
    for i in range(4):
        junk = "rt1_" + f"{i:016d}" + "_" + "B" * 43
        assert api.client.get("/me", headers=_bearer(junk)).status_code == 401
    api.clock.now += 30
    blocked = api.client.get("/me", headers=_bearer(token))
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "30"
    assert api.client.get("/me").status_code == 429
    api.clock.now += 30
    assert api.client.get("/me", headers=_bearer(token)).status_code == 200


def test_denials_are_counted_and_actions_audited_with_the_account(api: Api) -> None:
    account_id, token = api.token()
    assert api.client.post("/things/t-1/close", headers=_bearer(token)).json() == {"closed": "t-1"}
    api.client.post("/things/secret/close", headers=_bearer(token))
    denied = api.metrics.get_sample_value("recall_api_denials_total", {"kind": "hidden"})
    assert denied == 1
    with api.storage.transaction() as unit:
        log = unit.audit.recent(account_id=account_id)
    assert sorted((r.action, r.subject, r.outcome, r.detail) for r in log) == [
        ("things.close", "secret", AuditOutcome.DENIED, None),
        ("things.close", "t-1", AuditOutcome.DONE, "why not"),
    ]


def test_routes_can_still_override_the_dependency(api: Api) -> None:
    app = api.client.app
    assert isinstance(app, FastAPI)
    app.dependency_overrides[current_principal] = lambda: Principal("acc-x", Role.PUBLIC)
    assert api.client.get("/me").json() == {"account_id": "acc-x", "region": None}
    app.dependency_overrides.clear()


def test_without_install_auth_the_mistake_is_named() -> None:
    client = TestClient(_app(), raise_server_exceptions=True)
    with pytest.raises(RuntimeError, match="install_auth"):
        client.get("/me", headers=_bearer("x"))
