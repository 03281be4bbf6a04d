"""Negative-binomial tail probabilities and quantiles in pure Python.

Why not scipy here: these run once per period per series in the live stream, where a scipy call
costs tens of microseconds of overhead; a recurrence over the pmf costs a few. The NB is
parameterised by its mean and `size` (variance = mean + mean**2 / size); `size = inf` is Poisson.
"""

import math

_MAX_TERMS = 20_000
TINY = 1e-300


def _log_pmf(k: int, mean: float, size: float) -> float:
    if math.isinf(size):
        return k * math.log(mean) - mean - math.lgamma(k + 1)
    p = mean / (mean + size)
    return (
        math.lgamma(k + size)
        - math.lgamma(size)
        - math.lgamma(k + 1)
        + size * math.log1p(-p)
        + k * math.log(p)
    )


def _ratio(k: int, mean: float, size: float) -> float:
    """pmf(k + 1) / pmf(k)."""
    if math.isinf(size):
        return mean / (k + 1)
    return (k + size) / (k + 1) * mean / (mean + size)


def sf(y: int, mean: float, size: float) -> float:
    """P(Y >= y) for Y ~ NB(mean, size); summed on the short side for accuracy."""
    if y <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if y <= mean:
        return max(0.0, 1.0 - _sum_from(0, y, mean, size))
    return min(1.0, _sum_from(y, None, mean, size))


def _sum_from(start: int, stop: int | None, mean: float, size: float) -> float:
    term = math.exp(_log_pmf(start, mean, size))
    total, k = 0.0, start
    for _ in range(_MAX_TERMS):
        if stop is not None and k >= stop:
            break
        total += term
        term *= _ratio(k, mean, size)
        k += 1
        if stop is None and term < total * 1e-15:
            break
    return total


def quantile(q: float, mean: float, size: float) -> int:
    """Smallest k with P(Y <= k) >= q (the NB plug-in threshold of Noufaily et al. 2013)."""
    if mean <= 0:
        return 0
    if mean > 1e5:  # normal approximation; counts this large are never per-product buckets
        sd = math.sqrt(mean + (0.0 if math.isinf(size) else mean * mean / size))
        return math.ceil(mean + sd * _z(q))
    term = math.exp(_log_pmf(0, mean, size))
    cdf, k = term, 0
    while cdf < q and k < _MAX_TERMS:
        term *= _ratio(k, mean, size)
        k += 1
        cdf += term
    return k


def _z(q: float) -> float:
    """Standard-normal quantile via bisection on erf (stdlib only; used rarely)."""
    lo, hi = -10.0, 10.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def surprise(y: int, mean: float, size: float) -> float:
    """-log10 P(Y >= y): the score of p-value based detectors (alarm iff >= -log10 alpha)."""
    return -math.log10(max(sf(y, mean, size), TINY))


def size_from_moments(mean: float, variance: float) -> float:
    """NB size matching a mean and variance; Poisson (inf) when not over-dispersed."""
    if variance <= mean * (1 + 1e-9) or mean <= 0:
        return math.inf
    return mean * mean / (variance - mean)
