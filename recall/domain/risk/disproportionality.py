"""Disproportionality of a product x hazard pair against its category (pharmacovigilance style).

The 2x2 table, counted over reports in the category:

                      this hazard   other hazards
    this product           a              b
    other products         c              d

* PRR = [a/(a+b)] / [c/(c+d)] with Pearson chi-squared WITH Yates's continuity correction, and
  the Evans et al. (2001) signal rule: PRR >= 2, chi2 >= 4, a >= 3.
* ROR = ad/(bc) with a 95% Wald interval on log ROR; signal when the lower bound > 1
  (van Puijenbroek et al. 2002). Any zero cell: 0.5 is added to all four cells (Haldane).
* Shrinkage, two flavours:
  - IC (Norén et al. 2006/2013): IC = log2((a + 0.5)/(E + 0.5)), E = (a+b)(a+c)/N, with IC025
    the 2.5% quantile of log2 Gamma(a + 0.5, rate E + 0.5); signal when IC025 > 0. It needs
    no fitted prior, so it works for a single pair — our default.
  - GPS (DuMouchel 1999): posterior of the relative reporting ratio under a two-gamma mixture
    prior; EBGM and EB05 (5% posterior quantile), signal when EB05 >= 2. The prior is fitted
    to the whole product x hazard table by maximum marginal likelihood (`fit_gps_prior`);
    `GpsPrior()` holds the customary starting values of that fit (as in the openEBGM package),
    used when too few pairs exist to fit it.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq, minimize
from scipy.special import digamma, expit, gammaincinv, gammaln, logit, logsumexp
from scipy.stats import gamma

from recall.domain.risk.errors import InvalidInputError

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Table2x2:
    a: int
    b: int
    c: int
    d: int

    def __post_init__(self) -> None:
        if min(self.a, self.b, self.c, self.d) < 0:
            raise InvalidInputError(f"2x2 counts must be non-negative: {self}")

    @property
    def n(self) -> int:
        return self.a + self.b + self.c + self.d

    @property
    def expected(self) -> float:
        """Expected a under independence of product and hazard."""
        return (self.a + self.b) * (self.a + self.c) / self.n if self.n else 0.0


@dataclass(frozen=True, slots=True)
class PrrResult:
    prr: float
    lower: float
    upper: float
    chi2_yates: float
    signal: bool  # Evans 2001: PRR >= 2, chi2 >= 4, a >= 3


@dataclass(frozen=True, slots=True)
class RorResult:
    ror: float
    lower: float
    upper: float
    signal: bool  # lower 95% bound > 1


@dataclass(frozen=True, slots=True)
class IcResult:
    ic: float
    ic025: float
    ic975: float
    signal: bool  # IC025 > 0


@dataclass(frozen=True, slots=True)
class GpsPrior:
    alpha1: float = 0.2
    beta1: float = 0.1
    alpha2: float = 2.0
    beta2: float = 4.0
    p: float = 1 / 3
    fitted_pairs: int = 0  # pairs the prior was fitted to; 0 = the customary starting values


@dataclass(frozen=True, slots=True)
class GpsResult:
    ebgm: float
    eb05: float
    eb95: float
    signal: bool  # EB05 >= 2


def _haldane(t: Table2x2) -> tuple[float, float, float, float]:
    if min(t.a, t.b, t.c, t.d) == 0:
        return t.a + 0.5, t.b + 0.5, t.c + 0.5, t.d + 0.5
    return float(t.a), float(t.b), float(t.c), float(t.d)


def chi2_yates(t: Table2x2) -> float:
    """Pearson chi-squared, 1 df, with Yates's continuity correction."""
    margins = (t.a + t.b) * (t.c + t.d) * (t.a + t.c) * (t.b + t.d)
    if margins == 0:
        return 0.0
    excess = max(0.0, abs(t.a * t.d - t.b * t.c) - t.n / 2)
    return t.n * excess * excess / margins


def prr(t: Table2x2) -> PrrResult:
    a, b, c, d = _haldane(t)
    value = (a / (a + b)) / (c / (c + d))
    se = math.sqrt(max(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d), 0.0))
    chi2 = chi2_yates(t)
    return PrrResult(
        prr=value,
        lower=value * math.exp(-Z95 * se),
        upper=value * math.exp(Z95 * se),
        chi2_yates=chi2,
        signal=value >= 2 and chi2 >= 4 and t.a >= 3,
    )


def ror(t: Table2x2) -> RorResult:
    a, b, c, d = _haldane(t)
    value = a * d / (b * c)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    lower = value * math.exp(-Z95 * se)
    return RorResult(value, lower, value * math.exp(Z95 * se), signal=lower > 1)


def information_component(t: Table2x2) -> IcResult:
    """IC with its 95% interval. The Gamma quantiles through `gammaincinv` directly, as
    `scipy.stats.gamma.ppf` computes them (same values), without its ~0.4 ms of overhead per
    call: the live job assesses every pair of every category each run."""
    shape, rate = t.a + 0.5, t.expected + 0.5
    scale = 1 / rate
    q025 = float(gammaincinv(shape, 0.025)) * scale
    q975 = float(gammaincinv(shape, 0.975)) * scale
    ic025 = math.log2(q025)
    return IcResult(math.log2(shape / rate), ic025, math.log2(float(q975)), signal=ic025 > 0)


def gps(t: Table2x2, prior: GpsPrior = GpsPrior()) -> GpsResult:
    """DuMouchel's EBGM and EB05/EB95 for observed a and expected E under `prior`."""
    n, e = t.a, t.expected
    if e <= 0:
        raise InvalidInputError("GPS needs a positive expected count (empty margins)")
    parts = ((prior.alpha1, prior.beta1, prior.p), (prior.alpha2, prior.beta2, 1 - prior.p))
    logs = [math.log(w) + _log_nb(n, al, be, e) for al, be, w in parts]
    top = max(logs)
    q1 = math.exp(logs[0] - top) / sum(math.exp(v - top) for v in logs)
    posts = ((parts[0][0] + n, parts[0][1] + e, q1), (parts[1][0] + n, parts[1][1] + e, 1 - q1))
    mean_log = sum(q * (float(digamma(al)) - math.log(be)) for al, be, q in posts)

    def cdf(x: float) -> float:
        return sum(q * float(gamma.cdf(x, al, scale=1 / be)) for al, be, q in posts)

    def quantile(p: float) -> float:
        return float(brentq(lambda x: cdf(x) - p, 1e-12, 1e6))

    eb05 = quantile(0.05)
    return GpsResult(math.exp(mean_log), eb05, quantile(0.95), eb05 >= 2)


def _log_nb(n: int, alpha: float, beta: float, e: float) -> float:
    """log P(N = n) when N | lambda ~ Poisson(lambda E), lambda ~ Gamma(alpha, rate beta)."""
    return float(
        gammaln(alpha + n)
        - gammaln(alpha)
        - gammaln(n + 1)
        + alpha * math.log(beta / (beta + e))
        + n * math.log(e / (beta + e))
    )


@dataclass(frozen=True, slots=True)
class Disproportionality:
    table: Table2x2
    prr: PrrResult
    ror: RorResult
    ic: IcResult

    @property
    def criteria_met(self) -> int:
        return sum((self.prr.signal, self.ror.signal, self.ic.signal))


def assess(t: Table2x2) -> Disproportionality:
    """PRR, ROR and IC for one pair; the score module counts how many criteria are met."""
    return Disproportionality(t, prr(t), ror(t), information_component(t))


MIN_GPS_FIT_PAIRS = 50


def fit_gps_prior(pairs: Sequence[tuple[int, float]], start: GpsPrior = GpsPrior()) -> GpsPrior:
    """DuMouchel's two-gamma mixture prior fitted to (observed N, expected E) of every pair.

    Maximum marginal likelihood, each N being a mixture of two negative binomials; truncated
    at N >= 1 because a report table lists only pairs that occurred (openEBGM's default).
    Identical (N, E) pairs are counted once with a weight (DuMouchel & Pregibon's "squashing"
    in its exact form). With fewer than `MIN_GPS_FIT_PAIRS` pairs the start is returned: five
    parameters need more data than that, and a poor fit would shrink worse than the defaults.
    """
    data = [(n, e) for n, e in pairs if n >= 1 and e > 0 and math.isfinite(e)]
    if len(data) < MIN_GPS_FIT_PAIRS:
        return start
    (n, e), weights = _squash(data)

    def loss(theta: npt.NDArray[np.float64]) -> float:
        return -_truncated_log_likelihood(theta, n, e, weights)

    x0 = _theta(start)
    bounds = [(-7.0, 7.0)] * 4 + [(-6.0, 6.0)]
    result = minimize(loss, x0, method="L-BFGS-B", bounds=bounds)
    best = result.x if result.fun <= loss(x0) else x0
    a1, b1, a2, b2 = (float(v) for v in np.exp(best[:4]))
    return GpsPrior(a1, b1, a2, b2, float(expit(best[4])), fitted_pairs=len(data))


def gps_log_likelihood(prior: GpsPrior, pairs: Sequence[tuple[int, float]]) -> float:
    """The zero-truncated marginal log-likelihood `fit_gps_prior` maximises (for comparison)."""
    data = [(n, e) for n, e in pairs if n >= 1 and e > 0]
    (n, e), weights = _squash(data)
    return _truncated_log_likelihood(_theta(prior), n, e, weights)


def _theta(prior: GpsPrior) -> npt.NDArray[np.float64]:
    logs = np.log([prior.alpha1, prior.beta1, prior.alpha2, prior.beta2])
    return np.append(logs, float(logit(prior.p)))


def _squash(
    data: Sequence[tuple[int, float]],
) -> tuple[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]], npt.NDArray[np.float64]]:
    keys, counts = np.unique(np.array(data, dtype=np.float64), axis=0, return_counts=True)
    return (keys[:, 0], keys[:, 1]), counts.astype(np.float64)


def _log_nb_array(
    n: npt.NDArray[np.float64], alpha: float, beta: float, e: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = (
        gammaln(alpha + n)
        - gammaln(alpha)
        - gammaln(n + 1)
        + alpha * np.log(beta / (beta + e))
        + n * np.log(e / (beta + e))
    )
    return out


def _truncated_log_likelihood(
    theta: npt.NDArray[np.float64],
    n: npt.NDArray[np.float64],
    e: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64],
) -> float:
    a1, b1, a2, b2 = np.exp(theta[:4])
    log_p, log_q = -np.logaddexp(0.0, -theta[4]), -np.logaddexp(0.0, theta[4])
    zeros = np.zeros_like(n)
    both = np.stack([log_p + _log_nb_array(n, a1, b1, e), log_q + _log_nb_array(n, a2, b2, e)])
    none = np.stack(
        [log_p + _log_nb_array(zeros, a1, b1, e), log_q + _log_nb_array(zeros, a2, b2, e)]
    )
    log_zero = logsumexp(none, axis=0)
    log_seen = np.log(-np.expm1(np.minimum(log_zero, -1e-12)))
    return float(np.sum(weights * (logsumexp(both, axis=0) - log_seen)))
