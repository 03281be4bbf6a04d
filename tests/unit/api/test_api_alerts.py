"""GET /alerts, /regional-risk and /referrals: regulators by the alert's jurisdiction (an
alert without one is nobody's), every other role 403; filters, pages, CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.domain.access import Principal
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.read_model_seed import seed_read_model
from tests.unit.api.seed import EXPERT, FIRM, PROVINCE, PUBLIC, SHANGHAI, STATION, TAIYUAN


@pytest.fixture(autouse=True)
def _seeded(db: sessionmaker[Session]) -> None:
    seed_read_model(db)


def _items(as_: AsPrincipal, principal: Principal, path: str) -> list[dict[str, object]]:
    response = as_(principal).get(f"{path}{'&' if '?' in path else '?'}limit=500")
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


def _alert_ids(as_: AsPrincipal, principal: Principal, query: str = "") -> list[object]:
    return [a["alert_id"] for a in _items(as_, principal, f"/alerts?{query}")]


def test_alerts_by_jurisdiction_newest_first(as_: AsPrincipal) -> None:
    assert _alert_ids(as_, PROVINCE) == ["al-open-dt", "al-ref-ty", "ra-4", "ra-2", "ra-3", "ra-1"]
    assert _alert_ids(as_, TAIYUAN) == ["al-ref-ty", "ra-2", "ra-3", "ra-1"]
    assert _alert_ids(as_, SHANGHAI) == ["al-ref-sh", "ra-5"]
    assert "al-none" not in _alert_ids(as_, PROVINCE) + _alert_ids(as_, SHANGHAI)


def test_alert_filters(as_: AsPrincipal) -> None:
    assert _alert_ids(as_, PROVINCE, "kind=referral&kind=investigation_opened") == [
        "al-open-dt",
        "al-ref-ty",
    ]
    assert _alert_ids(as_, PROVINCE, "region=140200") == ["al-open-dt", "ra-4"]
    assert _alert_ids(as_, PROVINCE, "since=2024-03-02T00:00:00Z&until=2024-03-04T09:00:00Z") == [
        "ra-2",
        "ra-3",
    ]
    assert as_(PROVINCE).get("/alerts?kind=nonsense").status_code == 422


@pytest.mark.parametrize("path", ["/alerts", "/regional-risk", "/referrals"])
@pytest.mark.parametrize("principal", [EXPERT, STATION, FIRM, PUBLIC])
def test_other_roles_are_refused(as_: AsPrincipal, principal: Principal, path: str) -> None:
    response = as_(principal).get(path)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_regional_risk_groups_per_category_and_city(as_: AsPrincipal) -> None:
    groups = _items(as_, PROVINCE, "/regional-risk")
    assert [(g["category"], g["city"], g["alerts"]) for g in groups] == [
        ("appliances", "140200", 1),
        ("appliances", "140100", 2),
        ("children", "140100", 1),
    ]
    latest = groups[1]["latest"]
    assert isinstance(latest, dict) and latest["alert_id"] == "ra-2"
    assert groups[1]["latest_at"] == latest["at"]
    assert [g["city"] for g in _items(as_, SHANGHAI, "/regional-risk")] == ["310100"]
    assert [g["city"] for g in _items(as_, TAIYUAN, "/regional-risk?category=children")] == [
        "140100"
    ]
    early = _items(as_, PROVINCE, "/regional-risk?until=2024-03-02T00:00:00Z")
    assert [(g["city"], g["alerts"]) for g in early] == [("140100", 1)]


def test_regional_risk_pages_round_trip(as_: AsPrincipal) -> None:
    seen: list[str] = []
    url: str | None = "/regional-risk?limit=1"
    while url:
        body = as_(PROVINCE).get(url).json()
        seen += [f"{g['category']}|{g['city']}" for g in body["items"]]
        url = body["next"]
    assert seen == ["appliances|140200", "appliances|140100", "children|140100"]


def test_referrals(as_: AsPrincipal) -> None:
    referrals = _items(as_, PROVINCE, "/referrals")
    assert referrals == [
        {
            "alert_id": "al-ref-ty",
            "recall_id": "RC-TY",
            "jurisdiction": "140105",
            "at": "2024-03-07T09:00:00Z",
            "reasons": "2 reports missed",
            "missed": "2,3",
            "refused": False,
        }
    ]
    assert [r["recall_id"] for r in _items(as_, SHANGHAI, "/referrals")] == ["RC-SH"]


def test_pages_and_csv(as_: AsPrincipal) -> None:
    seen: list[str] = []
    url: str | None = "/alerts?limit=2"
    while url:
        body = as_(PROVINCE).get(url).json()
        seen += [a["alert_id"] for a in body["items"]]
        url = body["next"]
    assert seen == _alert_ids(as_, PROVINCE)
    for path, header in [
        ("/alerts", "预警编号 / Alert id"),
        ("/regional-risk", "品类 / Category"),
        ("/referrals", "召回编号 / Recall id"),
    ]:
        response = as_(TAIYUAN).get(f"{path}?format=csv&limit=1")
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
        assert rows[0][0] == header
        assert len(rows) == 1 + len(_items(as_, TAIYUAN, path))


def test_alerts_about_one_subject_and_still_in_scope(as_: AsPrincipal) -> None:
    """`subject`: one recall's (or investigation's) alerts — what a recall's page lists."""
    assert _alert_ids(as_, TAIYUAN, "subject=RC-TY") == ["al-ref-ty"]
    assert _alert_ids(as_, PROVINCE, "subject=RC-TY") == ["al-ref-ty"]
    assert _alert_ids(as_, TAIYUAN, "subject=RC-SH") == []  # Shanghai's recall: not in scope
    assert _alert_ids(as_, SHANGHAI, "subject=RC-SH") == ["al-ref-sh"]
    assert _alert_ids(as_, PROVINCE, "subject=RC-TY%25") == []  # exact, never a pattern
    assert as_(PROVINCE).get("/alerts?subject=").status_code == 422
