"""Forecast a recall's final correction rate from its first progress reports.

Model: r(t) = R∞ · (1 − exp(−t/τ)). A recall's corrections come mostly right after the notices
go out and then tail off, so the hazard of correction is highest at the start: a saturating
exponential has exactly that shape with only two parameters (the final share R∞ and the time
scale τ). Gompertz/logistic curves have an S-shaped start that recall data do not show, and a
3-parameter Weibull is not identifiable from three reports.

Fit: a posterior on a grid over (logit R∞, log τ), refined around its mode. With an
empirical-Bayes prior learned from finished recalls of the same category (`learn_prior`) the
likelihood is Gaussian with the noise learned from those recalls; without one, the prior is flat
in R∞ and in log τ and the unknown noise is integrated out (Jeffreys), giving honest, wide
intervals. The grid gives the 80% interval of the *final* rate — r at the horizon, by default
the typical closing age of the finished recalls, or 540 days (NHTSA's 18 months) — directly,
without Gaussian approximations that break near 0 or 1. A final rate is never below the
last observed rate, since the counts are cumulative.

Calibration: a curve fitted to the first reports cannot foresee a second notice wave or a firm
that starts dragging, so the model's own 80% intervals under-cover (62–68% on the benchmark).
`learn_prior` therefore also calibrates them on the finished recalls it learns from, by split
conformal prediction in the CQR form (Romano, Patterson & Candès 2019): each finished curve is
forecast from its first k reports with the prior learned from the *other* curves; the score is
how far the truth fell outside the interval (negative inside); the ⌈(n+1)·0.8⌉-th smallest score
is the margin added to both ends of later intervals from k reports. Under exchangeability of
recalls this gives at least 80% coverage; the margin is never negative (intervals only widen).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares
from scipy.special import expit, logit

from recall.domain.recalls.errors import ForecastError, InsufficientHistoryError

Array = npt.NDArray[np.float64]

DEFAULT_HORIZON_DAYS = 540.0
_U_LIMITS = (float(logit(0.001)), float(logit(0.999)))
_V_LIMITS = (math.log(3.0), math.log(3650.0))
_FLAT_NOISE_FLOOR = 0.005
_LEARNED_NOISE_FLOOR = 0.003
_PRIOR_SD_FLOOR = 0.2
COVERAGE = 0.8
CALIBRATED_POINTS = 4  # margins for forecasts from 1..4 reports; the 4-report one beyond
MAX_CALIBRATION_CURVES = 200  # ~800 forecasts, a few seconds; an even subset beyond
MIN_CALIBRATION_CURVES = 4  # the smallest n with ⌈(n+1)·0.8⌉ ≤ n: a finite margin


def saturating_rate(day: float, asymptote: float, tau_days: float) -> float:
    """r(t) = R∞ · (1 − exp(−t/τ))."""
    return asymptote * (1.0 - math.exp(-day / tau_days))


@dataclass(frozen=True, slots=True)
class ForecastPrior:
    """Bivariate normal prior on (logit R∞, log τ) plus the curve noise, from finished recalls."""

    mean_logit_rate: float
    mean_log_tau: float
    sd_logit_rate: float
    sd_log_tau: float
    correlation: float
    noise_sd: float
    horizon_days: float
    n_curves: int
    residual_autocorrelation: float = 0.0
    # Conformal margins for forecasts from 1, 2, … reports (rate units, ≥ 0); () = uncalibrated.
    margins: tuple[float, ...] = ()

    def margin_for(self, n_points: int) -> float:
        if not self.margins or n_points < 1:
            return 0.0
        return self.margins[min(n_points, len(self.margins)) - 1]


@dataclass(frozen=True, slots=True)
class Forecast:
    """Final rate (posterior median) with its 80% interval; rates in 0..1."""

    final_rate: float
    low80: float
    high80: float
    method: str
    n_points: int
    horizon_days: float = DEFAULT_HORIZON_DAYS
    asymptote: float = math.nan
    tau_days: float = math.nan
    interval_margin: float = 0.0  # conformal widening applied to both ends (see module doc)


@dataclass(frozen=True, slots=True)
class CurveFit:
    """Least-squares fit of one curve."""

    asymptote: float
    tau_days: float
    rmse: float
    n_points: int
    residuals: tuple[float, ...] = ()


def _as_arrays(points: Sequence[tuple[float, float]]) -> tuple[Array, Array]:
    t = np.array([p[0] for p in points], dtype=np.float64)
    r = np.array([p[1] for p in points], dtype=np.float64)
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(r))):
        raise ForecastError("curve points must be finite numbers")
    if np.any(t < 0) or np.any(r < 0) or np.any(r > 1):
        raise ForecastError("curve points need day ≥ 0 and a rate in 0..1")
    if np.any(np.diff(t) <= 0) or np.any(np.diff(r) < 0):
        raise ForecastError("curve points must have increasing days and non-decreasing rates")
    return t, r


def _predict(u: Array, v: Array, t: Array) -> Array:
    """Curve values for every (u, v) pair (broadcast) at every day in t: shape (*uv, n)."""
    rate = expit(u)[..., None]
    tau = np.exp(v)[..., None]
    out: Array = rate * -np.expm1(-t / tau)
    return out


def _grid_sse(u: Array, v: Array, t: Array, r: Array) -> Array:
    """Σᵢ (R∞(u)·gᵢ(v) − rᵢ)² on a product grid (`_grid`: u along axis 0, v along axis 1).

    With gᵢ(v) = 1 − e^(−tᵢ/τ(v)) the sum is R∞²·Σg² − 2·R∞·Σg·r + Σr², and the n-point sums
    depend on v alone: they are taken once per grid column, not once per cell. Same values as
    summing `_predict`'s residuals (to rounding), n times fewer operations — the recall page
    computes two posteriors per view (`recall bench api`).
    """
    rate = expit(u[:, :1])
    g = -np.expm1(-t[None, :] / np.exp(v[0, :])[:, None])
    sum_g2 = np.einsum("vi,vi->v", g, g)
    sum_gr = g @ r
    sse: Array = rate**2 * sum_g2[None, :] - 2.0 * rate * sum_gr[None, :] + float(r @ r)
    return np.maximum(sse, 0.0)


def _log_posterior(u: Array, v: Array, t: Array, r: Array, prior: ForecastPrior | None) -> Array:
    """Log posterior (up to a constant) on a product grid of (logit R∞, log τ)."""
    sse = _grid_sse(u, v, t, r)
    if prior is None:
        rate = expit(u)
        log_jacobian = np.log(rate) + np.log1p(-rate)  # flat in R∞, not in logit R∞
        n = t.size
        out: Array = -0.5 * n * np.log(sse + n * _FLAT_NOISE_FLOOR**2) + log_jacobian
        return out
    zu = (u - prior.mean_logit_rate) / prior.sd_logit_rate
    zv = (v - prior.mean_log_tau) / prior.sd_log_tau
    rho = prior.correlation
    mahalanobis = (zu**2 - 2 * rho * zu * zv + zv**2) / (1 - rho**2)
    out = -0.5 * sse / prior.noise_sd**2 - 0.5 * mahalanobis
    return out


def _grid(u_lim: tuple[float, float], v_lim: tuple[float, float], n: int) -> tuple[Array, Array]:
    uu, vv = np.meshgrid(np.linspace(*u_lim, n), np.linspace(*v_lim, n), indexing="ij")
    return uu, vv


def _posterior_grid(t: Array, r: Array, prior: ForecastPrior | None) -> tuple[Array, Array, Array]:
    """Coarse grid over the whole box, then a fine grid over the region holding the mass."""
    uu, vv = _grid(_U_LIMITS, _V_LIMITS, 161)
    lp = _log_posterior(uu, vv, t, r, prior)
    keep = np.argwhere(lp > lp.max() - 25.0)
    du = uu[1, 0] - uu[0, 0]
    dv = vv[0, 1] - vv[0, 0]
    u_lim = (uu[keep[:, 0].min(), 0] - du, uu[keep[:, 0].max(), 0] + du)
    v_lim = (vv[0, keep[:, 1].min()] - dv, vv[0, keep[:, 1].max()] + dv)
    uu, vv = _grid(u_lim, v_lim, 141)
    lp = _log_posterior(uu, vv, t, r, prior)
    weights = np.exp(lp - lp.max())
    return uu, vv, weights / weights.sum()


def _weighted_quantiles(values: Array, weights: Array, qs: Sequence[float]) -> list[float]:
    order = np.argsort(values, axis=None)
    flat_values = values.ravel()[order]
    cdf = np.cumsum(weights.ravel()[order])
    return [float(np.interp(q, cdf, flat_values)) for q in qs]


def forecast_final_rate(
    points: Sequence[tuple[float, float]],
    prior: ForecastPrior | None = None,
    *,
    horizon_days: float | None = None,
) -> Forecast:
    """Forecast the rate at the horizon from (day since start, cumulative rate) points."""
    posterior = _Posterior.of(points, prior)
    horizon = horizon_days or (prior.horizon_days if prior else DEFAULT_HORIZON_DAYS)
    return posterior.at(horizon)


def forecast_band(
    points: Sequence[tuple[float, float]],
    prior: ForecastPrior | None = None,
    *,
    days: Sequence[float],
) -> tuple[Forecast, ...]:
    """The forecast at each of `days` from one posterior: the 80% band of r(t) a page draws
    from the last report to the target date.

    Each day follows `forecast_final_rate`'s rules (never below the last observed rate; a day
    before the last report is that report's day). The conformal margin is the one calibrated
    for the closing day from this many reports: nearer days get the same widening, on the
    cautious side, since a curve is harder to foresee far ahead than near.
    """
    posterior = _Posterior.of(points, prior)
    return tuple(posterior.at(day) for day in days)


@dataclass(frozen=True, slots=True)
class _Posterior:
    """The grid posterior of one curve, asked for the rate at any horizon."""

    t: Array
    r: Array
    grid: tuple[Array, Array, Array]
    prior: ForecastPrior | None

    @classmethod
    def of(cls, points: Sequence[tuple[float, float]], prior: ForecastPrior | None) -> _Posterior:
        t, r = _as_arrays(points)
        if prior is None and t.size == 0:
            raise ForecastError("no points and no prior: nothing to forecast from")
        return cls(t, r, _posterior_grid(t, r, prior), prior)

    def at(self, horizon_days: float) -> Forecast:
        t, r, prior = self.t, self.r, self.prior
        uu, vv, w = self.grid
        horizon = max(horizon_days, float(t[-1]) if t.size else 0.0)
        final = expit(uu) * -np.expm1(-horizon / np.exp(vv))
        low, mid, high = _weighted_quantiles(final, w, (0.1, 0.5, 0.9))
        floor = float(r[-1]) if r.size else 0.0
        margin = prior.margin_for(int(t.size)) if prior is not None else 0.0
        (asymptote,) = _weighted_quantiles(expit(uu), w, (0.5,))
        (log_tau,) = _weighted_quantiles(vv, w, (0.5,))
        return Forecast(
            final_rate=max(mid, floor),
            low80=max(low - margin, floor),
            high80=max(min(high + margin, 1.0), floor),
            method="eb-grid" if prior is not None else "flat-grid",
            n_points=int(t.size),
            horizon_days=horizon,
            asymptote=asymptote,
            tau_days=math.exp(log_tau),
            interval_margin=margin,
        )


def fit_curve(points: Sequence[tuple[float, float]]) -> CurveFit:
    """Least squares on (logit R∞, log τ): a coarse grid for the start, then scipy's solver."""
    t, r = _as_arrays(points)
    if t.size < 2:
        raise ForecastError("a curve fit needs at least 2 points")
    uu, vv = _grid(_U_LIMITS, _V_LIMITS, 81)
    sse = np.sum((_predict(uu, vv, t) - r) ** 2, axis=-1)
    i, j = np.unravel_index(int(np.argmin(sse)), sse.shape)

    def residuals(x: Array) -> Array:
        out: Array = _predict(x[:1], x[1:], t)[0] - r
        return out

    result = least_squares(
        residuals,
        x0=np.array([uu[i, j], vv[i, j]]),
        bounds=([_U_LIMITS[0], _V_LIMITS[0]], [_U_LIMITS[1], _V_LIMITS[1]]),
    )
    u, v = (float(x) for x in result.x)
    errors = residuals(result.x)
    rmse = math.sqrt(float(np.mean(errors**2)))
    return CurveFit(float(expit(u)), math.exp(v), rmse, int(t.size), tuple(errors.tolist()))


def learn_prior(
    finished_curves: Sequence[Sequence[tuple[float, float]]],
    *,
    min_curves: int = 3,
    calibrate: bool = True,
) -> ForecastPrior:
    """Empirical-Bayes prior: fit each finished curve, take the mean and covariance of
    (logit R∞, log τ), the pooled residual noise and the median closing age; with at least
    `MIN_CALIBRATION_CURVES` curves (and `calibrate`), also the conformal interval margins."""
    curves = [list(c) for c in finished_curves if len(c) >= 2]
    fits = [fit_curve(c) for c in curves]
    if len(fits) < min_curves:
        raise InsufficientHistoryError(
            f"learning a prior needs {min_curves} finished curves, got {len(fits)}"
        )
    prior = _prior_from(fits, curves)
    if calibrate and len(fits) >= MIN_CALIBRATION_CURVES:
        prior = replace(prior, margins=_conformal_margins(fits, curves))
    return prior


def _prior_from(
    fits: Sequence[CurveFit], curves: Sequence[Sequence[tuple[float, float]]]
) -> ForecastPrior:
    u = np.array([logit(min(max(f.asymptote, 0.001), 0.999)) for f in fits])
    v = np.array([math.log(f.tau_days) for f in fits])
    sd_u = max(float(np.std(u, ddof=1)), _PRIOR_SD_FLOOR)
    sd_v = max(float(np.std(v, ddof=1)), _PRIOR_SD_FLOOR)
    rho = float(np.corrcoef(u, v)[0, 1]) if np.std(u) > 0 and np.std(v) > 0 else 0.0
    sse = sum(f.rmse**2 * f.n_points for f in fits)
    dof = sum(max(f.n_points - 2, 1) for f in fits)
    ar1 = _lag1_autocorrelation(fits)
    inflation = math.sqrt((1 + ar1) / (1 - ar1))
    return ForecastPrior(
        mean_logit_rate=float(np.mean(u)),
        mean_log_tau=float(np.mean(v)),
        sd_logit_rate=sd_u,
        sd_log_tau=sd_v,
        correlation=max(min(rho, 0.9), -0.9),
        noise_sd=max(math.sqrt(sse / dof) * inflation, _LEARNED_NOISE_FLOOR),
        horizon_days=float(np.median([c[-1][0] for c in curves])),
        n_curves=len(fits),
        residual_autocorrelation=ar1,
    )


def _conformal_margins(
    fits: Sequence[CurveFit], curves: Sequence[Sequence[tuple[float, float]]]
) -> tuple[float, ...]:
    """Per number of reports k: the CQR margin from leave-one-out forecasts of finished curves.

    Curve i is forecast from its first k points to its own closing day with the prior of the
    others, so no curve judges an interval it helped to make. Beyond MAX_CALIBRATION_CURVES an
    evenly spaced subset is scored (the priors still use every curve).
    """
    scores: list[list[float]] = [[] for _ in range(CALIBRATED_POINTS)]
    step = max(1, math.ceil(len(curves) / MAX_CALIBRATION_CURVES))
    for i in range(0, len(curves), step):  # any subset chosen without the new curve is valid
        curve = curves[i]
        others = _prior_from(
            [f for j, f in enumerate(fits) if j != i], [c for j, c in enumerate(curves) if j != i]
        )
        truth = curve[-1][1]
        for k in range(1, min(CALIBRATED_POINTS, len(curve) - 1) + 1):
            f = forecast_final_rate(curve[:k], others, horizon_days=curve[-1][0])
            scores[k - 1].append(max(f.low80 - truth, truth - f.high80))
    margins = []
    for k_scores in scores:
        if len(k_scores) < MIN_CALIBRATION_CURVES:
            break  # too few curves this long: later counts reuse the last margin
        margins.append(max(conformal_quantile(k_scores, COVERAGE), 0.0))
    return tuple(margins)


def conformal_quantile(scores: Sequence[float], coverage: float) -> float:
    """The ⌈(n+1)·coverage⌉-th smallest score (the largest when that exceeds n): the split
    conformal threshold, which covers a new exchangeable score with probability ≥ coverage."""
    if not scores:
        raise ForecastError("a conformal quantile needs at least one score")
    if not 0 < coverage < 1:
        raise ForecastError(f"coverage must be in (0, 1), got {coverage}")
    ordered = sorted(scores)
    rank = math.ceil((len(ordered) + 1) * coverage)
    return ordered[min(rank, len(ordered)) - 1]


def _lag1_autocorrelation(fits: Sequence[CurveFit]) -> float:
    """Pooled lag-1 autocorrelation of the fits' residuals, clipped to [0, 0.9].

    Cumulative counts carry each period's surprise into every later point, so residuals are
    positively correlated and n points hold less than n points' information. Inflating the
    white-noise sd by sqrt((1 + ρ) / (1 − ρ)) — the AR(1) variance factor for a mean — keeps the
    likelihood from being over-confident (without it the 80% intervals covered ~40%).
    """
    num = sum(a * b for f in fits for a, b in zip(f.residuals, f.residuals[1:], strict=False))
    den = sum(e * e for f in fits for e in f.residuals)
    return min(max(num / den, 0.0), 0.9) if den > 0 else 0.0


@dataclass(frozen=True, slots=True)
class RecallLagging:
    """Decision that a recall will most likely miss its target rate."""

    recall_id: str
    target_rate: float
    forecast: Forecast
    reason: str


def detect_lagging(
    recall_id: str, forecast: Forecast, target_rate: float, *, min_points: int = 2
) -> RecallLagging | None:
    """Lagging when even the optimistic end of the 80% interval is below target, i.e. the
    recall misses its target with ≥ 90% posterior probability. One report alone is not enough
    evidence to accuse a firm, hence `min_points`."""
    if forecast.n_points < min_points or forecast.high80 >= target_rate:
        return None
    return RecallLagging(
        recall_id,
        target_rate,
        forecast,
        f"forecast final rate {forecast.final_rate:.1%} (80% ≤ {forecast.high80:.1%}) "
        f"is below the target {target_rate:.0%}",
    )


def lagging_recovered(forecast: Forecast, target_rate: float) -> bool:
    """Leave `lagging` only when the median forecast reaches the target: the gap between the
    entry rule (high80 < target) and this exit rule stops a recall flapping between states."""
    return forecast.final_rate >= target_rate
