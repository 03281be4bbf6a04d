"""Binomial intervals against closed forms and textbook values (Brown, Cai & DasGupta 2001)."""

import math

import pytest

from recall.domain.risk.errors import InvalidInputError
from recall.domain.risk.matrix import ProbabilityBand
from recall.domain.risk.probability import (
    IntervalMethod,
    clopper_pearson,
    estimate_probability,
    wilson,
)


def test_clopper_pearson_zero_incidents_has_closed_form() -> None:
    # x = 0: upper = 1 - (alpha/2)^(1/n)
    lower, upper = clopper_pearson(0, 10)
    assert lower == 0.0
    assert upper == pytest.approx(1 - 0.025 ** (1 / 10), rel=1e-9)


def test_clopper_pearson_all_incidents_has_closed_form() -> None:
    lower, upper = clopper_pearson(10, 10)
    assert lower == pytest.approx(0.025 ** (1 / 10), rel=1e-9)
    assert upper == 1.0


def test_clopper_pearson_one_in_ten_textbook_value() -> None:
    lower, upper = clopper_pearson(1, 10)
    assert lower == pytest.approx(0.00253, abs=1e-5)
    assert upper == pytest.approx(0.44502, abs=1e-5)


def test_wilson_matches_hand_formula() -> None:
    # p = 0.1, n = 10, z = 1.959964: centre = (0.1 + z^2/20) / (1 + z^2/10)
    z = 1.959963984540054
    centre = (0.1 + z * z / 20) / (1 + z * z / 10)
    half = z * math.sqrt(0.09 / 10 + z * z / 400) / (1 + z * z / 10)
    lower, upper = wilson(1, 10)
    assert (lower, upper) == pytest.approx((centre - half, centre + half))
    assert lower == pytest.approx(0.0179, abs=1e-4)


def test_estimate_reports_bands_the_interval_spans() -> None:
    est = estimate_probability(1, 2_000)
    assert est.point == pytest.approx(5e-4)
    assert est.band is ProbabilityBand.OVER_1_IN_10K
    assert est.band_upper is ProbabilityBand.OVER_1_IN_1K  # upper bound ~2.8e-3
    assert est.band_lower is ProbabilityBand.OVER_1_IN_100K  # lower bound ~1.3e-5
    assert est.bands_spanned == (
        ProbabilityBand.OVER_1_IN_1K,
        ProbabilityBand.OVER_1_IN_10K,
        ProbabilityBand.OVER_1_IN_100K,
    )


def test_wilson_interval_is_shorter_than_exact() -> None:
    exact = estimate_probability(5, 200)
    score = estimate_probability(5, 200, method=IntervalMethod.WILSON)
    assert score.upper - score.lower < exact.upper - exact.lower


@pytest.mark.parametrize(("x", "n"), [(-1, 10), (11, 10), (0, 0)])
def test_impossible_counts_are_refused(x: int, n: int) -> None:
    with pytest.raises(InvalidInputError):
        estimate_probability(x, n)
