"""GET /signals per role: regulators by the signal's jurisdiction, everyone else 403; filters
(product, region, risk level, method, time range), pages, CSV."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.domain.access import Principal
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.read_model_seed import SH_REGISTERED, TY_REGISTERED, seed_read_model
from tests.unit.api.seed import EXPERT, FIRM, PROVINCE, PUBLIC, SHANGHAI, STATION, TAIYUAN


@pytest.fixture(autouse=True)
def _seeded(db: sessionmaker[Session]) -> None:
    seed_read_model(db)


def _ids(as_: AsPrincipal, principal: Principal, query: str = "") -> list[str]:
    response = as_(principal).get(f"/signals?limit=500{query}")
    assert response.status_code == 200, response.text
    return [item["signal_id"] for item in response.json()["items"]]


def test_regulators_see_the_signals_raised_in_their_area_newest_first(as_: AsPrincipal) -> None:
    assert _ids(as_, PROVINCE) == ["sig-f", "sig-d", "sig-b", "sig-a"]
    assert _ids(as_, TAIYUAN) == ["sig-f", "sig-b", "sig-a"]
    assert _ids(as_, SHANGHAI) == ["sig-e", "sig-c"]


@pytest.mark.parametrize("principal", [EXPERT, STATION, FIRM, PUBLIC])
def test_other_roles_are_refused(as_: AsPrincipal, principal: Principal) -> None:
    response = as_(principal).get("/signals")
    assert response.status_code == 403
    assert response.json()["status"] == 403


def test_filters(as_: AsPrincipal) -> None:
    product = quote(TY_REGISTERED, safe="")
    assert _ids(as_, PROVINCE, f"&product={product}") == ["sig-b", "sig-a"]
    assert _ids(as_, SHANGHAI, f"&product={product}") == ["sig-c"]
    assert _ids(as_, PROVINCE, f"&product={quote(SH_REGISTERED, safe='')}") == ["sig-f"]
    assert _ids(as_, PROVINCE, "&region=140200") == ["sig-d"]
    assert _ids(as_, TAIYUAN, "&region=140000") == ["sig-f", "sig-b", "sig-a"]
    assert _ids(as_, TAIYUAN, "&region=310000") == []
    assert _ids(as_, PROVINCE, "&risk_level=serious") == ["sig-d", "sig-a"]
    assert _ids(as_, PROVINCE, "&method=live_nb") == ["sig-f", "sig-a"]
    window = "&since=2024-03-02T09:00:00Z&until=2024-03-06T09:00:00Z"
    assert _ids(as_, PROVINCE, window) == ["sig-d", "sig-b"]


def test_a_time_range_must_be_ordered_and_zoned(as_: AsPrincipal) -> None:
    backwards = as_(PROVINCE).get("/signals?since=2024-03-05T00:00:00Z&until=2024-03-01T00:00:00Z")
    assert backwards.status_code == 422
    naive = as_(PROVINCE).get("/signals?since=2024-03-05T00:00:00")
    assert naive.status_code == 422
    for path in ("/signals", "/alerts", "/referrals", "/regional-risk"):
        ancient = as_(PROVINCE).get(f"{path}?since=0001-01-01T00:00:00%2B08:00")
        assert ancient.status_code == 422, path


def test_pages_round_trip(as_: AsPrincipal) -> None:
    seen: list[str] = []
    url: str | None = "/signals?limit=1"
    while url:
        body = as_(PROVINCE).get(url).json()
        seen += [i["signal_id"] for i in body["items"]]
        url = body["next"]
    assert seen == _ids(as_, PROVINCE)


def test_csv_export(as_: AsPrincipal) -> None:
    response = as_(TAIYUAN).get("/signals?format=csv&limit=2")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][0] == "信号编号 / Signal id"
    assert [r[0] for r in rows[1:]] == ["sig-f", "sig-b", "sig-a"]
    assert "5 reports; =1 expected" in rows[1]  # the explanation's lines, joined
