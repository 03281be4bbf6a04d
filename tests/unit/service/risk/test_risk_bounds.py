"""Hostile canonical records against the risk model: strict parsing, bounded days, healing.

`events.canonical` is writable by any producer with the ACL and its older records were never
bounded (issue 8, points 4 and 5), so `case_from_canonical` and `assess` defend themselves.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from recall.service.risk.assessment import assess
from recall.service.risk.cases import CanonicalRecordError, Case, case_from_canonical
from recall.service.risk.state import (
    ALLOWANCE_DAYS,
    LATENESS_DAYS,
    ProductRiskState,
    day_label,
    day_of,
)

NOW = datetime(2024, 10, 5, 4, 0, tzinfo=UTC)  # 12:00 in China: day TODAY
TODAY = day_of(NOW)
PRODUCT = "91440300MA5ABCDE1X/acme/k-1"
YEAR_9999 = "9999-12-31T23:59:59-12:00"
YEAR_1 = "0001-01-01T00:00:00+14:00"


def _record(
    n: int,
    occurred: datetime | str,
    *,
    received: datetime | str | None = None,
    disposition: str = "treated_released",
) -> dict[str, Any]:
    occurred_at = occurred if isinstance(occurred, str) else occurred.isoformat()
    if received is None:
        received = occurred if isinstance(occurred, datetime) else NOW
    received_at = received if isinstance(received, str) else received.isoformat()
    return {
        "event": {
            "event_id": f"00000000-0000-4000-8000-{n:012d}",
            "type": "injury_report",
            "jurisdiction": "140105",
            "sent_at": occurred_at,
            "payload": {
                "occurred_at": occurred_at,
                "disposition": disposition,
                "injury_nature": "burn_scald",
                "body_part": "hand",
                "age_years": 34,
                "mechanism": "hot_object",
                "product": {"category": "kitchenware", "manufacturer_code": PRODUCT[:18]},
            },
        },
        "product_key": PRODUCT,
        "received_at": received_at,
        "source": {"topic": "intake.raw", "partition": 0, "offset": n},
    }


def _case(record: dict[str, Any]) -> Case:
    case = case_from_canonical(record, None, NOW)
    assert case is not None
    return case


def _normal_cases() -> list[Case]:
    """50 real cases: a quiet baseline (one case every other day) then a spike of 6 today."""
    history = [_case(_record(d, NOW - timedelta(days=88 - 2 * d))) for d in range(44)]
    spike = [_case(_record(100 + i, NOW + timedelta(minutes=i))) for i in range(6)]
    return history + spike


def _run(state: ProductRiskState, cases: list[Case], now: datetime = NOW) -> list[str]:
    """One case per batch, through the bytes the table keeps, as the agent runs them."""
    raised: list[str] = []
    for case in cases:
        loaded = ProductRiskState.from_bytes(state.to_bytes())
        result = assess(loaded, [case], None, now)
        raised += [f"{s.method}@{s.day}" for s in result.signals]
        state.__dict__.update(result.state.__dict__)
    return raised


def test_normal_cases_alone_raise_the_spike() -> None:
    assert _run(ProductRiskState(), _normal_cases()) == [f"live_nb@{day_label(TODAY)}"]


@pytest.mark.parametrize("received", [NOW, YEAR_9999], ids=["honest receipt", "forged receipt"])
def test_a_year_9999_case_changes_nothing_that_follows(received: datetime | str) -> None:
    bogus = _case(_record(999, YEAR_9999, received=received))
    state = ProductRiskState()
    result = assess(state, [bogus], None, NOW)
    assert (result.future, result.fresh, result.signals) == (1, [], [])
    assert state.watermark_day is None and state.hazards == {}
    assert state.seen(bogus.event_id), "a replay of it is a replay, not a new case"
    assert _run(state, _normal_cases()) == [f"live_nb@{day_label(TODAY)}"]


def test_the_watermark_never_passes_receipt_plus_allowance() -> None:
    state = ProductRiskState()
    _run(state, _normal_cases())
    ahead = NOW + timedelta(days=ALLOWANCE_DAYS + 1)
    result = assess(state, [_case(_record(500, ahead, received=NOW))], None, NOW)
    assert result.future == 1
    assert state.watermark_day == TODAY
    within = NOW + timedelta(hours=20)  # tomorrow in China, within the allowance
    assess(state, [_case(_record(501, within, received=NOW))], None, NOW)
    assert state.watermark_day == TODAY + 1 <= TODAY + ALLOWANCE_DAYS


@pytest.mark.parametrize("occurred_at", [YEAR_1, YEAR_9999])
def test_extreme_dates_do_not_raise(occurred_at: str) -> None:
    case = _case(_record(7, occurred_at))
    assert case.day in (day_of(datetime.fromisoformat(occurred_at)),)
    state = ProductRiskState()
    result = assess(state, [case], None, NOW)
    assert result.signals == [] and result.fresh == []
    assert result.late + result.future == 1
    assert state.watermark_day is None


def test_day_of_handles_every_offset_at_the_calendar_edges() -> None:
    assert day_of(datetime.fromisoformat(YEAR_1)) == -719163  # 0000-12-31 in China
    assert day_of(datetime.fromisoformat(YEAR_9999)) == 2_932_897  # 10000-01-01 in China
    assert day_of(datetime.fromisoformat("2024-10-04T16:00:00+00:00")) == TODAY
    assert day_of(datetime.fromisoformat("2024-10-04T15:59:59+00:00")) == TODAY - 1
    with pytest.raises(ValueError, match="offset"):
        day_of(datetime(2024, 10, 5))
    assert day_label(TODAY) == "2024-10-05"
    assert day_label(2_932_897) == "day 2932897"


def test_a_case_older_than_the_history_window_is_late_and_opens_nothing() -> None:
    state = ProductRiskState()
    _run(state, _normal_cases())
    open_before = dict(state.hazards["burns"].daily.open)
    old = _case(_record(600, NOW - timedelta(days=LATENESS_DAYS + 3), disposition="died"))
    result = assess(state, [old], None, NOW)
    assert result.late == 1
    assert state.hazards["burns"].daily.open == open_before
    assert [s.method for s in result.signals] == ["fatal_case"], "a death is never ignored"
    ancient = _case(_record(601, NOW - timedelta(days=4000), received=NOW))
    result = assess(state, [ancient], None, NOW)
    assert result.late == 1 and result.fresh == [], "beyond the maximum age: set aside"
    assert state.watermark_day == TODAY


def test_a_state_poisoned_by_older_code_heals_on_load() -> None:
    state = ProductRiskState()
    history = _normal_cases()[:-6]
    _run(state, history)
    # What the unbounded code did: "now" no bound at all, the bogus day became the watermark.
    bogus = _case(_record(999, "9999-12-01T00:00:00+08:00"))
    unbounded = Case(**{**{f: getattr(bogus, f) for f in Case.__slots__}, "limit_day": None})
    assess(state, [unbounded], None, datetime(9999, 12, 30, tzinfo=UTC))
    assert state.watermark_day is not None and state.watermark_day > 2_900_000
    poisoned = state.to_bytes()

    loaded = ProductRiskState.from_bytes(poisoned)
    spike = [_case(_record(100 + i, NOW + timedelta(minutes=i))) for i in range(6)]
    raised = _run(loaded, spike)
    assert raised == [f"live_nb@{day_label(TODAY)}"]
    assert loaded.watermark_day == TODAY
    assert all(d <= TODAY + ALLOWANCE_DAYS for h in loaded.hazards.values() for d in h.daily.open)


def test_healing_is_a_no_op_for_a_sound_state() -> None:
    state = ProductRiskState()
    _run(state, _normal_cases())
    before = state.to_bytes()
    assert state.heal(TODAY + ALLOWANCE_DAYS) is False
    assert state.to_bytes() == before


def test_a_lax_age_is_refused_not_coerced() -> None:
    for bad in ("4", True, 4.0, -1, 121, [4]):
        record = _record(1, NOW)
        record["event"]["payload"]["age_years"] = bad
        with pytest.raises(CanonicalRecordError) as caught:
            case_from_canonical(record, None, NOW)
        assert caught.value.field == "event.payload.age_years"
        assert repr(bad) not in str(caught.value), "the message names the rule, not the value"
    record = _record(1, NOW)
    record["event"]["payload"]["age_years"] = 1
    record["event"]["payload"]["injury_nature"] = "poisoning"
    child = case_from_canonical(record, None, NOW)
    assert child is not None and child.severity.level == 3, "age 1 is a child: graver"
    record["event"]["payload"]["age_years"] = None
    assert case_from_canonical(record, None, NOW) is not None


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("event", "payload", "occurred_at"), 1_700_000_000, "event.payload.occurred_at"),
        (("event", "payload", "occurred_at"), "2024-10-05T09:00:00", "event.payload.occurred_at"),
        (("event", "payload", "occurred_at"), "yesterday", "event.payload.occurred_at"),
        (("event", "payload", "disposition"), "exploded", "event.payload"),
        (("event", "payload", "mechanism"), 3, "event.payload.mechanism"),
        (("event", "payload", "product", "category"), "toys", "event.payload.product.category"),
        (("event", "jurisdiction"), "999999", "event.jurisdiction"),
        (("event", "event_id"), 12, "event.event_id"),
        (("event", "type"), "weird_event", "event.type"),
        (("event", "payload"), [], "event.payload"),
        (("received_at",), 1_700_000_000, "received_at"),
        (("product_key",), "k" * 2000, "product_key"),
    ],
)
def test_wrong_types_and_unknown_codes_raise_one_named_error(
    path: tuple[str, ...], value: object, field: str
) -> None:
    record = _record(1, NOW)
    target = record
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
    with pytest.raises(CanonicalRecordError) as caught:
        case_from_canonical(record, None, NOW)
    assert caught.value.field == field


def test_events_without_risk_meaning_are_none() -> None:
    heartbeat = _record(1, NOW)
    heartbeat["event"]["type"] = "station_heartbeat"
    assert case_from_canonical(heartbeat, None, NOW) is None
    no_product = _record(2, NOW)
    no_product["product_key"] = None
    assert case_from_canonical(no_product, None, NOW) is None


def test_sampling_fields_are_strict_too() -> None:
    record = _record(1, NOW)
    record["event"]["type"] = "sampling_result"
    record["event"]["payload"] = {
        "sampled_at": NOW.isoformat(),
        "items": [{"clause": "5.1", "verdict": "fail"}],
        "hazards": ["electric_shock"],
        "vulnerable_users": False,
        "product": {"category": "appliances", "manufacturer_code": PRODUCT[:18]},
    }
    case = case_from_canonical(record, None, NOW)
    assert case is not None and case.failed and case.severity.level == 4
    for path, bad in (
        (("vulnerable_users",), "yes"),
        (("hazards",), ["lasers"]),
        (("items",), [{"clause": "5.1", "verdict": "FAIL"}]),
        (("items",), {"clause": "5.1"}),
        (("sampled_at",), None),
    ):
        broken = copy.deepcopy(record)
        broken["event"]["payload"][path[0]] = bad
        with pytest.raises(CanonicalRecordError):
            case_from_canonical(broken, None, NOW)


_ODD_VALUES: tuple[object, ...] = (
    None,
    True,
    0,
    -1,
    10**30,
    1.5,
    float("nan"),
    "",
    "x",
    YEAR_1,
    YEAR_9999,
    [],
    {},
    ["a"],
)


def _paths(value: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if not isinstance(value, dict):
        return [prefix]
    out = [prefix] if prefix else []
    for name, inner in value.items():
        out += _paths(inner, (*prefix, name))
    return out


def test_any_field_replaced_by_any_odd_value_gives_a_case_none_or_the_one_error() -> None:
    base = _record(1, NOW)
    tried = 0
    for path in _paths(base):
        for odd in _ODD_VALUES:
            record = copy.deepcopy(base)
            target = record
            for name in path[:-1]:
                target = target[name]
            target[path[-1]] = odd
            try:
                case = case_from_canonical(record, None, NOW)
            except CanonicalRecordError:
                continue
            tried += 1
            if case is not None:
                result = assess(ProductRiskState(), [case], None, NOW)
                assert result.state.watermark_day is None or result.state.watermark_day <= (
                    TODAY + ALLOWANCE_DAYS
                )
    assert tried > 20, "some replacements are harmless (sent_at, source, ...) and still parse"


def test_broker_timestamps_bound_a_record_without_receipt_time() -> None:
    record = _record(1, NOW + timedelta(days=3))
    del record["received_at"]
    ts = NOW.timestamp()
    case = case_from_canonical(record, ts, NOW)
    assert case is not None and case.limit_day == TODAY + ALLOWANCE_DAYS
    assert assess(ProductRiskState(), [case], None, NOW).future == 1
    for odd in (float("nan"), float("inf"), -5.0, 1e300):
        odd_case = case_from_canonical(record, odd, NOW)
        assert odd_case is not None and odd_case.sent_ts is None
