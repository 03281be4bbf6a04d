"""/cases and /firms/{code}/credit: area scoping (404 outside), transitions, credit records."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import OutboxRow
from recall.domain.access import Principal, Role
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.seed import (
    FIRM,
    PROVINCE,
    SHANGHAI,
    SHANGHAI_MAKER,
    STATION,
    TAIYUAN,
    TAIYUAN_MAKER,
)
from tests.unit.cases.case_seed import case, seed_cases

TY = case("R-TY", TAIYUAN_MAKER, "140105")
SH = case("R-SH", SHANGHAI_MAKER, "310101")
OTHER_COUNTY = Principal("acc-jinyuan", Role.REGULATOR, region="140121")


@pytest.fixture(autouse=True)
def _seeded(db: sessionmaker[Session]) -> None:
    seed_cases(db, TY, SH)


def _ids(as_: AsPrincipal, who: Principal, query: str = "") -> list[str]:
    response = as_(who).get(f"/cases{query}")
    assert response.status_code == 200, response.text
    return [c["case_id"] for c in response.json()["items"]]


def test_regulators_list_the_cases_owned_in_their_area(as_: AsPrincipal) -> None:
    assert _ids(as_, TAIYUAN) == [TY.case_id]
    assert _ids(as_, SHANGHAI) == [SH.case_id]
    assert set(_ids(as_, PROVINCE)) == {TY.case_id}
    assert _ids(as_, OTHER_COUNTY) == []
    assert _ids(as_, TAIYUAN, "?region=310000") == []
    assert _ids(as_, TAIYUAN, "?state=penalised") == []


def test_other_roles_may_not_list_cases(as_: AsPrincipal) -> None:
    assert as_(STATION).get("/cases").status_code == 403
    assert as_(FIRM).get("/cases").status_code == 403


def test_a_case_outside_the_area_is_not_found(as_: AsPrincipal) -> None:
    assert as_(TAIYUAN).get(f"/cases/{TY.case_id}").status_code == 200
    assert as_(SHANGHAI).get(f"/cases/{TY.case_id}").status_code == 404
    assert as_(TAIYUAN).get("/cases/RC-MISSING").status_code == 404
    body = {"assignee": "x", "reason": "mine now"}
    assert as_(SHANGHAI).post(f"/cases/{TY.case_id}/assign", json=body).status_code == 404


def test_detail_shows_owner_tier_deadline_audit_and_next_actions(as_: AsPrincipal) -> None:
    shown = as_(TAIYUAN).get(f"/cases/{TY.case_id}").json()
    assert (shown["owner"], shown["tier"], shown["state"]) == ("140105", "county", "opened")
    assert shown["allowed_actions"] == ["assign", "escalate"]
    assert shown["audit"][0]["action"] == "open"
    assert shown["evidence"][0] == "referral alert al-1"


def test_an_outcome_before_assignment_is_409_naming_what_is_allowed(as_: AsPrincipal) -> None:
    response = as_(TAIYUAN).post(f"/cases/{TY.case_id}/rectified", json={"reason": "ok"})
    assert response.status_code == 409
    assert "allowed actions: assign, escalate" in response.json()["detail"]


def test_penalise_writes_the_credit_record_readable_per_firm(
    as_: AsPrincipal, db: sessionmaker[Session]
) -> None:
    client = as_(TAIYUAN)
    assigned = client.post(
        f"/cases/{TY.case_id}/assign", json={"assignee": "执法二队", "reason": "ours"}
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["state"] == "assigned"
    penalty = {"decision_no": "并市监罚〔2026〕7号", "fine_yuan": 30000, "measures": ""}
    done = client.post(
        f"/cases/{TY.case_id}/penalise", json={"reason": "逾期未报告", "penalty": penalty}
    )
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "penalised"
    assert done.json()["audit"][-1]["actor"] == "acc-taiyuan"
    again = client.post(f"/cases/{TY.case_id}/close", json={"reason": "again"})
    assert again.status_code == 409
    with db() as session:
        topics = list(
            session.scalars(select(OutboxRow.topic).where(OutboxRow.topic == "firms.credit"))
        )
    assert topics == ["firms.credit"]

    credit = client.get(f"/firms/{TAIYUAN_MAKER}/credit").json()["items"]
    assert [(r["case_id"], r["outcome"], r["penalty"]["fine_yuan"]) for r in credit] == [
        (TY.case_id, "penalised", 30000)
    ]
    assert len(as_(FIRM).get(f"/firms/{TAIYUAN_MAKER}/credit").json()["items"]) == 1
    assert as_(SHANGHAI).get(f"/firms/{TAIYUAN_MAKER}/credit").json()["items"] == []
    assert as_(STATION).get(f"/firms/{TAIYUAN_MAKER}/credit").status_code == 403


def test_a_penalty_without_a_decision_number_is_422(as_: AsPrincipal) -> None:
    client = as_(TAIYUAN)
    client.post(f"/cases/{TY.case_id}/assign", json={"assignee": "team", "reason": "ours"})
    penalty = {"decision_no": "", "fine_yuan": 1}
    response = client.post(
        f"/cases/{TY.case_id}/penalise", json={"reason": "r", "penalty": penalty}
    )
    assert response.status_code == 422
