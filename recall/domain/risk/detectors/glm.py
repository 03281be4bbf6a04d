"""Robust quasi-Poisson log-linear GLM fitting shared by the regression detectors.

Iteratively reweighted least squares with prior weights (Farrington et al. 1996 down-weight past
outbreaks through them). Returns what the detectors need to predict a new period and its
uncertainty: coefficients, the unscaled covariance, leverages and the Pearson dispersion.
numpy is used because each fit solves a few hundred rows a dozen times.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class GlmFit:
    beta: Array
    mu: Array
    cov_unscaled: Array  # (X' W X)^-1 ; multiply by phi for the quasi-likelihood covariance
    hat: Array
    phi: float  # Pearson dispersion, floored at 1
    converged: bool


def fit_quasi_poisson(
    x: Array, y: Array, prior: Array | None = None, max_iter: int = 25, tol: float = 1e-8
) -> GlmFit:
    """Fit log E[y] = X beta by IRLS; `prior` are observation weights (default 1)."""
    n, k = x.shape
    w0 = np.ones(n) if prior is None else prior
    mu = np.maximum(y, 0.5) if y.mean() > 0 else np.full(n, 0.5)
    eta = np.log(mu)
    beta = np.zeros(k)
    converged = False
    for _ in range(max_iter):
        z = eta + (y - mu) / mu
        w = w0 * mu
        xtw = x.T * w
        new = _solve(xtw @ x, xtw @ z)
        eta = np.clip(x @ new, -30.0, 30.0)
        mu = np.exp(eta)
        if np.max(np.abs(new - beta)) < tol * (1 + np.max(np.abs(new))):
            beta, converged = new, True
            break
        beta = new
    w = w0 * mu
    info = (x.T * w) @ x
    cov = _inverse(info)
    hat = np.einsum("ij,jk,ik->i", x, cov, x) * w
    dof = max(float(np.sum(w0 > 0)) - k, 1.0)
    phi = max(1.0, float(np.sum(w0 * (y - mu) ** 2 / mu)) / dof)
    return GlmFit(beta, mu, cov, hat, phi, converged)


def _solve(a: Array, b: Array) -> Array:
    try:
        return np.asarray(np.linalg.solve(a, b), dtype=np.float64)
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.lstsq(a, b, rcond=None)[0], dtype=np.float64)


def _inverse(a: Array) -> Array:
    try:
        return np.asarray(np.linalg.inv(a), dtype=np.float64)
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.pinv(a), dtype=np.float64)


def anscombe_residuals(fit: GlmFit, y: Array) -> Array:
    """Standardised Anscombe residuals for the Poisson family (Farrington et al. 1996)."""
    mu = fit.mu
    raw = 1.5 * (np.power(y, 2 / 3) * np.power(mu, -1 / 6) - np.sqrt(mu))
    return np.asarray(raw / np.sqrt(fit.phi * np.maximum(1 - fit.hat, 1e-6)), dtype=np.float64)


def outbreak_weights(residuals: Array, threshold: float) -> Array:
    """Weights s^-2 above the threshold, 1 below, rescaled to sum to n (Farrington 1996)."""
    w = np.where(residuals > threshold, 1.0 / np.maximum(residuals, 1e-9) ** 2, 1.0)
    return np.asarray(w * (len(w) / np.sum(w)), dtype=np.float64)


def trend_significant(fit: GlmFit, index: int, level: float = 1.96) -> bool:
    """Wald test of one coefficient with the quasi-likelihood variance."""
    se = float(np.sqrt(max(fit.cov_unscaled[index, index] * fit.phi, 1e-300)))
    return abs(float(fit.beta[index])) / se > level
