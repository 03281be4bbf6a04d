"""GET /statistics: figures computed from seeded rows, cut to the caller's area, in JSON and CSV.

Seed (tests/unit/api/seed.py): nine investigations opened by signals (seven in Shanxi, six of
them in Taiyuan; two in Shanghai), three recalls (two in Taiyuan, one in Shanghai) with their
notices and progress reports; plus, here, injury events, stored risk signals
(one of which opened an investigation: one lead, not two) and two conclusions.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Event, Product, RiskSignalRow
from recall.adapters.db.storage import SqlStorage
from recall.domain.access import Principal
from recall.domain.investigations import Decision, RiskLevel
from recall.service.investigations.commands import assign_experts, conclude
from recall.service.statistics.ports import LeadTally, RecallFigure
from recall.service.statistics.queries import Dimension, LeadSource, RegionLevel, aggregate
from tests.unit.api import seed
from tests.unit.api.conftest import AsPrincipal
from tests.unit.recalls_cli.recalls_cli_support import corrected_at

MONTH = seed.NOW.strftime("%Y-%m")
INJURY_AT = datetime(2024, 3, 10, 8, tzinfo=seed.NOW.tzinfo)


@pytest.fixture
def world(db: sessionmaker[Session]) -> dict[str, str]:
    return seed_world(db)


def seed_world(db: sessionmaker[Session]) -> dict[str, str]:
    """The seed's investigations and recalls, injuries, stored signals and two conclusions."""
    ids = seed.seed_investigations(db)
    seed.seed_recalls(db)
    with db.begin() as session:
        session.add(_product("P-TY", "children"))
        session.add_all(_injury(i, "140105", "P-TY") for i in range(3))
        session.add_all(_injury(i, "140106", None) for i in range(3, 5))
        session.add_all(_injury(i, "140202", "P-TY") for i in range(5, 9))  # Datong
        session.add_all(_injury(i, "310101", None) for i in range(9, 10))  # Shanghai
        session.add(_signal("sig-k-1", "140105", "ears_c2"))  # opened investigation k-1
        session.add(_signal("sig-samp-1", "140106", "sampling_failure"))
        session.add(_signal("sig-samp-2", "140106", "sampling_failure"))
        session.add(_signal("sig-samp-3", "140202", "sampling_failure"))  # Datong
    storage = SqlStorage(db)
    for product, decision in (("k-1", Decision.DEFECT_CONFIRMED), ("k-3", Decision.NO_DEFECT)):
        assign_experts(storage, ids[product], actor="seed", topics=seed.TOPICS, size=1)
        confirmed = decision is Decision.DEFECT_CONFIRMED
        conclude(
            storage,
            ids[product],
            decision=decision,
            reason="panel",
            actor="seed",
            topics=seed.TOPICS,
            risk_level=RiskLevel.SERIOUS if confirmed else None,
            hazard_description="hinge pinches fingers" if confirmed else None,
        )
    return ids


def _product(key: str, category: str) -> Product:
    return Product(product_key=key, brand="b", model="m", category=category, kind="stroller")


def _injury(i: int, region: str, product: str | None) -> Event:
    return Event(
        reporter_id="ST-TY-1",
        event_id=str(uuid.UUID(int=i)),
        type="injury_report",
        jurisdiction=region,
        product_key=product,
        occurred_at=INJURY_AT,
        sent_at=INJURY_AT,
        received_at=INJURY_AT + timedelta(hours=1),
        source_topic="intake",
        source_partition=0,
        source_offset=i,
        payload={},
    )


def _signal(signal_id: str, region: str, method: str) -> RiskSignalRow:
    return RiskSignalRow(
        signal_id=signal_id,
        product_key="x/acme/p",
        hazard="fire",
        category="appliances",
        jurisdiction=region,
        method=method,
        risk_level="serious",
        raised_at=datetime(2024, 4, 2, 9, tzinfo=seed.NOW.tzinfo),
        record={},
    )


def _get(client: TestClient, query: str = "") -> Any:
    response = client.get(f"/statistics{query}")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_city_regulator_counts_its_counties_only(world: object, as_: AsPrincipal) -> None:
    body = _get(as_(seed.TAIYUAN))
    assert body["groups"] == []
    total = body["total"]
    assert total == {
        "region": None,
        "category": None,
        "month": None,
        "year": None,
        # 5 injuries in 140105/140106 (the seed's notices and reports go to the recall tables)
        "events": {"injury_report": 5},
        # 6 investigations (k-1 also a stored signal: once) + 2 sampling signals in 140106
        "leads": {
            "purchase_sampling": 2,
            "injury_reports": 6,
            "media": 0,
            "complaints": 0,
            "other": 0,
        },
        "investigations_opened": 6,
        "investigations_concluded": {"defect_confirmed": 1, "no_defect": 1},
        "recalls": {
            "announced": 0,
            "in_progress": total["recalls"]["in_progress"],
            "lagging": total["recalls"]["lagging"],
            "completed": total["recalls"]["completed"],
            "evaluated": 0,
            "closed": 0,
        },
        "units_affected": 2000,
        "units_corrected": corrected_at(180) + corrected_at(90),
        "value_recalled": None,  # the seed's notices declare no unit value
        "recalls_without_value": 2,
        "recalls_by_tier": {"county": 2, "city": 0, "province": 0},
    }
    assert sum(total["recalls"].values()) == 2


def test_a_province_sees_every_city_and_shanghai_nothing_of_shanxi(
    world: object, as_: AsPrincipal
) -> None:
    province = _get(as_(seed.PROVINCE), "?group_by=region")
    regions = {g["region"]: g for g in province["groups"]}
    assert set(regions) == {"140100", "140200"}
    datong = regions["140200"]
    assert datong["events"] == {"injury_report": 4}
    assert datong["leads"] == {
        "purchase_sampling": 1,
        "injury_reports": 1,
        "media": 0,
        "complaints": 0,
        "other": 0,
    }
    assert datong["investigations_opened"] == 1
    assert province["total"]["investigations_opened"] == 7
    shanghai = _get(as_(seed.SHANGHAI))["total"]
    assert shanghai["events"] == {"injury_report": 1}
    assert shanghai["investigations_opened"] == 2
    assert shanghai["units_corrected"] == corrected_at(60)


def test_two_dimensions_and_a_time_range(world: object, as_: AsPrincipal) -> None:
    body = _get(as_(seed.TAIYUAN), "?group_by=category&group_by=month&to=2024-05-01T00:00:00Z")
    groups = {(g["category"], g["month"]): g for g in body["groups"]}
    assert set(groups) == {("children", "2024-03"), (None, "2024-03"), ("appliances", "2024-04")}
    assert groups[("children", "2024-03")]["events"] == {"injury_report": 3}
    assert groups[(None, "2024-03")]["events"] == {"injury_report": 2}
    assert groups[("appliances", "2024-04")]["leads"]["purchase_sampling"] == 2
    assert body["total"]["investigations_opened"] == 0
    assert body["to"] == "2024-05-01T00:00:00Z"
    assert (
        body["labels"]["leads.purchase_sampling"]
        == "缺陷线索·购买抽样检测 / Defect leads: Purchase sampling"
    )
    assert body["labels"]["category.children"] == "儿童用品 / Children's products"
    assert "declared_unit_value" in str(body["value_note"])


def test_region_level_county(world: object, as_: AsPrincipal) -> None:
    body = _get(as_(seed.TAIYUAN), "?group_by=region&region_level=county")
    regions = [g["region"] for g in body["groups"]]
    assert regions == ["140105", "140106", "140107", "140108"]


def test_csv_has_bilingual_headers_and_a_total_row(world: object, as_: AsPrincipal) -> None:
    response = as_(seed.TAIYUAN).get("/statistics?group_by=region&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [r["地区 / Region"] for r in rows] == ["140100", "合计 / Total"]
    assert rows[0]["立案调查 / Investigations opened"] == "6"
    assert rows[0]["缺陷线索·购买抽样检测 / Defect leads: Purchase sampling"] == "2"
    assert rows[1]["涉及数量 / Units affected"] == "2000"


@pytest.mark.parametrize("who", [seed.EXPERT, seed.STATION, seed.FIRM, seed.PUBLIC])
def test_other_roles_are_forbidden(who: Principal, as_: AsPrincipal) -> None:
    response = as_(who).get("/statistics")
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_bad_queries_are_problems(as_: AsPrincipal) -> None:
    client = as_(seed.TAIYUAN)
    assert (
        client.get("/statistics?group_by=region&group_by=month&group_by=category").status_code
        == 422
    )
    assert client.get("/statistics?group_by=weekday").status_code == 422
    assert client.get("/statistics?from=2024-05-01&to=2024-04-01").status_code == 422


def test_aggregate_rolls_up_and_attributes_leads() -> None:
    leads = [
        LeadTally(None, "sampling_failure", "140105", "toys", "2024-01", 2),
        LeadTally("sampling_failure", "sampling_failure", "140106", "toys", "2024-01", 1),
        LeadTally("injury_cluster", "severe_cluster", "140105", "toys", "2024-02", 4),
        LeadTally("manual", None, "140105", "toys", "2024-02", 1),
    ]
    recalls = [RecallFigure("140105", "toys", "2024-02", "in_progress", 100, 40)]
    stats = aggregate([], leads, recalls, group_by=[Dimension.MONTH], region_level=RegionLevel.CITY)
    assert [g.month for g in stats.groups] == ["2024-01", "2024-02"]
    assert stats.groups[0].leads == {LeadSource.PURCHASE_SAMPLING.value: 3}
    assert stats.groups[1].leads == {"injury_reports": 4, "other": 1}
    assert stats.total.units_affected == 100
    assert stats.total.recalls == {"in_progress": 1}


@pytest.mark.parametrize("who", [seed.TAIYUAN, seed.PROVINCE, seed.SHANGHAI])
def test_the_leads_report_is_the_statistics_leads_per_month(
    who: Principal, world: object, as_: AsPrincipal
) -> None:
    """GET /statistics/leads: the same leads as the full report grouped by month, same scope."""
    client = as_(who)
    full = client.get("/statistics", params={"group_by": "month"}).json()
    leads = client.get("/statistics/leads").json()
    assert leads["scope"] == who.region
    assert leads["total"] == full["total"]["leads"]
    assert [(m["month"], m["leads"]) for m in leads["months"]] == [
        (g["month"], g["leads"]) for g in full["groups"] if any(g["leads"].values())
    ]
    assert sum(leads["total"].values()) > 0 or who is seed.SHANGHAI


def test_the_leads_report_is_for_regulators_and_checks_its_range(as_: AsPrincipal) -> None:
    assert as_(seed.FIRM).get("/statistics/leads").status_code == 403
    bad = as_(seed.PROVINCE).get(
        "/statistics/leads", params={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    )
    assert bad.status_code == 422


@pytest.mark.parametrize("who", [seed.TAIYUAN, seed.PROVINCE, seed.SHANGHAI])
def test_open_investigations_by_age_are_the_open_queue(
    who: Principal, world: object, as_: AsPrincipal
) -> None:
    """GET /statistics/open-investigations counts exactly the open queue the caller lists."""
    client = as_(who)
    ages = client.get("/statistics/open-investigations").json()
    listed = client.get(
        "/investigations", params={"state": ["opened", "assigned"], "limit": 200}
    ).json()["items"]
    assert ages["total"] == len(listed) > 0
    for state in ("opened", "assigned"):
        assert sum(ages["counts"][state]) == sum(1 for i in listed if i["state"] == state)
    oldest = min(datetime.fromisoformat(i["opened_at"]) for i in listed)
    assert datetime.fromisoformat(ages["oldest_opened_at"]) == oldest
    assert as_(seed.FIRM).get("/statistics/open-investigations").status_code == 403
