"""Regional risk on the real broker: a city-wide spike spread thin over products alerts once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from kafka.partitioner.default import murmur2

from recall.service.risk.bundles import RegionalCase, cases_from_bundle
from recall.tools.bench.lag import committed_lag
from schemas.risk import Alert
from tests.support.cases import CHINA_TZ, burn, stations_in
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.integration

CITY = "140100"
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


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_city_spike_over_many_products_raises_one_regional_alert(pipeline: Pipeline) -> None:
    hospitals = stations_in(pipeline.registry, "hospital", CITY)[:3]
    products = [p for p in pipeline.registry.products if p.category.value == CATEGORY][:12]
    assert len(hospitals) == 3 and len(products) == 12
    now = datetime.now(CHINA_TZ)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    history = [
        (hospitals[n % 3], burn(hospitals[n % 3], products[n % 12], noon - timedelta(days=d), n))
        for d in range(60, 0, -1)
        for n in (2 * d, 2 * d + 1)  # two a day, each day on other products and stations
    ]
    spike = [
        (hospitals[i % 3], burn(hospitals[i % 3], products[i], now - timedelta(seconds=i), 900 + i))
        for i in range(12)  # one case per product: no product stands out, the city does
    ]
    pipeline.start_worker()
    sender = pipeline.sender()
    for station, value in history:
        sender.send(station.station_id, value)
    sender.flush()
    pipeline.wait_counts(events=len(history), dead_letters=0, duplicates=0)
    pipeline.wait(lambda: _drained(pipeline), 90)
    assert len(_regional_cases(pipeline)) == len(history)
    assert _regional_alerts(pipeline) == [], "a city at its usual level raises nothing"

    for station, value in spike:
        sender.send(station.station_id, value)
    sender.flush()
    sender.close()
    pipeline.wait(lambda: bool(_regional_alerts(pipeline)), 90)
    pipeline.wait_counts(events=len(history) + len(spike), dead_letters=0, duplicates=0)
    pipeline.wait(lambda: _drained(pipeline), 60)

    regional = _regional_cases(pipeline)
    assert len(regional) == len(history) + len(spike), "each new case routed once"
    assert {case.region for case in regional} == {CITY}
    alerts = _regional_alerts(pipeline)
    assert len(alerts) == 1, alerts
    alert = alerts[0]
    assert alert.subject == f"{CATEGORY}|{CITY}" and alert.jurisdiction == CITY
    assert alert.details["hazard"] == "burns"
    assert alert.details["day"] == now.date().isoformat()
    assert int(alert.details["observed"]) >= 5
    assert float(alert.details["expected"]) < float(alert.details["threshold"])

    # The region's state sits, under its raw key, on the partition its cases were routed to.
    partitions = pipeline.settings.topic_partitions
    changelog = pipeline.changelog_messages("region_to_risk")
    assert {key for _p, key, _v in changelog} == {f"{CATEGORY}|{CITY}".encode()}
    for partition, key, _value in changelog:
        assert key is not None and (murmur2(key) & 0x7FFFFFFF) % partitions == partition
