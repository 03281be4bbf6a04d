"""The figures a recall's page draws beyond the dossier's: the forecast band (one posterior,
the same answer as a forecast at each day), the before/after incident rates (the exposures
the post-recall rule judges) and the register's next report due (the schedule's rule)."""

from __future__ import annotations

import pytest

from recall.domain.recalls import (
    InvalidRecallError,
    PostRecallSummary,
    assess_post_recall,
    forecast_band,
    forecast_final_rate,
    incident_rates,
    next_report_due,
    reporting_schedule,
)

from .builders import START, day, make_spec

POINTS = [(30.0, 0.21), (60.0, 0.33), (90.0, 0.40)]


def test_the_band_is_the_forecast_at_each_day() -> None:
    days = (90.0, 120.0, 150.0, 180.0)
    band = forecast_band(POINTS, days=days)
    assert [f.horizon_days for f in band] == list(days)
    for f in band:
        alone = forecast_final_rate(POINTS, horizon_days=f.horizon_days)
        assert (f.low80, f.final_rate, f.high80) == pytest.approx(
            (alone.low80, alone.final_rate, alone.high80)
        )
        assert POINTS[-1][1] <= f.low80 <= f.final_rate <= f.high80 <= 1.0
    assert [f.final_rate for f in band] == sorted(f.final_rate for f in band)  # cumulative


def test_a_band_day_before_the_last_report_is_the_last_report() -> None:
    (early,) = forecast_band(POINTS, days=(10.0,))
    assert early.horizon_days == POINTS[-1][0]


def _summary(before: int, after_days: tuple[float, ...]) -> PostRecallSummary:
    return PostRecallSummary("R-1", 30, (), before, len(after_days), after_days, 365.0)


def test_incident_rates_are_the_rules_rates_per_unit_year() -> None:
    spec = make_spec()
    removed = [(30.0, 400), (60.0, 700)]
    summary = _summary(3, (10.0, 20.0, 40.0))
    rule = assess_post_recall(spec, summary, removed, now=day(90))
    assert rule is not None  # the rate did not fall: the rule fires with its two rates
    rates = incident_rates(spec, summary, removed, now=day(90))
    assert rates.before_per_unit_year == pytest.approx(rule.rate_before * 365.25)
    assert rates.after_per_unit_year == pytest.approx(rule.rate_after * 365.25)
    assert rates.change == pytest.approx(rule.rate_after / rule.rate_before - 1)
    assert (rates.incidents_before, rates.incidents_after) == (3, 3)


def test_before_the_start_there_is_no_rate_after() -> None:
    rates = incident_rates(make_spec(), _summary(2, ()), [], now=day(-5))
    assert rates.after_per_unit_year is None
    assert rates.change is None
    assert rates.before_per_unit_year > 0


def test_the_next_report_is_due_by_the_schedule() -> None:
    schedule = reporting_schedule("R-1", START, 30, 6)
    for received in range(5):
        assert next_report_due(START, 30, received) == schedule[received].due
    with pytest.raises(InvalidRecallError):
        next_report_due(START, 0, 1)
