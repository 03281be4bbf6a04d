"""The application itself: problem documents, OpenAPI, the CDN-free docs page, health."""

from __future__ import annotations

import importlib
import re
import typing
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from recall.api import lists
from recall.api.problems import ProblemError
from recall.domain.investigations import Decision
from schemas.api import InvestigationDecision
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.seed import PROVINCE

PROBLEM = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def test_without_a_token_every_resource_is_a_401_problem(app: FastAPI) -> None:
    client = TestClient(app)
    for path in ("/investigations", "/recalls/RC-1", "/dead-letters"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert set(response.json()) >= {"type", "title", "status", "detail"}


def test_invalid_input_is_a_422_listing_fields_not_values(as_: AsPrincipal) -> None:
    response = as_(PROVINCE).get("/investigations?limit=0&sort=colour&state=SECRET-VALUE")
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert set(body) == PROBLEM_KEYS | {"errors"}
    assert body["type"] == "/problems/validation"
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"query.limit", "query.sort", "query.state.0"}
    assert "SECRET-VALUE" not in response.text
    assert as_(PROVINCE).get("/investigations?limit=501").status_code == 422


def test_unknown_path_and_method_are_problems(as_: AsPrincipal) -> None:
    missing = as_(PROVINCE).get("/nothing-here")
    assert (missing.status_code, missing.headers["content-type"]) == (404, PROBLEM)
    wrong = as_(PROVINCE).delete("/investigations")
    assert (wrong.status_code, wrong.headers["content-type"]) == (405, PROBLEM)


def test_an_unexpected_error_is_a_500_without_internals(app: FastAPI, as_: AsPrincipal) -> None:
    class Broken:
        def investigation_page(self, *_: object) -> None:
            raise RuntimeError("password=hunter2 at db.internal:5432")

    app.state.listings = Broken()
    response = as_(PROVINCE).get("/investigations")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert response.json()["title"] == "Internal Server Error"


def test_openapi_document_declares_every_route_with_a_model(app: FastAPI) -> None:
    document = TestClient(app).get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    operations = [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
    ]
    assert len(operations) >= 12
    for path, method, op in operations:
        success = "202" if path.startswith("/submissions/") and method == "post" else "200"
        ok = op["responses"][success]["content"]
        schema = next(iter(ok.values())).get("schema")
        if path.endswith("/closure-report"):
            assert "text/html" in ok
            continue
        assert schema and ("$ref" in schema or schema.get("type")), (path, method)
        if path != "/healthz":
            problem = op["responses"]["404"]["content"][PROBLEM]["schema"]
            assert problem["$ref"].endswith("/Problem"), (path, method)
    sorts = document["components"]["schemas"]["InvestigationSort"]["enum"]
    assert sorts == ["-opened_at", "opened_at", "-updated_at", "updated_at"]


def test_docs_page_loads_nothing_from_elsewhere(app: FastAPI) -> None:
    client = TestClient(app)
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/docs/assets/") for s in sources), sources
    assert "/openapi.json" in page.text
    for source in sources:
        assert client.get(source).status_code == 200, source


def test_health(app: FastAPI) -> None:
    assert TestClient(app).get("/healthz").json() == {"status": "ok"}


def test_a_cursor_round_trips_and_refuses_any_change() -> None:
    key = b"k" * 32
    position = (datetime(2024, 3, 1, 9, tzinfo=UTC), "intake.raw", 3, 17)
    cursor = lists.encode_cursor(key, position, "-received_at")
    assert lists.decode_cursor(key, cursor, "-received_at") == position
    with pytest.raises(ProblemError):
        lists.decode_cursor(b"other" * 8, cursor, "-received_at")
    with pytest.raises(ProblemError):
        lists.decode_cursor(key, cursor, "received_at")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        (-1, "-1"),
        (None, ""),
        (["a", "b"], "a; b"),
        ([{"field": "f"}], '[{"field":"f"}]'),
        (True, "true"),
    ],
)
def test_csv_cells(value: object, cell: str) -> None:
    assert lists._cell(value) == cell


def test_the_decision_literal_is_the_domains_vocabulary() -> None:
    assert list(typing.get_args(InvestigationDecision)) == [d.value for d in Decision]


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_openapi_document_is_consistent(app: FastAPI) -> None:
    """Every reference resolves; with openapi-spec-validator installed, the whole document
    is validated against the OpenAPI 3.1 schema too."""
    document = TestClient(app).get("/openapi.json").json()
    components = document["components"]["schemas"]
    refs = set(_refs(document))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in components, ref
    try:
        validator = importlib.import_module("openapi_spec_validator")
    except ImportError:  # not a dev dependency; checked where it is installed
        return
    validator.validate(document)
