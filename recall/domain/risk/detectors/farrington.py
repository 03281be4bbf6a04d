"""Improved Farrington method (Noufaily et al. 2013), for weekly and daily counts.

Following Farrington et al. (1996) as improved by Noufaily et al. (2013) and implemented as
`farringtonFlexible` in the R package surveillance (Salmon, Schumacher & Höhle 2016):

* quasi-Poisson log-linear GLM on the past `years_back` years, always trying a linear trend
  (kept only if significant at 5% and the prediction does not exceed the largest baseline count);
* seasonality by a 10-level factor: periods within ±w of the current season in past years form
  the reference level, the rest of each year is cut into 9 equal blocks;
* the most recent `past_excluded` periods (26 weeks) are left out, so a current outbreak cannot
  mask itself;
* past outbreaks are down-weighted: weights s^-2 for standardised Anscombe residuals s > 2.58;
* threshold: the (1 - alpha) quantile of a negative binomial with the predicted mean and
  dispersion phi (the "nbPlugin" threshold), instead of the 2/3-power normal approximation;
* no alarm unless at least 5 cases in the last 4 periods (Farrington's rule).

Daily data: the season is 364 days (a whole number of weeks, so reference days share the
weekday) and a day-of-week factor is added — our adaptation, documented in docs/risk-model.md.
Score: -log10 P(Y >= y) under that NB, so alarm <=> y > threshold <=> score >= -log10 alpha.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from recall.domain.risk.detectors import nb
from recall.domain.risk.detectors.base import Detection, check_period, no_decision
from recall.domain.risk.detectors.glm import (
    Array,
    IntArray,
    anscombe_residuals,
    fit_quasi_poisson,
    outbreak_weights,
    trend_significant,
)


@dataclass(frozen=True, slots=True)
class FarringtonParams:
    period: int = 52
    years_back: int = 5
    window: int = 3
    levels: int = 10
    past_excluded: int = 26
    alpha: float = 0.01
    reweight_threshold: float = 2.58
    min_cases: int = 5
    min_cases_span: int = 4
    day_of_week: bool = False


WEEKLY = FarringtonParams()
DAILY = FarringtonParams(
    period=364, years_back=2, window=7, past_excluded=182, min_cases_span=7, day_of_week=True
)


def _design(t: int, p: FarringtonParams) -> tuple[Array, IntArray]:
    """Rows for the baseline periods and the row of period t (trend is 0 at t)."""
    first = max(0, t - p.years_back * p.period - p.window)
    idx = np.arange(first, t - p.past_excluded, dtype=np.int64)
    lag = t - idx
    phase = lag % p.period
    gap = p.period - 2 * p.window - 1
    level = np.where(
        (phase <= p.window) | (phase >= p.period - p.window),
        0,
        1 + ((phase - p.window - 1) * (p.levels - 1)) // max(gap, 1),
    )
    cols = [np.ones(len(idx)), -lag / p.period]
    cols += [(level == k).astype(float) for k in range(1, p.levels) if np.any(level == k)]
    if p.day_of_week:
        dow = lag % 7
        cols += [(dow == k).astype(float) for k in range(1, 7) if np.any(dow == k)]
    return np.asarray(np.column_stack(cols), dtype=np.float64), idx


def _fit(x: Array, y: Array, p: FarringtonParams) -> tuple[float, float, float]:
    """(eta at t, its variance, phi) after reweighting and the trend check."""
    first = fit_quasi_poisson(x, y)
    weights = outbreak_weights(anscombe_residuals(first, y), p.reweight_threshold)
    fit = fit_quasi_poisson(x, y, weights)
    keep_trend = (
        fit.converged
        and trend_significant(fit, 1)
        and math.exp(float(fit.beta[0])) <= float(np.max(y))
    )
    if not keep_trend:
        x = np.delete(x, 1, axis=1)
        fit = fit_quasi_poisson(x, y, weights)
    eta = float(fit.beta[0])
    return eta, float(fit.cov_unscaled[0, 0]) * fit.phi, fit.phi


def detect_farrington(
    counts: Sequence[int], t: int, params: FarringtonParams = WEEKLY
) -> Detection:
    """Improved Farrington at period t, prospective: uses counts[0 .. t-past_excluded-1]."""
    check_period(counts, t)
    if t < params.period + params.window + params.past_excluded:
        return no_decision(counts[:t])
    x, idx = _design(t, params)
    y = np.asarray(counts[int(idx[0]) : int(idx[-1]) + 1], dtype=np.float64)
    if y.sum() == 0:
        return _judge(counts, t, 0.0, 1.0, params)
    eta, _, phi = _fit(x, y, params)
    return _judge(counts, t, math.exp(eta), phi, params)


def _judge(counts: Sequence[int], t: int, mu: float, phi: float, p: FarringtonParams) -> Detection:
    size = math.inf if phi <= 1.0 else mu / (phi - 1.0)
    upper = float(nb.quantile(1 - p.alpha, mu, size)) if mu > 0 else 0.0
    recent = sum(counts[max(0, t - p.min_cases_span + 1) : t + 1])
    y = counts[t]
    score = nb.surprise(y, mu, size) if mu > 0 else (math.inf if y > 0 else 0.0)
    if recent < p.min_cases:
        score = 0.0
    score = min(score, 300.0)
    return Detection(alarm=score >= -math.log10(p.alpha), expected=mu, threshold=upper, score=score)
