"""Regional counts at three levels: a case counts in its county, its city and its province.

A cluster spread thin over the counties of a city stays under every county's bar and is found
at the city; one spread over the cities of a province is found at the province. Pure and
fast: the cases go through `regional_cases` (what `assess_risk` emits) and `assess_region`
(what `assess_regions` runs per key), grouped by key as the agent groups them.
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
import pytest

from recall.domain.access import Principal, Role, Scoped, can_see
from recall.domain.alert_conditions import region_labels
from recall.domain.jurisdiction import JurisdictionError, Level
from recall.domain.risk.severity import SeverityAssessment
from recall.domain.webhooks.audience import AlertFacts, Filters, matches
from recall.service.risk.bundles import RegionalCase, counted_regions, regional_cases
from recall.service.risk.cases import Case
from recall.service.risk.regional import MIN_CASES, RegionRiskState, assess_region
from schemas.risk import Alert
from streams.agents.regional import process_regional_batch
from tests.support.fakes.risk_agents import FakeBroker, isolated, message, recording_ports

NOW = datetime(2024, 10, 5, 4, 0, tzinfo=UTC)
TODAY = 20_000
PROVINCE = "140000"
CITIES = ("140100", "140200", "140300", "140400")
COUNTIES = {city: tuple(f"{city[:4]}{n:02d}" for n in range(5, 11)) for city in CITIES}
CITY = CITIES[0]
DAYS = 60


def _case(n: int, county: str, day: int, category: str = "kitchenware") -> Case:
    return Case(
        event_id=f"e{n}",
        event_type="injury_report",
        product_key=f"91140100MA0L2K3M4J/acme/k-{n % 17}",  # many products, none stands out
        category=category,
        jurisdiction="440300",
        day=day,
        sent_ts=1.0,
        hazards=("burns",),
        severity=SeverityAssessment(2, ("test",)),
        region=county,
    )


@dataclass
class Regions:
    """Every region key's state, as the `region_to_risk` table holds them."""

    states: dict[str, RegionRiskState] = field(default_factory=dict)
    serial: int = 0

    def run(self, cases: Iterable[Case]) -> list[Alert]:
        """One `assess_risk` batch's regional rows, then one `assess_region` call per key."""
        by_key: dict[str, list[RegionalCase]] = defaultdict(list)
        for case in cases:
            for record in regional_cases(case):
                by_key[record.key].append(record)
        alerts: list[Alert] = []
        for key, records in by_key.items():
            state, raised = assess_region(self.states.get(key, RegionRiskState()), records, NOW)
            self.states[key] = state
            alerts += raised
        return alerts

    def cases(self, county: str, count: int, day: int = TODAY) -> list[Case]:
        out = []
        for _ in range(count):
            self.serial += 1
            out.append(_case(self.serial, county, day))
        return out


def _warm(seed: int = 13) -> Regions:
    """Sixty quiet days: each county sees a case on about one day in four (a city about 1.5
    a day, the province about 6), drawn once from a fixed seed; a fresh copy each call."""
    states, serial = _warmed(seed)
    return Regions({k: RegionRiskState.from_bytes(v) for k, v in states.items()}, serial)


@functools.cache
def _warmed(seed: int) -> tuple[dict[str, bytes], int]:
    regions = Regions()
    draw = random.Random(seed)
    for day in range(TODAY - DAYS, TODAY):
        batch = [
            case
            for city in CITIES
            for county in COUNTIES[city]
            for case in regions.cases(county, int(draw.random() < 0.25), day)
        ]
        assert regions.run(batch) == [], "a quiet background alarms nobody"
    return {k: v.to_bytes() for k, v in regions.states.items()}, regions.serial


def _alarmed(alerts: list[Alert]) -> dict[str, str]:
    return {a.jurisdiction or "": a.details["level"] for a in alerts}


def test_a_case_counts_in_its_county_its_city_and_its_province() -> None:
    assert counted_regions("140105") == ("140105", "140100", "140000")
    assert counted_regions("140100") == ("140100", "140000"), "a city-level station"
    assert counted_regions("140000") == ("140000",)
    assert counted_regions("110105") == ("110105", "110000"), "no 110100: a placeholder"
    assert counted_regions("500235") == ("500235", "500000")
    assert counted_regions("429004") == ("429004", "420000"), "province-administered county"
    assert counted_regions("110100") == ("110000",)
    with pytest.raises(JurisdictionError):
        counted_regions("140015")


def test_a_cluster_spread_thin_over_a_citys_counties_is_found_at_the_city() -> None:
    regions = _warm()
    spread = [c for county in COUNTIES[CITY] for c in regions.cases(county, 2)]  # 12 cases
    assert MIN_CASES[Level.COUNTY] > 2, "each county stays under its minimum"
    alerts = regions.run(spread)
    assert _alarmed(alerts) == {CITY: "city"}, "no county alarms; the city does"
    [alert] = alerts
    assert alert.subject == f"kitchenware|{CITY}"
    assert alert.title.startswith("区域风险信号（地市）/ Regional signal (city): ")
    assert int(alert.details["observed"]) >= MIN_CASES[Level.CITY]


def test_a_cluster_spread_over_the_cities_is_found_at_the_province() -> None:
    regions = _warm()
    spread = [
        c for city in CITIES for county in COUNTIES[city][:4] for c in regions.cases(county, 1)
    ]  # 16 cases: one in each of four counties per city, four per city (under 5)
    alerts = regions.run(spread)
    assert _alarmed(alerts) == {PROVINCE: "province"}
    [alert] = alerts
    assert alert.title.startswith("区域风险信号（省级）/ Regional signal (province): ")
    assert "province (省级) 140000" in alert.details["explanation"]
    assert "at least 8 at province level" in alert.details["explanation"]


def test_a_cluster_in_one_county_alarms_the_county_and_its_city() -> None:
    """Six cases in one county: far above the county's quarter-a-day, and at 6 over the
    city's 1.5 a day (minimum 5) too; under the province's minimum of 8, so not there."""
    regions = _warm()
    county = COUNTIES[CITY][0]
    alerts = regions.run(regions.cases(county, 6))
    assert _alarmed(alerts) == {county: "county", CITY: "city"}
    ids = {a.alert_id for a in alerts}
    assert len(ids) == 2, "the region code in the id tells the levels apart"


def test_a_county_cluster_under_the_county_minimum_alarms_no_county() -> None:
    regions = _warm()
    county = COUNTIES[CITY][0]
    assert [a for a in regions.run(regions.cases(county, 2)) if a.jurisdiction == county] == []


def test_replayed_records_count_once_at_every_level() -> None:
    regions = _warm()
    spread = [c for county in COUNTIES[CITY] for c in regions.cases(county, 2)]
    assert len(regions.run(spread)) == 1
    before = {key: state.to_bytes() for key, state in regions.states.items()}
    assert regions.run(spread) == [], "the same cases again: no alert"
    assert regions.run(spread[:5]) == []
    after = {key: state.to_bytes() for key, state in regions.states.items()}
    assert after == before, "no level counted a replayed case"
    county = regions.states[f"kitchenware|{COUNTIES[CITY][0]}"]
    assert county.hazards["burns"].daily.open[TODAY] == 2


def test_a_municipality_counts_its_districts_and_itself() -> None:
    regions = Regions()
    draw = random.Random(5)
    districts = [f"1101{n:02d}" for n in range(1, 17)]
    for day in range(TODAY - DAYS, TODAY):
        background = [c for d in districts for c in regions.cases(d, int(draw.random() < 0.2), day)]
        regions.run(background)
    assert not any(key.endswith("|110100") for key in regions.states), "no placeholder state"
    spread = [c for d in districts[:8] for c in regions.cases(d, 2)]  # 16 cases, 2 per district
    alerts = regions.run(spread)
    assert _alarmed(alerts) == {"110000": "province"}


@dataclass(frozen=True)
class Tier:
    name: str
    region: str


TIERS = (Tier("province", PROVINCE), Tier("city", CITY), Tier("county", COUNTIES[CITY][0]))


def _one_alert_per_level() -> dict[str, Alert]:
    regions = _warm()
    county = COUNTIES[CITY][0]
    alerts = regions.run(regions.cases(county, 6))
    later = _warm(seed=13)
    alerts += later.run(
        [c for city in CITIES for cty in COUNTIES[city][:4] for c in later.cases(cty, 1)]
    )
    by_level = {a.details["level"]: a for a in alerts}
    assert set(by_level) == {"county", "city", "province"}
    return by_level


def test_each_tier_sees_the_alerts_of_its_area_only() -> None:
    """The access rule (`access.can_see`, `jurisdiction.covers`): a regulator sees an alert
    whose region lies inside its own area, so a province alert reaches the province only,
    a city alert the city and its province, a county alert all three."""
    alerts = _one_alert_per_level()
    sees = {
        (tier.name, level)
        for tier in TIERS
        for level, alert in alerts.items()
        if can_see(
            Principal("a", Role.REGULATOR, region=tier.region), Scoped(region=alert.jurisdiction)
        )
    }
    assert sees == {
        ("province", "province"),
        ("province", "city"),
        ("province", "county"),
        ("city", "city"),
        ("city", "county"),
        ("county", "county"),
    }
    other_city = Principal("b", Role.REGULATOR, region="140200")
    assert not any(can_see(other_city, Scoped(region=a.jurisdiction)) for a in alerts.values())


def test_webhook_region_filters_and_alertmanager_labels_work_at_every_level() -> None:
    alerts = _one_alert_per_level()

    def delivered(owner: str, regions: tuple[str, ...], alert: Alert) -> bool:
        facts = AlertFacts(
            alert.kind.value, alert.severity.value, "kitchenware", alert.jurisdiction
        )
        return matches(owner, Filters.of(regions=regions), facts)

    province, city, county = alerts["province"], alerts["city"], alerts["county"]
    assert delivered(PROVINCE, (), province) and delivered(PROVINCE, (PROVINCE,), province)
    assert not delivered(PROVINCE, (CITY,), province), "a city filter is narrower than 140000"
    assert delivered(PROVINCE, (CITY,), city) and delivered(PROVINCE, (CITY,), county)
    assert not delivered(CITY, (), province), "a city's subscription never gets its province's"
    assert delivered(CITY, (), city) and delivered(CITY, (), county)
    assert not delivered(county.jurisdiction or "", (), city)

    assert region_labels(province.jurisdiction) == {
        "region": PROVINCE,
        "region_city": PROVINCE,  # the prefix rule: a province code is its own "city" prefix
        "region_province": PROVINCE,
    }
    assert region_labels(city.jurisdiction) == {
        "region": CITY,
        "region_city": CITY,
        "region_province": PROVINCE,
    }
    assert region_labels(county.jurisdiction) == {
        "region": COUNTIES[CITY][0],
        "region_city": CITY,
        "region_province": PROVINCE,
    }


@pytest.mark.parametrize("region", ["140015", "000000", "14010", "1401051"])
def test_a_bundle_with_a_bad_region_code_is_dead_lettered(region: str) -> None:
    broker = FakeBroker()
    ports = recording_ports(broker)
    good = f'["r1", "kitchenware", "{CITY}", "burns", {TODAY}, 2, null]'
    bad = f'["r2", "kitchenware", "{region}", "burns", {TODAY}, 2, null]'
    messages = [
        message(60, f"[{good}]".encode(), "risk.regional"),
        message(61, f"[{good}, {bad}]".encode(), "risk.regional"),
    ]
    writes = dict(asyncio.run(process_regional_batch(messages, ports, NOW)))
    assert set(writes) == {f"kitchenware|{CITY}".encode()}
    [letter] = broker.on("deadletter")
    assert (letter["reason"], letter["source"]["offset"]) == ("schema", 61)
    assert letter["errors"][0]["message"] == "regional bundle item 1: bad region"
    assert isolated(ports, "assess_regions") == 1
    assert "r1" in orjson.loads(writes[f"kitchenware|{CITY}".encode()])["i"]
