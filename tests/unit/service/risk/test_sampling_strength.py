"""A sampling result's failed items and margins, from the canonical record to the live score:
parsed strictly, kept bounded in the product's state, weighed by `failure_strength`."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from recall.service.risk.assessment import assess
from recall.service.risk.cases import CanonicalRecordError, case_from_canonical
from recall.service.risk.state import ProductRiskState

NOW = datetime(2024, 10, 5, 4, 0, tzinfo=UTC)
PRODUCT = "91440300MA5ABCDE1X/acme/k-1"


def _sample(n: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "event": {
            "event_id": f"00000000-0000-4000-8000-{n:012d}",
            "type": "sampling_result",
            "jurisdiction": "440305",
            "sent_at": NOW.isoformat(),
            "payload": {
                "sampled_at": NOW.isoformat(),
                "items": items,
                "hazards": ["electric_shock"],
                "vulnerable_users": False,
                "product": {"category": "appliances", "manufacturer_code": PRODUCT[:18]},
            },
        },
        "product_key": PRODUCT,
        "received_at": NOW.isoformat(),
    }


def _item(verdict: str, measured: str | None = None, limit: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"clause": "13.2", "item": "leakage current", "verdict": verdict}
    if measured is not None:
        entry["measured"] = measured
    if limit is not None:
        entry["limit"] = limit
    return entry


def test_failed_items_and_the_largest_readable_margin_are_read() -> None:
    record = _sample(
        1,
        [
            _item("fail", "0.9 mA", "≤ 0.75 mA"),  # 20%
            _item("fail", "0.8 A", "≤ 0.75 mA"),  # units differ: no margin
            _item("fail", "breakdown", "no breakdown"),
            _item("pass", "9 mA", "≤ 0.75 mA"),  # a passing item's figures are not read
        ],
    )
    case = case_from_canonical(record, None, NOW)
    assert case is not None and case.failed
    assert case.failed_items == 3
    assert case.margin == pytest.approx(0.2)
    passed = case_from_canonical(_sample(2, [_item("pass", "0.5 mA", "≤ 0.75 mA")]), None, NOW)
    assert passed is not None and not passed.failed and passed.failed_items == 0
    assert passed.margin is None


@pytest.mark.parametrize("bad", [0.9, 1, True, ["0.9 mA"], "x" * 201])
def test_measured_and_limit_are_null_or_bounded_strings(bad: object) -> None:
    for field in ("measured", "limit"):
        record = _sample(1, [_item("fail", "0.9 mA", "≤ 0.75 mA")])
        broken = copy.deepcopy(record)
        broken["event"]["payload"]["items"][0][field] = bad
        with pytest.raises(CanonicalRecordError):
            case_from_canonical(broken, None, NOW)


def _score(records: list[dict[str, Any]]) -> tuple[ProductRiskState, dict[str, float], str]:
    state = ProductRiskState()
    result = None
    for record in records:
        case = case_from_canonical(record, None, NOW)
        assert case is not None
        state = ProductRiskState.from_bytes(state.to_bytes())  # through the table's bytes
        result = assess(state, [case], units_in_use=None, now=NOW)
    assert result is not None and result.score is not None
    parts = {c.key: c.points for c in result.score.contributions}
    detail = next(c.detail for c in result.score.contributions if c.key == "sampling")
    assert abs(sum(parts.values()) - result.score.score) < 1e-9
    return state, parts, detail


def test_a_marginal_failure_earns_less_and_a_second_one_makes_it_strong() -> None:
    marginal = _sample(1, [_item("fail", "0.78 mA", "≤ 0.75 mA")])  # 4% past the limit
    state, parts, detail = _score([marginal])
    assert parts["sampling"] == 12.0 and "marginal" in detail
    assert (state.serious_failures, state.serious_items) == (1, 1)
    assert state.serious_margin == pytest.approx(0.04)
    again = _sample(2, [_item("fail", "0.77 mA", "≤ 0.75 mA")])
    state, parts, detail = _score([marginal, again])
    assert parts["sampling"] == 25.0 and "strong" in detail
    assert state.serious_margin == pytest.approx(0.04), "the largest margin is kept"


def test_a_wide_margin_or_two_items_is_strong_and_no_figure_keeps_the_old_points() -> None:
    _, wide, _ = _score([_sample(1, [_item("fail", "1.5 mA", "≤ 0.75 mA")])])
    _, two, _ = _score([_sample(1, [_item("fail"), _item("fail")])])
    _, none, detail = _score([_sample(1, [_item("fail")])])
    assert (wide["sampling"], two["sampling"], none["sampling"]) == (25.0, 25.0, 20.0)
    assert "unknown" in detail


def test_an_older_state_without_the_new_fields_loads_as_unknown() -> None:
    state = ProductRiskState(serious_failures=1, other_failures=2)
    raw = state.to_bytes().replace(b'"f":[1,2,0,null]', b'"f":[1,2]')
    assert b'"f":[1,2]' in raw
    loaded = ProductRiskState.from_bytes(raw)
    assert (loaded.serious_failures, loaded.other_failures) == (1, 2)
    assert (loaded.serious_items, loaded.serious_margin) == (0, None)
