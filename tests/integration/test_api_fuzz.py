"""schemathesis against the running API: uvicorn on a free port over PostgreSQL with seeded
data, the OpenAPI document loaded from `/openapi.json`, and for every operation a bounded
number of generated requests, anonymous and as a province regulator. Checks: no 5xx, every
response matches the document (status code declared, content type, body schema)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.api.app import create_api
from recall.config import load_settings
from recall.domain.access import Role
from recall.service.accounts.commands import add_account
from recall.service.accounts.scopes import NewAccount
from tests.unit.api.seed import DONE, seed_dead_letters, seed_investigations, seed_recalls

pytestmark = pytest.mark.integration
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 8


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(base URL, a province regulator's token) of the API served by uvicorn."""
    upgrade(database_url)
    sessions = make_session_factory(make_engine(database_url))
    seed_investigations(sessions)
    seed_recalls(sessions)
    seed_dead_letters(sessions)
    created = add_account(
        SqlAccountStorage(sessions),
        NewAccount("山西省市场监管局", Role.REGULATOR, region="140000"),
        by="test",
        at=datetime.now(UTC),
    )
    app = create_api(
        load_settings(database_url=database_url, state_dir=tmp_path), sessions=sessions
    )
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", created.token
    server.should_exit = True
    thread.join(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def fuzz(base_url: str, headers: dict[str, str]) -> tuple[int, list[str]]:
    """Requests sent, and one failure report per operation that failed a check."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=30)
    sent = 0
    failures: list[str] = []
    for operation in _operations(schema):
        count, found = fuzz_operation(operation, base_url, headers)
        sent += count
        failures += found
    return sent, failures


def fuzz_operation(operation: Any, base_url: str, headers: dict[str, str]) -> tuple[int, list[str]]:
    """`EXAMPLES` generated requests to one operation; the first failure's report, if any."""
    sent: list[int] = []
    found: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        sent.append(response.status_code)
        checks = CHECKS
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except FailureGroup as error:  # one report per operation, then the next one
            if not found:
                found.append(f"{operation.label}: {error}")

    run()
    return len(sent), found


@pytest.mark.timeout(600)
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("who", ["anonymous", "regulator"])
def test_every_operation_answers_as_documented(served: tuple[str, str], who: str) -> None:
    base_url, token = served
    headers = {"Authorization": f"Bearer {token}"} if who == "regulator" else {}
    sent, failures = fuzz(base_url, headers)
    print(f"schemathesis ({who}): {sent} requests, {len(failures)} operations failed")
    assert not failures, "\n\n".join(failures)


def _operations(schema: Any) -> list[Any]:
    """Every operation of the document (a part schemathesis cannot read fails the test)."""
    found = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        found.append(result.ok())
    return found


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_exports_and_reports_are_documented(served: tuple[str, str]) -> None:
    """Every list's exports (`format=csv`: text/csv, `format=ndjson`: application/x-ndjson) and
    the closure report (`format=html`, `format=pdf`) answer with a declared media type."""
    base_url, token = served
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=30)
    checked = []
    for operation in _operations(schema):
        if operation.method.upper() != "GET":
            continue
        path_parameters = {"recall_id": DONE} if "{recall_id}" in operation.path else {}
        if any(p.name not in path_parameters for p in operation.path_parameters):
            continue
        for value in _formats(operation.path, schema.raw_schema):
            case = operation.Case(query={"format": value}, path_parameters=path_parameters)
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            assert response.status_code == 200, (operation.label, value, response.text)
            case.validate_response(response, checks=[content_type_conformance], headers=headers)
            checked.append((operation.path, value, response.headers["content-type"][0]))
    media = {content_type.split(";")[0] for _, _, content_type in checked}
    assert {"text/csv", "application/x-ndjson", "text/html", "application/pdf"} <= media, checked


def _formats(path: str, document: dict[str, Any]) -> list[str]:
    """The values of a GET's `format` query parameter, read from the document as served
    (schemathesis renames the `$ref`s of the parameters it hands out)."""
    for parameter in document["paths"][path]["get"].get("parameters", []):
        if parameter["in"] == "query" and parameter["name"] == "format":
            declared = parameter["schema"]
            if "$ref" in declared:
                name = declared["$ref"].rsplit("/", 1)[-1]
                declared = document["components"]["schemas"][name]
            return list(declared.get("enum", []))
    return []
