"""The regional risk use case: one category × region series per day, judged live, alerted once.

These tests drive one city's series; tests/unit/service/risk/test_regional_levels.py drives
counties, cities and provinces together."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from recall.domain.risk.severity import SeverityAssessment
from recall.service.risk.bundles import (
    RegionalCase,
    cases_from_bundle,
    regional_bundle,
    regional_cases,
)
from recall.service.risk.cases import Case, case_from_canonical
from recall.service.risk.regional import RegionRiskState, assess_region
from recall.service.risk.state import day_label
from schemas.risk import Alert, AlertKind, AlertSeverity
from schemas.topics import RISK_REGIONAL, encode

TODAY = 20_000
REGION = "140100"
NOW = datetime(2024, 10, 5, 4, 0, tzinfo=UTC)
STEADY = (1, 2, 3, 2)  # cases per day, repeating: a quiet but not flat region


def _record(n: int, day: int, hazard: str = "burns") -> RegionalCase:
    return RegionalCase(f"e{n}-{day}-{hazard}", "kitchenware", REGION, hazard, day, 2, 1.0)


def _baseline(days: int = 60) -> list[list[RegionalCase]]:
    """One batch per day, days TODAY-days .. TODAY-1, with the STEADY counts."""
    return [
        [_record(i, TODAY - days + d) for i in range(STEADY[d % len(STEADY)])] for d in range(days)
    ]


def _run(state: RegionRiskState, batches: list[list[RegionalCase]]) -> list[Alert]:
    alerts: list[Alert] = []
    for batch in batches:
        state, raised = assess_region(state, batch, NOW)
        alerts += raised
    return alerts


def _spike(size: int = 12, day: int = TODAY) -> list[RegionalCase]:
    return [_record(100 + i, day) for i in range(size)]


def test_quiet_region_with_steady_baseline_raises_nothing() -> None:
    state = RegionRiskState()
    assert _run(state, [*_baseline(), [_record(i, TODAY) for i in range(3)]]) == []
    assert state.hazards["burns"].daily.live.seen > 28, "the baseline is past its warm-up"


def test_regional_spike_raises_one_alert_with_its_reasons() -> None:
    state = RegionRiskState()
    _run(state, _baseline())
    one_by_one = _run(state, [[record] for record in _spike()])
    assert len(one_by_one) == 1, "one alert per category, region, hazard and day"
    alert = Alert.model_validate_json(one_by_one[0].model_dump_json())
    assert alert == one_by_one[0], "the alert survives its own wire form"
    assert alert.kind is AlertKind.REGIONAL_SIGNAL and alert.severity is AlertSeverity.WARNING
    assert alert.at == NOW
    assert alert.subject == f"kitchenware|{REGION}" and alert.jurisdiction == REGION
    assert alert.title == (
        f"区域风险信号（地市）/ Regional signal (city): kitchenware in {REGION} (burns)"
    )
    details = alert.details
    assert details["level"] == "city"
    assert f"city (地市) {REGION}" in details["explanation"]
    assert "at least 5 at city level" in details["explanation"]
    assert details["day"] == day_label(TODAY)
    assert 5 <= int(details["observed"]) < 12, "alarms as soon as the count crosses the bound"
    assert float(details["expected"]) < float(details["threshold"]) < int(details["observed"])


def test_same_spike_in_another_state_has_the_same_alert_id() -> None:
    first, second = RegionRiskState(), RegionRiskState()
    _run(first, _baseline())
    _run(second, _baseline())
    a = _run(first, [_spike()])
    b = _run(second, [_spike()[:6], _spike()[6:]])
    assert [x.alert_id for x in a] == [x.alert_id for x in b]


def test_few_cases_never_alarm_even_above_a_tiny_baseline() -> None:
    state = RegionRiskState()
    sparse = [[_record(d, TODAY - 60 + d)] if d % 10 == 0 else [] for d in range(60)]
    _run(state, sparse)
    assert _run(state, [_spike(size=4)]) == [], "a region needs at least 5 cases"


def test_replay_raises_nothing_and_changes_nothing() -> None:
    state = RegionRiskState()
    batches = [*_baseline(), _spike()]
    assert len(_run(state, batches)) == 1
    before = state.to_bytes()
    assert _run(state, batches[-20:]) == []
    assert state.to_bytes() == before


def test_late_events_land_in_their_day() -> None:
    state = RegionRiskState()
    _run(state, [*_baseline(), [_record(0, TODAY)]])
    hazard = state.hazards["burns"]
    assert hazard.daily.open[TODAY - 3] == STEADY[57 % len(STEADY)]
    _run(state, [[_record(500, TODAY - 3)]])
    assert hazard.daily.open[TODAY - 3] == STEADY[57 % len(STEADY)] + 1

    too_late = TODAY - 20
    assert hazard.daily.live.last_period is not None and too_late <= hazard.daily.live.last_period
    before = hazard.daily.live
    _run(state, [[_record(501, too_late)]])
    assert too_late not in hazard.daily.open and hazard.daily.live == before


def test_late_spike_alarms_for_the_day_it_happened() -> None:
    state = RegionRiskState()
    _run(state, [*_baseline(), [_record(0, TODAY)]])
    alerts = _run(state, [_spike(day=TODAY - 2)])
    assert [a.details["day"] for a in alerts] == [day_label(TODAY - 2)]


def test_hazards_are_counted_apart() -> None:
    state = RegionRiskState()
    _run(state, _baseline())
    cuts = [_record(300 + i, TODAY, hazard="cuts") for i in range(12)]
    assert _run(state, [cuts]) == [], "a hazard with no history is still in its warm-up"
    assert state.hazards["burns"].daily.open.get(TODAY) is None


def test_state_round_trips_through_bytes() -> None:
    state = RegionRiskState()
    _run(state, [*_baseline(), _spike()])
    raw = state.to_bytes()
    again = RegionRiskState.from_bytes(raw)
    assert again == state
    assert again.to_bytes() == raw
    assert RegionRiskState.from_bytes(None) == RegionRiskState()
    assert len(raw) < 40_000


def test_regional_records_per_level_come_from_injury_cases_only() -> None:
    injury = Case(
        event_id="e1",
        event_type="injury_report",
        product_key="91140100MA0L2K3M4J/acme/k-1",
        category="kitchenware",
        jurisdiction="140100",
        day=TODAY,
        sent_ts=1.5,
        hazards=("burns",),
        severity=SeverityAssessment(3, ("test",)),
        region="140105",
    )
    records = regional_cases(injury)
    assert records == [
        RegionalCase("e1", "kitchenware", code, "burns", TODAY, 3, 1.5)
        for code in ("140105", "140100", "140000")
    ]
    assert [r.key for r in records] == [
        "kitchenware|140105",
        "kitchenware|140100",
        "kitchenware|140000",
    ]
    sampling = Case(**{**_fields(injury), "event_type": "sampling_result"})
    assert regional_cases(sampling) == []
    assert regional_cases(Case(**{**_fields(injury), "region": ""})) == []


def _fields(case: Case) -> dict[str, Any]:
    return {name: getattr(case, name) for name in Case.__slots__}


def test_region_is_the_reporting_stations_own_code() -> None:
    payload = {
        "occurred_at": "2024-10-05T09:00:00+08:00",
        "disposition": "treated_released",
        "injury_nature": "burn_scald",
        "body_part": "hand",
        "age_years": 34,
        "mechanism": "hot_object",
        "product": {"category": "kitchenware", "manufacturer_code": "91440300MA5ABCDE1X"},
    }
    record = {
        "product_key": "91440300MA5ABCDE1X/acme/k-1",
        "event": {
            "event_id": "e1",
            "type": "injury_report",
            "jurisdiction": "140105",
            "payload": payload,
        },
    }
    case = case_from_canonical(record, 1.0)
    assert case is not None
    assert case.region == "140105", "the county of the station that saw the case"
    assert case.jurisdiction == "440300", "the firm's regulator stays the product's jurisdiction"


def test_a_bundle_round_trips_its_cases_in_order() -> None:
    cases = [_record(1, TODAY), _record(2, TODAY - 1, "cuts"), _record(3, TODAY)]
    assert cases_from_bundle(encode(RISK_REGIONAL, regional_bundle(cases))) == cases
    assert cases_from_bundle(encode(RISK_REGIONAL, regional_bundle([]))) == []


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b'{"event_id": "e1"}', "a JSON list"),
        (b'[["e1", "kitchenware", "140100", "burns", 20000, 2]]', "item 0"),
        (b'[["e1", "kitchenware", "140100", "burns", 20000, 2, null], ["e2"]]', "item 1"),
        (b'[["e1", "kitchenware", "140100", "burns", "monday", 2, null]]', "item 0"),
    ],
)
def test_a_malformed_bundle_is_refused_naming_the_item(raw: bytes, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        cases_from_bundle(raw)


def test_a_city_alert_written_before_levels_is_still_read() -> None:
    state = RegionRiskState()
    _run(state, _baseline())
    [alert] = _run(state, [_spike()])
    old = alert.model_dump(mode="json")
    del old["details"]["level"]
    assert Alert.model_validate(old).details.get("level") is None, "read as it was written"
    old["details"]["tier"] = "city"
    with pytest.raises(ValueError, match="unexpected tier"):
        Alert.model_validate(old)


def test_a_region_with_a_year_of_history_is_judged_by_the_harmonic_fit() -> None:
    state = RegionRiskState()
    assert _run(state, _baseline(400)) == []
    alerts = _run(state, [_spike()])
    assert [a.details["day"] for a in alerts] == [day_label(TODAY)]
    fit = state.hazards["burns"].daily.fit
    assert fit is not None and fit.period == TODAY, "the day was judged by a harmonic fit"


def test_a_region_state_written_before_the_streamed_detector_still_loads() -> None:
    old = orjson.dumps(
        {
            "c": "kitchenware",
            "r": REGION,
            "w": TODAY - 1,
            "i": [],
            "h": {"burns": {"l": [TODAY - 8, 50, 2.0, 1.0, [2] * 7], "o": {TODAY - 1: 2}, "a": []}},
        },
        option=orjson.OPT_NON_STR_KEYS,
    )
    state = RegionRiskState.from_bytes(old)
    series = state.hazards["burns"].daily
    assert series.open == {TODAY - 1: 2} and series.live.seen == 50
    assert series.origin == TODAY - 8 - 50 - 7 + 1
    alerts = _run(state, [_spike()])
    assert len(alerts) == 1, "a warm baseline carried over: the spike alarms"
