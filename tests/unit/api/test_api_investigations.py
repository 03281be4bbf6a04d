"""/investigations for each role: the queue in scope, the file, and the regulator's actions."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import AuditEntry, InvestigationAuditRow
from recall.domain.access import Principal
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.seed import (
    EXPERT,
    FIRM,
    PROVINCE,
    PUBLIC,
    SHANGHAI,
    SHANGHAI_INVESTIGATIONS,
    SHANXI_INVESTIGATIONS,
    STATION,
    TAIYUAN,
    seed_investigations,
)

PROBLEM = "application/problem+json"


@pytest.fixture
def ids(db: sessionmaker[Session]) -> dict[str, str]:
    return seed_investigations(db)


def _all_ids(as_: AsPrincipal, principal: Principal, query: str = "") -> list[str]:
    body = as_(principal).get(f"/investigations?limit=500{query}").json()
    return [item["investigation_id"] for item in body["items"]]


def test_regulators_list_their_area_only(as_: AsPrincipal, ids: dict[str, str]) -> None:
    shanxi = {ids[p] for p, _, _ in SHANXI_INVESTIGATIONS}
    taiyuan = {ids[p] for p, _, region in SHANXI_INVESTIGATIONS if region.startswith("1401")}
    assert set(_all_ids(as_, PROVINCE)) == shanxi
    assert set(_all_ids(as_, TAIYUAN)) == taiyuan
    assert set(_all_ids(as_, SHANGHAI)) == {ids[p] for p, _, _ in SHANGHAI_INVESTIGATIONS}


def test_filters_narrow_within_the_scope(as_: AsPrincipal, ids: dict[str, str]) -> None:
    assert set(_all_ids(as_, PROVINCE, "&hazard=fire")) == {ids["k-2"], ids["k-6"]}
    assert set(_all_ids(as_, PROVINCE, "&region=140200")) == {ids["k-4"]}
    assert _all_ids(as_, TAIYUAN, "&region=310000") == []  # a filter never widens the scope
    assert len(_all_ids(as_, PROVINCE, "&state=opened&category=appliances")) == 7
    assert _all_ids(as_, PROVINCE, "&state=concluded") == []


def test_default_order_is_newest_opened_first(as_: AsPrincipal, ids: dict[str, str]) -> None:
    newest_first = [ids[p] for p, _, _ in reversed(SHANXI_INVESTIGATIONS)]
    assert _all_ids(as_, PROVINCE) == newest_first
    assert _all_ids(as_, PROVINCE, "&sort=opened_at") == newest_first[::-1]


@pytest.mark.parametrize("sort", ["-opened_at", "opened_at", "-updated_at", "updated_at"])
def test_pages_show_every_item_once(as_: AsPrincipal, ids: dict[str, str], sort: str) -> None:
    client = as_(PROVINCE)
    seen: list[str] = []
    url: str | None = f"/investigations?limit=3&sort={sort}"
    pages = 0
    while url is not None:
        body = client.get(url).json()
        seen += [item["investigation_id"] for item in body["items"]]
        url = body["next"]
        pages += 1
    assert pages == 3
    assert sorted(seen) == sorted(ids[p] for p, _, _ in SHANXI_INVESTIGATIONS)
    assert len(seen) == len(set(seen))


def test_a_tampered_or_foreign_cursor_is_a_400_problem(
    as_: AsPrincipal, ids: dict[str, str]
) -> None:
    client = as_(PROVINCE)
    next_url = client.get("/investigations?limit=2").json()["next"]
    cursor = next_url.split("cursor=")[1]
    body, signature = cursor.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    for bad in (f"{flipped}.{signature}", "garbage", f"{body}.", "é.é"):
        response = client.get("/investigations", params={"limit": 2, "cursor": bad})
        assert response.status_code == 400, bad
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"] == "/problems/invalid-cursor"
    other_sort = client.get("/investigations", params={"cursor": cursor, "sort": "updated_at"})
    assert other_sort.status_code == 400


def test_csv_export_streams_every_item_with_bilingual_header(
    as_: AsPrincipal, ids: dict[str, str]
) -> None:
    response = as_(TAIYUAN).get("/investigations?format=csv&limit=2")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][0] == "调查编号 / Investigation id"
    taiyuan = {ids[p] for p, _, region in SHANXI_INVESTIGATIONS if region.startswith("1401")}
    assert {row[0] for row in rows[1:]} == taiyuan  # every page, not only the first


def test_detail_has_evidence_and_audit_trail(as_: AsPrincipal, ids: dict[str, str]) -> None:
    response = as_(TAIYUAN).get(f"/investigations/{ids['k-1']}")
    assert response.status_code == 200
    body = response.json()
    assert body["evidence"][0]["evidence_id"] == "sig-k-1"
    assert body["audit"][0]["action"] == "open"
    assert body["allowed_actions"] == ["attach_evidence", "assign"]


def test_outside_the_scope_reads_exactly_as_missing(as_: AsPrincipal, ids: dict[str, str]) -> None:
    elsewhere = as_(SHANGHAI).get(f"/investigations/{ids['k-1']}")
    missing = as_(SHANGHAI).get("/investigations/no-such-id")
    assert elsewhere.status_code == missing.status_code == 404
    assert elsewhere.headers["content-type"] == PROBLEM

    def shape(body: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k not in ("detail", "instance")}

    assert shape(elsewhere.json()) == shape(missing.json())
    assert elsewhere.json()["detail"] == f"no investigation {ids['k-1']!r}"


@pytest.mark.parametrize("principal", [STATION, FIRM, PUBLIC], ids=lambda p: p.role.value)
def test_roles_without_investigations(
    as_: AsPrincipal, ids: dict[str, str], principal: Principal
) -> None:
    assert as_(principal).get("/investigations").status_code == 403
    assert as_(principal).get(f"/investigations/{ids['k-1']}").status_code == 404


def test_assign_conclude_request_recall_as_regulator_records_the_account(
    as_: AsPrincipal, ids: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = as_(TAIYUAN)
    target = ids["k-1"]
    assigned = client.post(f"/investigations/{target}/assign", json={"size": 2})
    assert assigned.status_code == 200, assigned.text
    panel = assigned.json()["investigation"]["expert_ids"]
    assert "EXP-001" not in panel  # works for the manufacturer: conflict of interest
    assert any("EXP-001" in line for line in assigned.json()["panel"])
    concluded = client.post(
        f"/investigations/{target}/conclude",
        json={
            "decision": "defect_confirmed",
            "reason": "插头绝缘不足 insulation fails GB 4706.1",
            "risk_level": "serious",
            "hazard_description": "live parts reachable",
        },
    )
    assert concluded.status_code == 200, concluded.text
    assert concluded.json()["state"] == "concluded"
    requested = client.post(f"/investigations/{target}/request-recall", json={"reason": "责令召回"})
    assert requested.status_code == 200, requested.text
    assert requested.json()["state"] == "recall_requested"
    with db() as session:
        actors = session.scalars(
            select(InvestigationAuditRow.actor).where(
                InvestigationAuditRow.investigation_id == target
            )
        ).all()
        audit = session.scalars(select(AuditEntry).where(AuditEntry.subject == target)).all()
    assert actors[1:] == ["acc-taiyuan"] * 3
    assert [(a.action, a.outcome, a.account_id) for a in audit] == [
        ("investigation.assign", "done", "acc-taiyuan"),
        ("investigation.conclude", "done", "acc-taiyuan"),
        ("investigation.request_recall", "done", "acc-taiyuan"),
    ]


def test_an_assigned_expert_sees_but_may_not_act(as_: AsPrincipal, ids: dict[str, str]) -> None:
    target = ids["k-1"]
    assert as_(EXPERT).get(f"/investigations/{target}").status_code == 404  # not on a panel yet
    assert as_(TAIYUAN).post(f"/investigations/{target}/assign").status_code == 200
    assert _all_ids(as_, EXPERT) == [target]  # its region is irrelevant, its panels are not
    assert as_(EXPERT).get(f"/investigations/{target}").status_code == 200
    refused = as_(EXPERT).post(
        f"/investigations/{target}/conclude", json={"decision": "no_defect", "reason": "ok"}
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM
    assert as_(EXPERT).post(f"/investigations/{ids['k-2']}/assign").status_code == 404


def test_actions_outside_the_scope_are_404_and_audited_as_denied(
    as_: AsPrincipal, ids: dict[str, str], db: sessionmaker[Session]
) -> None:
    response = as_(SHANGHAI).post(f"/investigations/{ids['k-1']}/assign")
    assert response.status_code == 404
    with db() as session:
        entry = session.scalars(select(AuditEntry)).one()
    assert (entry.account_id, entry.outcome) == ("acc-shanghai", "denied")


def test_domain_refusals_are_problems(as_: AsPrincipal, ids: dict[str, str]) -> None:
    client = as_(PROVINCE)
    early = client.post(f"/investigations/{ids['k-1']}/request-recall", json={"reason": "now"})
    assert early.status_code == 409
    assert early.json()["type"] == "/problems/illegal-transition"
    assert "allowed actions" in early.json()["detail"]
    assert client.post(f"/investigations/{ids['k-1']}/assign").status_code == 200
    half = client.post(
        f"/investigations/{ids['k-1']}/conclude",
        json={"decision": "defect_confirmed", "reason": "x"},  # no risk level
    )
    assert half.status_code == 422
    assert half.json()["type"] == "/problems/invalid-decision"
    blank = client.post(f"/investigations/{ids['k-1']}/request-recall", json={"reason": ""})
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["field"] == "body.reason"
