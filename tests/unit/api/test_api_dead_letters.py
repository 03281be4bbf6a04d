"""/dead-letters: a station reads why its records were refused; regulators, their area's."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.domain.access import Principal, Role
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.seed import (
    EXPERT,
    FIRM,
    LETTERS,
    PROVINCE,
    PUBLIC,
    SHANGHAI,
    STATION,
    seed_dead_letters,
)


@pytest.fixture(autouse=True)
def _letters(db: sessionmaker[Session]) -> None:
    seed_dead_letters(db)


def _reporters(as_: AsPrincipal, principal: Principal, query: str = "") -> list[str]:
    response = as_(principal).get(f"/dead-letters?limit=500{query}")
    assert response.status_code == 200, response.text
    return [item["reporter_id"] for item in response.json()["items"]]


def test_a_station_reads_its_own_letters_with_reasons(as_: AsPrincipal) -> None:
    body = as_(STATION).get("/dead-letters").json()
    assert {item["reporter_id"] for item in body["items"]} == {"ST-TY-1"}
    assert len(body["items"]) == LETTERS["ST-TY-1"][1]
    letter = body["items"][0]
    assert set(letter) == {
        "topic", "partition", "offset", "reporter_id", "region", "reason", "errors", "received_at",
    }  # fmt: skip
    assert letter["errors"][0]["field"] == "payload.age"
    assert "ORIGINAL-BYTES" not in as_(STATION).get("/dead-letters").text


def test_regulators_read_their_area_stations_letters(as_: AsPrincipal) -> None:
    assert sorted(set(_reporters(as_, PROVINCE))) == ["ST-TY-1", "ST-TY-2"]
    assert set(_reporters(as_, SHANGHAI)) == {"ST-SH-1"}
    county = Principal("acc-county", Role.REGULATOR, region="140106")
    assert set(_reporters(as_, county)) == {"ST-TY-2"}
    assert set(_reporters(as_, PROVINCE, "&station=ST-SH-1")) == set()  # never widens
    assert len(_reporters(as_, PROVINCE, "&reason=schema")) == 4  # 3 of 5 + 1 of 2


def test_newest_first_and_pages(as_: AsPrincipal) -> None:
    client = as_(PROVINCE)
    times: list[str] = []
    url: str | None = "/dead-letters?limit=2"
    while url:
        body = client.get(url).json()
        times += [item["received_at"] for item in body["items"]]
        url = body["next"]
    assert len(times) == 7
    assert times == sorted(times, reverse=True)


def test_csv_export(as_: AsPrincipal) -> None:
    response = as_(STATION).get("/dead-letters?format=csv")
    assert response.headers["content-disposition"] == 'attachment; filename="dead-letters.csv"'
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][0] == "接收时间 / Received at"
    errors_column = rows[0].index("字段错误 / Field errors")
    assert "payload.age" in rows[1][errors_column]
    assert len(rows) == 1 + LETTERS["ST-TY-1"][1]


@pytest.mark.parametrize("principal", [EXPERT, FIRM, PUBLIC], ids=lambda p: p.role.value)
def test_other_roles_may_not_list(as_: AsPrincipal, principal: Principal) -> None:
    assert as_(principal).get("/dead-letters").status_code == 403
