"""A control character in a request's path or query, on every route of the API, on SQLite and
PostgreSQL: a path is a 404 (no object has such an id), a query value a 422 naming the
parameter, never a 500. PostgreSQL refuses NUL in any text parameter, so before the guard an
id `a%00b` sent to `/investigations/{id}` or `/webhooks/subscriptions/{id}/rotate-secret`
came back as a 500 from the lookup or the audit line of the attempt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from recall.adapters.db.models import AuditEntry
from recall.domain.access import Role
from recall.service.accounts.scopes import NewAccount
from tests.support.api import api_over

pytestmark = pytest.mark.integration

CONTROLS = ["\x00", "\x1b", "\n", "\x7f"]


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[tuple[FastAPI, TestClient, str]]:
    """The API over a fresh database, a client that keeps server errors as responses, and a
    province regulator's token."""
    with api_over(database_url, tmp_path, raise_server_exceptions=False) as served:
        shanxi = served.account(NewAccount("山西省市场监管局", Role.REGULATOR, region="140000"))
        yield served.app, served.client, shanxi.token
        with served.sessions() as session:
            subjects = session.scalars(select(AuditEntry.subject)).all()
    assert not any("\x00" in subject for subject in subjects)


Operation = tuple[str, str, list[dict[str, str]]]


def _operations(app: FastAPI) -> list[Operation]:
    """(method, path template, parameters) of every operation the OpenAPI document lists."""
    return [
        (method.upper(), path, operation.get("parameters", []))
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    ]


def _names(parameters: list[dict[str, str]], where: str) -> list[str]:
    return [p["name"] for p in parameters if p["in"] == where]


def _filled(path: str, parameters: list[dict[str, str]], value: str) -> str:
    for name in _names(parameters, "path"):
        path = path.replace("{" + name + "}", value)
    return path


def test_a_control_character_in_any_path_id_is_a_404(
    api: tuple[FastAPI, TestClient, str],
) -> None:
    app, client, token = api
    headers = {"Authorization": f"Bearer {token}"}
    operations = [op for op in _operations(app) if _names(op[2], "path")]
    assert len(operations) > 20, "the API's operations with ids were not found"
    for method, path, parameters in operations:
        for control in CONTROLS:
            encoded = f"a%{ord(control):02X}b"
            url = _filled(path, parameters, encoded)
            response = client.request(method, url, headers=headers)

            assert response.status_code == 404, (method, url, response.text)
            body = response.json()
            assert response.headers["content-type"] == "application/problem+json"
            assert f"U+{ord(control):04X}" in body["detail"]
            assert control not in body["instance"]


def test_a_control_character_in_any_query_value_is_a_422_naming_it(
    api: tuple[FastAPI, TestClient, str],
) -> None:
    app, client, token = api
    headers = {"Authorization": f"Bearer {token}"}
    checked = 0
    for method, path, parameters in _operations(app):
        url = _filled(path, parameters, "x")
        for name in _names(parameters, "query"):
            for control in CONTROLS:
                encoded = f"14%{ord(control):02X}0000"
                response = client.request(method, f"{url}?{name}={encoded}", headers=headers)

                assert response.status_code == 422, (method, url, name, response.text)
                fields = [e["field"] for e in response.json()["errors"]]
                assert fields == [f"query.{name}"]
                checked += 1
    assert checked > 100, "the API's query parameters were not found"


def test_clean_paths_and_queries_pass_the_guard(api: tuple[FastAPI, TestClient, str]) -> None:
    """Chinese text and percent-encoded printable characters are not control characters."""
    _, client, token = api
    headers = {"Authorization": f"Bearer {token}"}

    assert client.get("/leads?scope=140000", headers=headers).status_code == 200
    assert client.get("/regions?q=%E5%A4%AA%E5%8E%9F", headers=headers).status_code != 422
    missing = client.get("/investigations/%E8%B0%83%E6%9F%A5-1", headers=headers)
    assert missing.status_code == 404
    assert "control character" not in missing.json()["detail"]
