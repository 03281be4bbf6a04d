"""Forecast maths on curves with known answers, prior learning and the lagging rule."""

from __future__ import annotations

import math

import pytest

from recall.domain.recalls import (
    ForecastError,
    InsufficientHistoryError,
    detect_lagging,
    fit_curve,
    forecast_final_rate,
    lagging_recovered,
    learn_prior,
    saturating_rate,
)


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
