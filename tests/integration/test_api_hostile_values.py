"""Values at the edges of what a field can hold, on SQLite and PostgreSQL: each is a 4xx
problem naming what is wrong, never a 500. Every case here answered 500 on PostgreSQL before
(found by a sweep of hostile bodies, queries and cursors over every operation):

- a time whose UTC form leaves the calendar (`9999-12-31T23:59:59-01:00` is year 10000 in
  UTC), in a body or a report's `from`/`to`; and near the calendar's ends in a query, where
  the reports' own arithmetic (whole days, windows back from `to`) overflowed;
- a fine above the credit record's 4-byte column, or above any 64-bit integer;
- a NUL in the investigation id a lead is merged into;
- a signed cursor with a position no list issues (a leaked signing secret's forgery).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from recall.adapters.db.models import FirmCreditRecordRow
from recall.api.lists import encode_cursor
from recall.domain.access import Role
from recall.service.accounts.scopes import NewAccount
from schemas.cases import MAX_FINE_YUAN
from tests.support.api import ApiUnderTest, api_over
from tests.unit.api.seed import TAIYUAN_MAKER, seed_dead_letters, seed_investigations
from tests.unit.cases.case_seed import case, seed_cases

pytestmark = pytest.mark.integration

PAST_UTC = "9999-12-31T23:59:59-01:00"  # year 10000 in UTC
BEFORE_UTC = "0001-01-01T00:00:00+01:00"  # year 0 in UTC


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[ApiUnderTest]:
    with api_over(database_url, tmp_path, raise_server_exceptions=False) as served:
        seed_investigations(served.sessions)
        seed_dead_letters(served.sessions)
        yield served


def _regulator(api: ApiUnderTest) -> dict[str, str]:
    return api.bearer(NewAccount("山西省局", Role.REGULATOR, region="140000"))


def _referral(api: ApiUnderTest) -> str:
    """A seeded referral case (opened, owned by 140105); its URL."""
    referral = case("R-TY", TAIYUAN_MAKER, "140105")
    seed_cases(api.sessions, referral)
    return f"/cases/{referral.case_id}"


def _lead(reference: str, received_at: str) -> dict[str, Any]:
    return {
        "source": "complaint",
        "reference": reference,
        "jurisdiction": "140105",
        "product": {
            "category": "appliances",
            "kind": "kettle",
            "manufacturer_code": TAIYUAN_MAKER,
            "brand": "b",
            "model": "m",
        },
        "hazard": "fire",
        "summary": "s",
        "received_at": received_at,
    }


def _refused(response: Any, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def test_a_time_utc_cannot_hold_is_refused_in_a_body(api: ApiUnderTest) -> None:
    regulator = _regulator(api)

    for moment in (PAST_UTC, BEFORE_UTC):
        body = _refused(api.client.post("/leads", json=_lead("R-1", moment), headers=regulator))
        assert [e["field"] for e in body["errors"]] == ["body.received_at"]
    stored = api.client.post("/leads", json=_lead("R-2", "9999-12-31T23:59:59Z"), headers=regulator)
    assert stored.status_code == 200, "the calendar's last second in UTC itself is a time"


@pytest.mark.parametrize(
    "path", ["/statistics", "/statistics/leads", "/statistics/risk-by-region", "/signals"]
)
def test_a_report_window_beyond_1900_to_9000_is_refused(api: ApiUnderTest, path: str) -> None:
    regulator = _regulator(api)
    start, end = ("since", "until") if path == "/signals" else ("from", "to")
    for query in (
        f"{start}={BEFORE_UTC.replace('+', '%2B')}",
        f"{end}={PAST_UTC}",
        f"{end}=0001-01-01T00:00:00Z",
        f"{end}=9999-12-31T23:59:59Z",
        f"{start}=9999-12-31T23:59:59Z",
    ):
        body = _refused(api.client.get(f"{path}?{query}", headers=regulator))
        assert "1900" in body["errors"][0]["message"] or "UTC" in body["errors"][0]["message"]
    fine = api.client.get(f"{path}?{start}=2024-01-01T00:00:00%2B08:00", headers=regulator)
    assert fine.status_code == 200, fine.text


def test_a_station_traffic_window_beyond_the_bounds_is_refused(api: ApiUnderTest) -> None:
    station = api.bearer(NewAccount("太原站", Role.STATION, station_id="ST-TY-1"))
    for query in ("from=9999-12-31T23:59:59Z", "to=0001-01-01T00:00:00Z"):
        _refused(api.client.get(f"/stations/ST-TY-1/traffic?{query}", headers=station))
    assert api.client.get("/stations/ST-TY-1/traffic", headers=station).status_code == 200


def test_fines_up_to_a_trillion_yuan_are_stored_and_larger_ones_refused(
    api: ApiUnderTest,
) -> None:
    regulator = _regulator(api)
    url = _referral(api)
    assigned = api.client.post(
        f"{url}/assign", json={"assignee": "稽查一队", "reason": "r"}, headers=regulator
    )
    assert assigned.status_code == 200, assigned.text

    for fine in (MAX_FINE_YUAN + 1, 2**64, 10**400):
        penalty = {"decision_no": "晋市监罚〔2026〕7号", "fine_yuan": fine}
        body = _refused(
            api.client.post(
                f"{url}/penalise", json={"reason": "r", "penalty": penalty}, headers=regulator
            )
        )
        assert body["errors"][0]["field"] == "body.penalty.fine_yuan"
    penalty = {"decision_no": "晋市监罚〔2026〕7号", "fine_yuan": 2**31}  # past a 4-byte column
    penalised = api.client.post(
        f"{url}/penalise", json={"reason": "r", "penalty": penalty}, headers=regulator
    )
    assert penalised.status_code == 200, penalised.text
    with api.sessions() as session:
        fines = session.scalars(select(FirmCreditRecordRow.fine_yuan)).all()
    assert fines == [2**31]


def test_hidden_characters_in_a_case_action_and_a_nul_in_a_merge_are_refused(
    api: ApiUnderTest,
) -> None:
    regulator = _regulator(api)
    body = _refused(
        api.client.post(
            f"{_referral(api)}/assign",
            json={"assignee": "\u202e队一查稽", "reason": "r"},
            headers=regulator,
        )
    )
    assert body["errors"][0]["field"] == "body.assignee"

    lead = api.client.post("/leads", json=_lead("R-3", "2026-03-01T08:00:00Z"), headers=regulator)
    assert lead.status_code == 200, lead.text
    lead_id = lead.json()["lead"]["lead_id"]
    merge = {"investigation_id": "a\u0000b", "reason": "r"}
    body = _refused(api.client.post(f"/leads/{lead_id}/merge", json=merge, headers=regulator))
    assert body["errors"][0]["field"] == "body.investigation_id"


@pytest.mark.parametrize(
    "position",
    [
        ("2024-05-01T00:00:00+00:00", "a\x00b"),
        ("2024-05-01T00:00:00+00:00", {"id": 1}),
        ("2024-05-01T00:00:00+00:00", 2**63),
        (PAST_UTC, "k"),
        ("2024-05-01T00:00:00+00:00", "a", "b", "c", "d"),
        ("2024-05-01T00:00:00+00:00",),
    ],
)
def test_a_signed_cursor_with_a_position_no_list_issues_is_a_400(
    api: ApiUnderTest, position: tuple[object, ...]
) -> None:
    regulator = _regulator(api)
    cursor = encode_cursor(api.app.state.cursor_key, position, "-updated_at")

    response = api.client.get(
        "/investigations", params={"sort": "-updated_at", "cursor": cursor}, headers=regulator
    )

    assert _refused(response, 400)["type"] == "/problems/invalid-cursor"
