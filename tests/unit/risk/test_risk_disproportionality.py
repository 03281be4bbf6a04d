"""PRR, ROR, IC and GPS against 2x2 tables computed by hand (arithmetic in the comments)."""

import math

import numpy as np
import pytest

from recall.domain.risk.disproportionality import (
    MIN_GPS_FIT_PAIRS,
    GpsPrior,
    Table2x2,
    assess,
    chi2_yates,
    fit_gps_prior,
    gps,
    gps_log_likelihood,
    information_component,
    prr,
    ror,
)
from recall.domain.risk.errors import InvalidInputError

# a=10 b=90 c=20 d=880, N=1000
TABLE = Table2x2(10, 90, 20, 880)


def test_prr_by_hand() -> None:
    # (10/100) / (20/900) = 0.1 / 0.022222 = 4.5
    result = prr(TABLE)
    assert result.prr == pytest.approx(4.5)
    # se = sqrt(1/10 - 1/100 + 1/20 - 1/900) = sqrt(0.138889) = 0.372678
    assert result.lower == pytest.approx(4.5 * math.exp(-1.959964 * 0.372678), rel=1e-5)
    assert result.signal


def test_chi2_with_yates_by_hand() -> None:
    # N (|ad - bc| - N/2)^2 / (100 * 900 * 30 * 970) = 1000 * 6500^2 / 2.619e9 = 16.1321
    assert chi2_yates(TABLE) == pytest.approx(1000 * 6500**2 / 2.619e9)


def test_ror_by_hand() -> None:
    # ad/bc = 8800/1800 = 4.8889; se = sqrt(1/10 + 1/90 + 1/20 + 1/880) = 0.402799
    result = ror(TABLE)
    assert result.ror == pytest.approx(8800 / 1800)
    assert result.lower == pytest.approx(8800 / 1800 * math.exp(-1.959964 * 0.402799), rel=1e-5)
    assert result.lower == pytest.approx(2.2200, abs=1e-3)
    assert result.signal


def test_information_component_by_hand() -> None:
    # E = 100 * 30 / 1000 = 3; IC = log2(10.5 / 3.5) = log2(3)
    result = information_component(TABLE)
    assert result.ic == pytest.approx(math.log2(3))
    assert 0 < result.ic025 < result.ic < result.ic975
    assert result.signal


def test_evans_rule_needs_three_cases() -> None:
    # a=2: PRR = (2/4)/(10/1000) = 50, chi2 large, but N < 3
    small = prr(Table2x2(2, 2, 10, 990))
    assert small.prr == pytest.approx(50.0)
    assert not small.signal


def test_zero_cell_uses_haldane_correction() -> None:
    # b=0 → (3.5 * 900.5) / (0.5 * 20.5) = 307.488
    assert ror(Table2x2(3, 0, 20, 900)).ror == pytest.approx(3.5 * 900.5 / (0.5 * 20.5))


def test_no_disproportion_no_signal() -> None:
    result = assess(Table2x2(10, 90, 100, 900))  # same hazard share in product and category
    assert result.prr.prr == pytest.approx(1.0)
    assert result.criteria_met == 0


def test_gps_shrinks_small_counts_towards_one() -> None:
    small = gps(Table2x2(3, 7, 10, 980))  # raw ratio a/E = 3 / 0.13 = 23
    assert 1 < small.ebgm < 3 / Table2x2(3, 7, 10, 980).expected
    large = gps(Table2x2(100, 900, 900, 98100))  # E = 10, raw ratio 10
    assert large.ebgm == pytest.approx(10, rel=0.05)
    assert large.eb05 < large.ebgm < large.eb95
    assert large.signal


def test_negative_cells_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        Table2x2(-1, 0, 0, 0)


# Fitting the GPS prior ---------------------------------------------------------------------

TRUE_PRIOR = GpsPrior(0.5, 0.6, 3.0, 1.0, 0.7)


def _pairs_from(prior: GpsPrior, size: int, seed: int) -> list[tuple[int, float]]:
    """(N, E) of pairs drawn from `prior`, as a report table lists them (N >= 1 only)."""
    rng = np.random.default_rng(seed)
    e = np.exp(rng.normal(-0.5, 1.0, size))
    first = rng.uniform(size=size) < prior.p
    lam = np.where(
        first,
        rng.gamma(prior.alpha1, 1 / prior.beta1, size),
        rng.gamma(prior.alpha2, 1 / prior.beta2, size),
    )
    n = rng.poisson(lam * e)
    return [(int(k), float(x)) for k, x in zip(n, e, strict=True) if k >= 1]


def test_fitted_prior_is_at_least_as_likely_as_the_truth() -> None:
    pairs = _pairs_from(TRUE_PRIOR, 4000, seed=1)
    fitted = fit_gps_prior(pairs)
    assert fitted.fitted_pairs == len(pairs)
    assert gps_log_likelihood(fitted, pairs) >= gps_log_likelihood(TRUE_PRIOR, pairs) - 1e-6
    assert gps_log_likelihood(fitted, pairs) > gps_log_likelihood(GpsPrior(), pairs) + 10


def test_fitted_prior_recovers_the_mean_relative_ratio() -> None:
    def mean(p: GpsPrior) -> float:
        return p.p * p.alpha1 / p.beta1 + (1 - p.p) * p.alpha2 / p.beta2

    fitted = fit_gps_prior(_pairs_from(TRUE_PRIOR, 8000, seed=2))
    assert mean(fitted) == pytest.approx(mean(TRUE_PRIOR), rel=0.15)


def test_too_few_pairs_keep_the_default_prior() -> None:
    pairs = _pairs_from(TRUE_PRIOR, 4000, seed=3)[: MIN_GPS_FIT_PAIRS - 1]
    assert fit_gps_prior(pairs) == GpsPrior()
    assert fit_gps_prior([(0, 1.0)] * 500) == GpsPrior()  # zero counts carry no information


def test_ebgm_under_a_fitted_prior_shrinks_towards_that_prior() -> None:
    # A prior fitted to tables where nothing is disproportionate pulls a 3-case pair harder
    # towards 1 than the loose default does.
    calm = GpsPrior(20.0, 20.0, 40.0, 40.0, 0.5)
    fitted = fit_gps_prior(_pairs_from(calm, 4000, seed=4))
    small = Table2x2(3, 97, 50, 9850)  # observed 3 vs expected ~0.53
    assert abs(math.log(gps(small, fitted).ebgm)) < abs(math.log(gps(small).ebgm))
