"""GET /statistics as the province reports it: units and value recalled, recalls by tier and
category, leads by source (media and complaints too) per month and per year — exact figures
from the rows of tests/support/statistics_seed.py."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.support.statistics_seed import seed_province_figures
from tests.unit.api import seed
from tests.unit.api.conftest import AsPrincipal


@pytest.fixture(autouse=True)
def figures(db: sessionmaker[Session]) -> None:
    seed_province_figures(db)


def _get(client: Any, query: str) -> Any:
    response = client.get(f"/statistics{query}")
    assert response.status_code == 200, response.text
    return response.json()


def test_per_year_for_the_province(as_: AsPrincipal) -> None:
    body = _get(as_(seed.PROVINCE), "?group_by=year")
    years = {g["year"]: g for g in body["groups"]}
    assert set(years) == {"2025", "2026"}
    y25, y26 = years["2025"], years["2026"]
    assert y25["leads"] == {
        "purchase_sampling": 2,
        "injury_reports": 1,
        "media": 1,
        "complaints": 1,
        "other": 0,
    }
    assert (y25["units_affected"], y25["units_corrected"]) == (1200, 300)
    assert y25["value_recalled"] == 199500.0
    assert y25["recalls_without_value"] == 1
    # R2 sits in a city but the investigation that ordered it is the province's
    assert y25["recalls_by_tier"] == {"county": 1, "city": 0, "province": 1}
    assert y26["leads"]["purchase_sampling"] == 1
    assert y26["leads"]["complaints"] == 1
    assert (y26["units_affected"], y26["value_recalled"]) == (50, 500.0)
    assert y26["recalls_by_tier"] == {"county": 0, "city": 0, "province": 1}
    total = body["total"]
    assert total["value_recalled"] == 200000.0
    assert total["leads"]["purchase_sampling"] == 3
    assert sum(total["leads"].values()) == 7
    assert body["labels"]["recalls_by_tier.city"] == "召回·按监管层级·市级 / Recalls by tier: City"
    assert (
        body["labels"]["leads.complaints"]
        == "缺陷线索·消费者投诉 / Defect leads: Consumer complaints"
    )


def test_per_month_and_category_for_a_city(as_: AsPrincipal) -> None:
    body = _get(as_(seed.TAIYUAN), "?group_by=month&group_by=category")
    groups = {(g["month"], g["category"]): g for g in body["groups"]}
    # R3 (province-level) and the Datong sampling signal are outside Taiyuan
    assert groups[("2025-03", "children")]["recalls_by_tier"]["province"] == 1
    assert groups[("2025-03", "appliances")]["value_recalled"] == 199500.0
    assert groups[("2025-04", "appliances")]["leads"]["complaints"] == 1
    assert body["total"]["value_recalled"] == 199500.0
    assert body["total"]["leads"]["purchase_sampling"] == 2
    assert ("2026-01", "appliances") in groups  # the 2026 complaint in 140106
    assert groups[("2026-01", "appliances")]["recalls_by_tier"] == {
        "county": 0,
        "city": 0,
        "province": 0,
    }


def test_shanghai_sees_only_its_own(as_: AsPrincipal) -> None:
    total = _get(as_(seed.SHANGHAI), "")["total"]
    assert (total["units_affected"], total["value_recalled"]) == (999, 999.0)
    assert total["leads"]["complaints"] == 1
    assert sum(total["leads"].values()) == 1


def test_an_accepted_lead_is_one_lead(as_: AsPrincipal) -> None:
    client = as_(seed.TAIYUAN)
    recorded = client.post(
        "/leads",
        json={
            "source": "complaint",
            "reference": "12315-77",
            "jurisdiction": "140107",
            "product": {
                "category": "appliances",
                "kind": "electric_kettle",
                "brand": "Acme",
                "model": "k-77",
            },
            "hazard": "burns",
            "summary": "scalded",
            "received_at": "2027-02-01T00:00:00Z",
        },
    )
    lead_id = recorded.json()["lead"]["lead_id"]
    assert client.post(f"/leads/{lead_id}/accept", json={"reason": "r"}).status_code == 200
    since = _get(client, "?from=2026-06-01T00:00:00Z")["total"]  # after every seeded row
    assert since["leads"]["complaints"] == 1
    assert since["investigations_opened"] == 1
    assert since["leads"]["other"] == 0  # the investigation it opened is not another lead
