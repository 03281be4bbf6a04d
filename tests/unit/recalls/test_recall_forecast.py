"""Forecast maths on curves with known answers, prior learning and the lagging rule."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from recall.domain.recalls import (
    ForecastError,
    ForecastPrior,
    InsufficientHistoryError,
    detect_lagging,
    fit_curve,
    forecast_final_rate,
    lagging_recovered,
    learn_prior,
    saturating_rate,
)
from recall.domain.recalls.forecast import conformal_quantile


def _exact(rate: float, tau: float, days: range) -> list[tuple[float, float]]:
    return [(float(d), saturating_rate(d, rate, tau)) for d in days]


HISTORY = [
    _exact(r, tau, range(30, 541, 30))
    for r, tau in ((0.50, 50), (0.60, 70), (0.70, 90), (0.55, 60), (0.65, 45), (0.58, 80))
]


def test_saturating_rate_known_values() -> None:
    assert saturating_rate(0.0, 0.6, 60) == 0.0
    assert saturating_rate(60.0, 0.6, 60) == pytest.approx(0.6 * (1 - math.exp(-1)))


def test_fit_recovers_exact_exponential() -> None:
    fit = fit_curve(_exact(0.6, 60, range(30, 541, 30)))
    assert fit.asymptote == pytest.approx(0.6, abs=1e-6)
    assert fit.tau_days == pytest.approx(60, rel=1e-4)
    assert fit.rmse < 1e-8


def test_flat_forecast_recovers_asymptote_from_three_exact_points() -> None:
    f = forecast_final_rate(_exact(0.6, 60, range(30, 91, 30)))
    assert f.method == "flat-grid"
    assert f.n_points == 3
    assert f.horizon_days == 540
    assert f.final_rate == pytest.approx(0.6, abs=0.01)
    assert f.low80 <= 0.6 <= f.high80
    assert f.asymptote == pytest.approx(0.6, abs=0.01)
    assert f.tau_days == pytest.approx(60, rel=0.05)


def test_prior_learns_category_and_narrows_the_interval() -> None:
    prior = learn_prior(HISTORY)
    assert prior.n_curves == 6
    assert prior.horizon_days == 540
    assert 1 / (1 + math.exp(-prior.mean_logit_rate)) == pytest.approx(0.6, abs=0.03)
    points = _exact(0.6, 60, range(30, 91, 30))
    flat, eb = forecast_final_rate(points), forecast_final_rate(points, prior)
    assert eb.method == "eb-grid"
    assert eb.final_rate == pytest.approx(0.6, abs=0.01)
    assert eb.high80 - eb.low80 < flat.high80 - flat.low80


def test_prior_alone_gives_the_category_forecast() -> None:
    f = forecast_final_rate([], learn_prior(HISTORY))
    assert f.n_points == 0
    assert 0.5 < f.final_rate < 0.7
    assert f.low80 < f.final_rate < f.high80


def test_final_rate_never_below_last_observed() -> None:
    f = forecast_final_rate([(30.0, 0.05), (60.0, 0.30), (90.0, 0.31)])
    assert f.low80 >= 0.31
    assert f.final_rate >= 0.31


def test_horizon_shorter_than_the_data_uses_the_last_day() -> None:
    f = forecast_final_rate(_exact(0.6, 60, range(30, 91, 30)), horizon_days=45)
    assert f.horizon_days == 90


@pytest.mark.parametrize(
    "points",
    [[], [(30.0, 1.2)], [(30.0, 0.2), (20.0, 0.3)], [(30.0, 0.3), (60.0, 0.2)], [(math.nan, 0.1)]],
)
def test_bad_points_are_refused(points: list[tuple[float, float]]) -> None:
    with pytest.raises(ForecastError):
        forecast_final_rate(points)


def test_learn_prior_needs_enough_curves() -> None:
    with pytest.raises(InsufficientHistoryError, match="3 finished"):
        learn_prior(HISTORY[:2])


def test_lagging_rule_and_hysteresis() -> None:
    slow = forecast_final_rate(_exact(0.3, 60, range(30, 91, 30)), learn_prior(HISTORY))
    decision = detect_lagging("R-1", slow, target_rate=0.6)
    assert decision is not None
    assert decision.forecast is slow
    assert "below the target 60%" in decision.reason
    assert detect_lagging("R-1", slow, target_rate=0.6, min_points=4) is None
    good = forecast_final_rate(_exact(0.7, 60, range(30, 91, 30)), learn_prior(HISTORY))
    assert detect_lagging("R-1", good, target_rate=0.6) is None
    assert lagging_recovered(good, 0.6)
    assert not lagging_recovered(slow, 0.6)


# Conformal calibration -------------------------------------------------------------------


def _second_wave(rate: float, tau: float, wave: float) -> list[tuple[float, float]]:
    """A recall whose re-notice at day 200 lifts the final rate by `wave`: no fit to the first
    reports can see it coming — the case the calibration exists for."""

    def at(day: float) -> float:
        lift = wave * -math.expm1(-(day - 200) / 40) if day > 200 else 0.0
        return min(saturating_rate(day, rate, tau) + lift, 1.0)

    return [(float(d), at(d)) for d in range(30, 541, 30)]


def _waves(offset: float) -> list[list[tuple[float, float]]]:
    return [_second_wave(0.45 + 0.03 * i + offset, 40 + 7 * i, 0.02 * (i % 7)) for i in range(14)]


def test_conformal_quantile_is_the_ceil_n_plus_1_rank() -> None:
    assert conformal_quantile([float(s) for s in range(10, 0, -1)], 0.8) == 9.0  # ⌈11·0.8⌉
    assert conformal_quantile([0.3, -0.1, 0.2, 0.4], 0.8) == 0.4  # ⌈5·0.8⌉ = 4 = n
    assert conformal_quantile([0.1, 0.2, 0.3], 0.8) == 0.3  # rank 4 > n: the largest
    with pytest.raises(ForecastError, match="at least one score"):
        conformal_quantile([], 0.8)
    with pytest.raises(ForecastError, match="coverage"):
        conformal_quantile([1.0], 1.0)


def test_margin_for_uses_the_last_margin_beyond_the_calibrated_counts() -> None:
    prior = replace(learn_prior(HISTORY, calibrate=False), margins=(0.1, 0.05))
    assert [prior.margin_for(k) for k in (0, 1, 2, 3, 9)] == [0.0, 0.1, 0.05, 0.05, 0.05]
    assert replace(prior, margins=()).margin_for(3) == 0.0


def test_margins_shrink_as_reports_pin_exact_curves_down() -> None:
    # One point cannot separate R∞ from τ, so the prior's spread decides and can miss; four
    # exact points leave nothing to miss: the margin falls to zero and changes nothing.
    prior = learn_prior(HISTORY)
    assert len(prior.margins) == 4 and prior.margins[-1] == 0.0
    assert all(a >= b >= 0.0 for a, b in zip(prior.margins, prior.margins[1:], strict=False))
    points = _exact(0.6, 60, range(30, 121, 30))
    plain = forecast_final_rate(points, learn_prior(HISTORY, calibrate=False))
    calibrated = forecast_final_rate(points, prior)
    assert (calibrated.low80, calibrated.high80) == (plain.low80, plain.high80)
    assert calibrated.interval_margin == 0.0


def test_calibration_widens_intervals_that_second_waves_defeat() -> None:
    history, fresh = _waves(0.0), _waves(0.015)
    plain, calibrated = learn_prior(history, calibrate=False), learn_prior(history)
    assert plain.margins == () and len(calibrated.margins) == 4
    assert all(m >= 0 for m in calibrated.margins) and calibrated.margins[2] > 0

    def coverage(prior: ForecastPrior) -> float:
        hits = 0
        for curve in fresh:
            f = forecast_final_rate(curve[:3], prior, horizon_days=curve[-1][0])
            hits += f.low80 <= curve[-1][1] <= f.high80
        return hits / len(fresh)

    assert coverage(plain) < 0.8 <= coverage(calibrated)
    f = forecast_final_rate(fresh[0][:3], calibrated, horizon_days=540)
    assert f.interval_margin == calibrated.margins[2]
    assert 0.0 <= f.low80 <= f.final_rate <= f.high80 <= 1.0


def test_too_few_curves_are_not_calibrated() -> None:
    assert learn_prior(HISTORY[:3]).margins == ()
