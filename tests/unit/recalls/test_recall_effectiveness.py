"""Rates, speed, percentile, residual risk, FDA level and verdict on hand-computed numbers."""

from __future__ import annotations

import math

import pytest

from recall.domain.recalls import (
    OVERALL,
    FdaCheckLevel,
    NoticeChannel,
    ProgressReport,
    RiskLevel,
    SupplyLevel,
    Verdict,
    correction_curve,
    correction_rates,
    correction_speed,
    evaluate_recall,
    fda_check_level,
    percentile_rank,
    residual_risk,
)

from .builders import consumer, make_report, make_spec


def test_raw_and_adjusted_rates_per_level_and_overall() -> None:
    spec = make_spec()  # retailer 200, consumer 800
    report = make_report(
        3,
        {
            SupplyLevel.RETAILER: consumer(180, notified=200),
            SupplyLevel.CONSUMER: consumer(300, notified=600, lost=200),
        },
    )
    rates = correction_rates(spec, report)
    assert set(rates) == {"retailer", "consumer", OVERALL}
    c = rates["consumer"]
    assert c.raw_rate == pytest.approx(300 / 800)
    assert c.adjusted_rate == pytest.approx(300 / 600)  # 200 proven unreachable excluded
    assert c.reach == pytest.approx(600 / 800)
    assert c.uncorrected == 300
    o = rates[OVERALL]
    assert (o.affected, o.corrected, o.unreachable) == (1000, 480, 200)
    assert o.raw_rate == pytest.approx(0.48)
    assert o.adjusted_rate == pytest.approx(480 / 800)


def test_rates_before_any_report_are_zero_and_all_unreachable_is_nan() -> None:
    spec = make_spec()
    assert correction_rates(spec, None)[OVERALL].raw_rate == 0.0
    all_lost = make_report(1, {SupplyLevel.RETAILER: consumer(0, notified=0, lost=200)})
    assert math.isnan(correction_rates(spec, all_lost)["retailer"].adjusted_rate)


def test_curve_and_speed_with_interpolated_days_to_half() -> None:
    spec = make_spec()  # 1000 units
    reports = [
        make_report(k, {SupplyLevel.CONSUMER: consumer(n)})
        for k, n in ((1, 200), (2, 400), (3, 700))
    ]
    curve = correction_curve(spec, reports)
    assert [(p.day, p.rate) for p in curve] == [(30.0, 0.2), (60.0, 0.4), (90.0, 0.7)]
    speed = correction_speed(curve)
    assert speed.units_per_day == pytest.approx(700 / 90)
    assert speed.recent_units_per_day == pytest.approx(300 / 30)
    # 0.5 lies a third of the way from (60, 0.4) to (90, 0.7): day 70
    assert speed.days_to_half == pytest.approx(70.0)
    assert correction_speed(curve[:2]).days_to_half is None
    consumer_curve = correction_curve(spec, reports, SupplyLevel.CONSUMER)
    assert consumer_curve[-1].rate == pytest.approx(700 / 800)


def test_percentile_rank_is_mid_rank() -> None:
    history = [0.1, 0.2, 0.3, 0.4]
    assert percentile_rank(0.25, history) == 50.0
    assert percentile_rank(0.3, history) == pytest.approx(62.5)  # (2 + 0.5) / 4
    assert percentile_rank(0.05, history) == 0.0
    assert percentile_rank(0.5, []) is None


def test_residual_risk_known_poisson_interval() -> None:
    # Garwood exact 95% interval for 2 events: 0.2422 – 7.2247 (published tables).
    risk = residual_risk(uncorrected_units=1000, incidents=2, unit_years=10_000)
    assert risk.rate_per_unit_year == pytest.approx(2e-4)
    assert risk.rate_low * 10_000 == pytest.approx(0.2422, abs=1e-4)
    assert risk.rate_high * 10_000 == pytest.approx(7.2247, abs=1e-4)
    assert risk.expected_per_year == pytest.approx(0.2)
    zero = residual_risk(500, 0, 1000)
    assert zero.rate_low == 0.0
    assert zero.rate_high * 1000 == pytest.approx(3.6889, abs=1e-4)  # -ln(0.025)


@pytest.mark.parametrize(
    ("risk", "channels", "expected"),
    [
        (RiskLevel.SERIOUS, {NoticeChannel.DIRECT_NOTICE}, FdaCheckLevel.A),
        (RiskLevel.HIGH, {NoticeChannel.DIRECT_NOTICE}, FdaCheckLevel.B),
        (RiskLevel.HIGH, {NoticeChannel.PRESS_RELEASE}, FdaCheckLevel.A),
        (RiskLevel.MEDIUM, {NoticeChannel.DIRECT_NOTICE}, FdaCheckLevel.C),
        (RiskLevel.MEDIUM, {NoticeChannel.RETAILER_NOTICE}, FdaCheckLevel.B),
        (RiskLevel.LOW, {NoticeChannel.DIRECT_NOTICE}, FdaCheckLevel.D),
        (RiskLevel.LOW, {NoticeChannel.PRESS_RELEASE}, FdaCheckLevel.C),
    ],
)
def test_fda_check_level(
    risk: RiskLevel, channels: set[NoticeChannel], expected: FdaCheckLevel
) -> None:
    check = fda_check_level(make_spec(risk_level=risk, channels=frozenset(channels)))
    assert check.level is expected
    assert check.consignee_fraction == {"A": 1.0, "B": 0.5, "C": 0.1, "D": 0.02}[expected]


def test_fda_level_e_when_nothing_left_the_manufacturer() -> None:
    spec = make_spec(affected={SupplyLevel.MANUFACTURER: 50}, risk_level=RiskLevel.SERIOUS)
    assert fda_check_level(spec).level is FdaCheckLevel.E


def _final(corrected: int, lost: int = 0) -> ProgressReport:
    return make_report(12, {SupplyLevel.CONSUMER: consumer(corrected, lost=lost)})


def test_verdicts() -> None:
    spec = make_spec()  # target 0.7 of 1000
    assert evaluate_recall(spec, _final(700)).verdict is Verdict.EFFECTIVE
    # 600 of 1000 raw, but 200 proven unreachable: 600/800 = 75% ≥ 70%
    lost = evaluate_recall(spec, _final(600, lost=200))
    assert lost.verdict is Verdict.EFFECTIVE
    assert lost.adjusted_rate == pytest.approx(0.75)
    partial = evaluate_recall(spec, _final(400))
    assert partial.verdict is Verdict.PARTIALLY_EFFECTIVE
    assert not partial.met_target
    poor = evaluate_recall(spec, _final(200), past_rates=[0.5, 0.6])
    assert poor.verdict is Verdict.INEFFECTIVE
    assert poor.category_percentile == 0.0
    typical = evaluate_recall(spec, _final(200), past_rates=[0.1, 0.15])
    assert typical.verdict is Verdict.PARTIALLY_EFFECTIVE  # above the category median
    alarm = evaluate_recall(spec, _final(900), post_recall_ineffective=True)
    assert alarm.verdict is Verdict.INEFFECTIVE
    assert any("post-recall" in r for r in alarm.reasons)
