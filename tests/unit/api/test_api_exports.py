"""Every list's whole-list NDJSON export (`format=ndjson`) against its JSON pages.

The lists are read from the application's OpenAPI document, so a list added later without
the export, or without declaring it, fails here. For each list and each principal, the
export read one item at a time (`limit=1`, so several reads) must be exactly the JSON pages
walked through `next`: the same items, in the same order, with the same fields and values.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.read_model import SqlReadModel
from recall.service.readmodel.projection import project
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.read_model_seed import other_alerts, seed_read_model
from tests.unit.api.seed import (
    DONE,
    OPEN,
    PROVINCE,
    SH_RECALL,
    SHANGHAI,
    STATION,
    TAIYUAN,
    seed_investigations,
    seed_recalls,
)

LISTS = {
    "/alerts": "alerts",
    "/dead-letters": "dead-letters",
    "/investigations": "investigations",
    "/recalls": "recalls",
    "/referrals": "referrals",
    "/regional-risk": "regional-risk",
    "/scores": "scores",
    "/signals": "signals",
    "/stations": "stations",
}
"""Every paged list, and the name of its download."""
NDJSON = "application/x-ndjson"
HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _seeded(db: sessionmaker[Session]) -> None:
    seed_investigations(db)
    seed_recalls(db)
    seed_read_model(db)
    referral = other_alerts()[0]  # a second referral in Taiyuan: two pages of referrals
    later = referral.model_copy(
        update={"alert_id": "al-ref-ty-2", "subject": "RC-TY-2", "at": referral.at + HOUR}
    )
    project(SqlReadModel(db), alerts=[later])


def _json_pages(client: TestClient, path: str, query: str = "") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    url: str | None = f"{path}?limit=1{query}"
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
        items += response.json()["items"]
        url = response.json()["next"]
    return items


def _ndjson(client: TestClient, path: str, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"{path}?format=ndjson&limit=1{query}")
    assert response.status_code == 200, (path, response.text)
    assert response.headers["content-type"] == NDJSON
    assert response.headers["content-disposition"] == f'attachment; filename="{LISTS[path]}.ndjson"'
    assert response.text == "" or response.text.endswith("\n")
    return [json.loads(line) for line in response.text.split("\n")[:-1]]


def _unclocked(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items without `since`: a station's counting window starts at the time of the request."""
    return [{k: v for k, v in item.items() if k != "since"} for item in items]


def test_every_list_offers_and_declares_both_exports(app: FastAPI) -> None:
    document = app.openapi()
    exported = {}
    for path, methods in document["paths"].items():
        operation = methods.get("get", {})
        formats = [p for p in operation.get("parameters", []) if p["name"] == "format"]
        if formats and "{" not in path:
            schema = formats[0]["schema"]
            enum = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]["enum"]
            exported[path] = (enum, set(operation["responses"]["200"]["content"]))
    lists = {path: shape for path, shape in exported.items() if path != "/statistics"}
    assert set(lists) == set(LISTS)
    for path, (enum, media) in lists.items():
        assert enum == ["json", "csv", "ndjson"], path
        assert media == {"application/json", "text/csv", NDJSON}, path
    assert exported["/statistics"] == (["json", "csv"], {"application/json", "text/csv"})


@pytest.mark.parametrize("path", sorted(LISTS))
def test_ndjson_is_every_json_page_in_order(as_: AsPrincipal, path: str) -> None:
    seen_several = False
    for principal in (PROVINCE, TAIYUAN, SHANGHAI, STATION):
        client = as_(principal)
        if client.get(path).status_code == 403:
            assert client.get(f"{path}?format=ndjson").status_code == 403
            continue
        pages = _json_pages(client, path)
        exported = _ndjson(client, path)
        assert _unclocked(exported) == _unclocked(pages), (principal.account_id, path)
        seen_several |= len(pages) > 1
    assert seen_several, f"{path}: the seed should fill more than one page"


def test_the_export_honours_filters_and_sort(as_: AsPrincipal) -> None:
    client = as_(PROVINCE)
    completed = _ndjson(client, "/recalls", "&state=completed")
    assert [r["recall_id"] for r in completed] == [DONE]
    oldest_first = _ndjson(client, "/recalls", "&sort=start")
    assert [r["recall_id"] for r in oldest_first] == [DONE, OPEN]
    assert oldest_first == _json_pages(client, "/recalls", "&sort=start")


def test_an_item_outside_the_scope_is_never_exported(as_: AsPrincipal) -> None:
    taiyuan = [r["recall_id"] for r in _ndjson(as_(TAIYUAN), "/recalls")]
    shanghai = [r["recall_id"] for r in _ndjson(as_(SHANGHAI), "/recalls")]
    assert sorted(taiyuan) == [DONE, OPEN]
    assert shanghai == [SH_RECALL]
    region = _ndjson(as_(PROVINCE), "/alerts", "&region=140100")
    assert region
    assert all(a["jurisdiction"].startswith("1401") for a in region)
    everywhere = _ndjson(as_(PROVINCE), "/alerts") + _ndjson(as_(SHANGHAI), "/alerts")
    assert "al-none" not in {a["alert_id"] for a in everywhere}  # no jurisdiction: nobody's


def test_the_export_starts_at_the_cursor(as_: AsPrincipal) -> None:
    client = as_(PROVINCE)
    first = client.get("/recalls?limit=1").json()
    rest = client.get(first["next"].replace("limit=1", "limit=1&format=ndjson"))
    exported = [json.loads(line) for line in rest.text.splitlines()]
    assert [first["items"][0], *exported] == _json_pages(client, "/recalls")
