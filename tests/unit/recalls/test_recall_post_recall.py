"""Incidents before/after the recall start and the RecallIneffective rules."""

from __future__ import annotations

import pytest

from recall.domain.recalls import (
    Incident,
    IncidentKind,
    PostRecallSummary,
    assess_post_recall,
    summarise_incidents,
)
from recall.domain.recalls.post_recall import remaining_unit_days

from .builders import PRODUCT, day, make_spec

INJURY, FAIL = IncidentKind.INJURY, IncidentKind.SAMPLING_FAILURE


def _inc(
    i: int,
    at: float,
    *,
    batch: str | None = "B1",
    kind: IncidentKind = INJURY,
    product: str = PRODUCT,
) -> Incident:
    return Incident(f"I{i}", kind, day(at), product, batch)


def test_matching_by_product_and_batch() -> None:
    spec = make_spec()
    incidents = [
        _inc(1, -10),
        _inc(2, 5),
        _inc(3, 6, batch="B9"),
        _inc(4, 7, product="other/x/y"),
        _inc(5, 8, batch=None),
        _inc(6, 9, kind=FAIL),
    ]
    summary = summarise_incidents(spec, incidents, now=day(20))
    assert (summary.before, summary.after) == (1, 3)  # B9 and other product excluded
    strict = summarise_incidents(spec, incidents, now=day(20), include_unknown_batch=False)
    assert strict.after == 2


def test_buckets_by_period_edges_and_now() -> None:
    spec = make_spec()
    incidents = [
        _inc(1, -0.001),
        _inc(2, 0),
        _inc(3, 29.99),
        _inc(4, 30),
        _inc(5, 45, kind=FAIL),
        _inc(6, 80),
        _inc(7, -400),
    ]
    summary = summarise_incidents(spec, incidents, now=day(70), period_days=30, lookback_days=60)
    by_index = {b.index: (b.injuries, b.sampling_failures) for b in summary.buckets}
    assert by_index == {-2: (0, 0), -1: (1, 0), 0: (2, 0), 1: (1, 1), 2: (0, 0)}
    assert summary.before == 1  # day -400 is outside the 60-day lookback
    assert summary.after == 4  # day 80 is after now
    assert summary.incident_days_after == pytest.approx((0.0, 29.99, 30.0, 45.0))


def test_remaining_unit_days_known_answer() -> None:
    # 1000 units; 400 removed by the day-30 report, 700 by day 60; until day 90:
    # 1000*30 + 600*30 + 300*30 = 57,000 unit-days
    assert remaining_unit_days(1000, [(30, 400), (60, 700)], 90) == pytest.approx(57_000)
    # until day 45: 1000*30 + 600*15 = 39,000
    assert remaining_unit_days(1000, [(30, 400), (60, 700)], 45) == pytest.approx(39_000)


def _summary(before: int, after_days: tuple[float, ...]) -> PostRecallSummary:
    return PostRecallSummary("R-1", 30, (), before, len(after_days), after_days, 365.0)


def test_rate_not_falling_fires() -> None:
    spec = make_spec()  # 1000 units
    # before: 3 incidents / (1000 × 365) unit-days = 8.2e-6; after: 3 / 57,000 = 5.3e-5
    result = assess_post_recall(
        spec, _summary(3, (10.0, 20.0, 40.0)), [(30, 400), (60, 700)], now=day(90)
    )
    assert result is not None
    assert result.rate_after == pytest.approx(3 / 57_000)
    assert result.rate_before == pytest.approx(3 / 365_000)
    assert "not below" in result.reasons[0]


def test_falling_rate_and_few_events_do_not_fire() -> None:
    spec = make_spec()
    removed = [(30, 400), (60, 700)]
    assert assess_post_recall(spec, _summary(3, (10.0, 20.0)), removed, now=day(90)) is None
    many_before = _summary(400, (10.0, 20.0, 40.0))  # 1.1e-3 before vs 5.3e-5 after
    assert assess_post_recall(spec, many_before, removed, now=day(90)) is None


def test_late_incidents_fire_even_when_the_rate_falls() -> None:
    spec = make_spec()
    late = _summary(10_000, (100.0, 120.0, 150.0))
    result = assess_post_recall(spec, late, [(30, 400)], now=day(200))
    assert result is not None
    assert result.reasons == ("3 incidents more than 90 days after the start",)
    assert assess_post_recall(spec, late, [(30, 400)], now=day(200), late_events=4) is None
