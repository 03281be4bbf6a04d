"""Regional risk on the real broker: a spike spread thin over the counties and products of one
city stays under every county's and every product's bar and alerts once, at the city level."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from kafka.partitioner.default import murmur2

from recall.service.risk.bundles import RegionalCase, cases_from_bundle
from recall.tools.bench.lag import committed_lag
from schemas.registry import StationEntry
from schemas.risk import Alert
from tests.support.cases import CHINA_TZ, burn, stations_in
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.integration

CITY = "140100"
PROVINCE = "140000"
ELSEWHERE = ("140212", "140213", "140302")  # counties of two other cities: the province's usual
CATEGORY = "electronics"


def _regional_alerts(pipeline: Pipeline) -> list[Alert]:
    alerts = [Alert.model_validate_json(v) for v in pipeline.topic_records("alerts")]
    return [a for a in alerts if a.kind == "regional_signal"]


def _regional_cases(pipeline: Pipeline) -> list[RegionalCase]:
    """Every case routed so far; each on the partition its key owns (kafka-python's murmur2,
    an implementation independent of the worker's)."""
    partitions = pipeline.settings.topic_partitions
    cases = []
    for partition, _key, raw in pipeline.topic_messages("risk.regional"):
        for case in cases_from_bundle(raw):
            owner = (murmur2(case.key.encode()) & 0x7FFFFFFF) % partitions
            assert owner == partition, (case.key, partition, owner)
            cases.append(case)
    return cases


def _drained(pipeline: Pipeline) -> bool:
    return all(
        committed_lag(pipeline.settings, topic) == 0
        for topic in ("intake.raw", "events.canonical", "risk.regional")
    )


def _one_hospital_per_county(pipeline: Pipeline, city: str) -> list[StationEntry]:
    by_county: dict[str, StationEntry] = {}
    for station in stations_in(pipeline.registry, "hospital", city):
        by_county.setdefault(station.jurisdiction, station)
    return [by_county[county] for county in sorted(by_county)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_thin_spread_over_a_citys_counties_raises_one_city_alert(pipeline: Pipeline) -> None:
    """Two cases in each of six counties (the county minimum is 3), one per product: only the
    city's count (12 against about 2 a day) crosses its bar; the province, whose other cities
    add 3 a day, stays under its own."""
    hospitals = _one_hospital_per_county(pipeline, CITY)
    elsewhere = [
        next(s for s in stations_in(pipeline.registry, "hospital", c) if s.jurisdiction == c)
        for c in ELSEWHERE
    ]
    products = [p for p in pipeline.registry.products if p.category.value == CATEGORY][:12]
    assert len(hospitals) == 6 and len(products) == 12
    counties = [h.jurisdiction for h in hospitals]
    now = datetime.now(CHINA_TZ)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    history: list[tuple[StationEntry, bytes]] = []
    for d in range(45, 0, -1):  # day by day: a case older than the lateness window is late
        day = noon - timedelta(days=d)
        for n in (2 * d, 2 * d + 1):  # two a day in the city, each day in other counties
            history.append((hospitals[n % 6], burn(hospitals[n % 6], products[n % 12], day, n)))
        for k, station in enumerate(elsewhere):  # one a day in each of three other counties
            history.append((station, burn(station, products[(d + k) % 12], day, 500 + 3 * d + k)))
    spike = [
        (
            hospitals[i % 6],
            burn(hospitals[i % 6], products[i], now - timedelta(seconds=i), 900 + i),
        )
        for i in range(12)  # two per county, one per product: only the city stands out
    ]
    pipeline.start_worker()
    sender = pipeline.sender()
    # Five days at a time, each settled before the next: stations' records travel on different
    # partitions, and a case more than 7 days behind its region's watermark is late (counted
    # nowhere), which a province fed by many partitions would otherwise meet in a replay.
    chunk = 5 * (2 + len(elsewhere))
    for start in range(0, len(history), chunk):
        for station, value in history[start : start + chunk]:
            sender.send(station.station_id, value)
        sender.flush()
        sent = min(start + chunk, len(history))
        pipeline.wait_counts(events=sent, dead_letters=0, duplicates=0)
        pipeline.wait(lambda: _drained(pipeline), 120)
    assert len(_regional_cases(pipeline)) == 3 * len(history), "county, city and province"
    assert _regional_alerts(pipeline) == [], "regions at their usual level raise nothing"

    for station, value in spike:
        sender.send(station.station_id, value)
    sender.flush()
    sender.close()
    pipeline.wait(lambda: bool(_regional_alerts(pipeline)), 90)
    pipeline.wait_counts(events=len(history) + len(spike), dead_letters=0, duplicates=0)
    pipeline.wait(lambda: _drained(pipeline), 60)

    regional = _regional_cases(pipeline)
    assert len(regional) == 3 * (len(history) + len(spike)), "each new case routed once per level"
    cities = {"140100", "140200", "140300"}
    assert {case.region for case in regional} == {*counties, *ELSEWHERE, *cities, PROVINCE}
    alerts = _regional_alerts(pipeline)
    assert len(alerts) == 1, [(a.jurisdiction, a.details) for a in alerts]
    alert = alerts[0]
    assert alert.subject == f"{CATEGORY}|{CITY}" and alert.jurisdiction == CITY
    assert alert.details["level"] == "city"
    assert alert.details["hazard"] == "burns"
    assert alert.details["day"] == now.date().isoformat()
    assert int(alert.details["observed"]) >= 5
    assert float(alert.details["expected"]) < float(alert.details["threshold"])

    # Each region's state sits, under its raw key, on the partition its cases were routed to.
    partitions = pipeline.settings.topic_partitions
    changelog = pipeline.changelog_messages("region_to_risk")
    keys = {f"{CATEGORY}|{code}".encode() for code in {*counties, *ELSEWHERE, *cities, PROVINCE}}
    assert {key for _p, key, _v in changelog} == keys
    for partition, key, _value in changelog:
        assert key is not None and (murmur2(key) & 0x7FFFFFFF) % partitions == partition
