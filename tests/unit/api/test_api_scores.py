"""GET /scores per role: regulators by the score's region, a firm its own products, others 403;
filters, both orders paged to the end, CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.domain.access import Principal, Role
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.read_model_seed import (
    NOWHERE,
    SH_REGISTERED,
    TY_REGISTERED,
    TY_UNREGISTERED,
    seed_read_model,
)
from tests.unit.api.seed import EXPERT, FIRM, PROVINCE, PUBLIC, SHANGHAI, STATION, TAIYUAN


@pytest.fixture(autouse=True)
def _seeded(db: sessionmaker[Session]) -> None:
    seed_read_model(db)


def _keys(as_: AsPrincipal, principal: Principal, query: str = "") -> list[str]:
    response = as_(principal).get(f"/scores?limit=500{query}")
    assert response.status_code == 200, response.text
    return [item["product_key"] for item in response.json()["items"]]


def test_regulators_see_the_scores_of_their_area_highest_first(as_: AsPrincipal) -> None:
    assert _keys(as_, PROVINCE) == [TY_REGISTERED, TY_UNREGISTERED]  # 81.5, 64.0
    assert _keys(as_, TAIYUAN) == [TY_REGISTERED]
    assert _keys(as_, SHANGHAI) == [SH_REGISTERED]
    nation_less = {k for p in (PROVINCE, SHANGHAI) for k in _keys(as_, p)}
    assert NOWHERE not in nation_less  # a score without a region is nobody's


def test_a_firm_sees_its_own_products_whatever_their_region(as_: AsPrincipal) -> None:
    assert _keys(as_, FIRM) == [TY_REGISTERED, TY_UNREGISTERED]
    stranger = Principal("acc-firm-2", Role.FIRM, manufacturer_code="91110000000000000X")
    assert _keys(as_, stranger) == []


@pytest.mark.parametrize("principal", [EXPERT, STATION, PUBLIC])
def test_other_roles_are_refused_the_list(as_: AsPrincipal, principal: Principal) -> None:
    response = as_(principal).get("/scores")
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_filters_narrow_never_widen(as_: AsPrincipal) -> None:
    assert _keys(as_, PROVINCE, "&region=140200") == [TY_UNREGISTERED]
    assert _keys(as_, TAIYUAN, "&region=140000") == [TY_REGISTERED]  # not the province's
    assert _keys(as_, TAIYUAN, "&region=310000") == []
    assert _keys(as_, PROVINCE, "&risk_level=high") == [TY_UNREGISTERED]
    assert _keys(as_, PROVINCE, "&category=appliances") == [TY_REGISTERED, TY_UNREGISTERED]
    assert _keys(as_, PROVINCE, "&category=children") == []
    bad = as_(PROVINCE).get("/scores?region=140005")  # county digits under no city
    assert bad.status_code == 422


@pytest.mark.parametrize("sort", ["-score", "score", "-updated_at", "updated_at"])
def test_pages_round_trip_in_every_order(as_: AsPrincipal, sort: str) -> None:
    firm_like = Principal("acc-all", Role.REGULATOR, region="140000")
    expected = _keys(as_, firm_like, f"&sort={sort}")
    seen: list[str] = []
    url: str | None = f"/scores?limit=1&sort={sort}"
    while url:
        body = as_(firm_like).get(url).json()
        seen += [i["product_key"] for i in body["items"]]
        url = body["next"]
    assert seen == expected and len(seen) == 2
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    values = [i[field] for i in as_(firm_like).get(f"/scores?sort={sort}").json()["items"]]
    assert values == sorted(values, reverse=descending)


def test_a_cursor_of_another_order_or_tampered_is_a_400(as_: AsPrincipal) -> None:
    first = as_(PROVINCE).get("/scores?limit=1").json()
    cursor = first["next"].split("cursor=")[1]
    other = as_(PROVINCE).get(f"/scores?limit=1&sort=-updated_at&cursor={cursor}")
    assert other.status_code == 400
    tampered = as_(PROVINCE).get(f"/scores?limit=1&cursor=A{cursor}")
    assert tampered.status_code == 400


def test_csv_export_has_bilingual_headers_and_every_row(as_: AsPrincipal) -> None:
    response = as_(PROVINCE).get("/scores?format=csv&limit=1")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["产品 / Product", "风险分值 / Score", "风险等级 / Risk level"]
    assert [r[0] for r in rows[1:]] == [TY_REGISTERED, TY_UNREGISTERED]
    assert "score 81.5; +fire" in rows[1]
