"""CUSUM on negative-binomial Pearson residuals against a seasonal historical baseline.

For each period i the expected count mu_i and NB size come from the same season in the `years`
previous years: periods i - j*period + d for j = 1..years and |d| <= half_window in steps of
`step` (Stroup et al. 1989's historical limits; daily data step by 7 so weekdays match). Mean
and variance are by method of moments, so over-dispersion widens the residual scale. (A moving
baseline of the last weeks was tried first: in seasonal series it lags the season and the CUSUM
climbs for months — nominal false-positive rate 46% in the benchmark.)
z_i = (y_i - mu_i) / sd_i, and S_i = max(0, S_{i-1} + min(z_i, cap) - k). Alarm when S_t >= h.

Choices, and why: S_t is Page's recursion restarted from 0 `memory` periods back (a windowed
CUSUM) instead of being reset after each alarm. It is then a pure function of the data, so h can
be recalibrated without re-running it (the benchmark needs that), and it forgets an outbreak
`memory` periods after its end; a CUSUM run from the series start without reset stayed above h
for months after each outbreak. The residual cap limits what one huge count can add.
k = 0.5 tunes the CUSUM to shifts of about one standard deviation (Page 1954; Lucas 1985).
"""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from recall.domain.risk.detectors import nb
from recall.domain.risk.detectors.base import Detection, check_period, no_decision


@dataclass(frozen=True, slots=True)
class CusumParams:
    period: int = 52
    years: int = 3
    half_window: int = 3
    step: int = 1
    k: float = 0.5
    h: float = 4.0
    cap: float = 6.0
    memory: int = 4  # the sum restarts from 0 this many periods back
    min_sd: float = 0.5


WEEKLY = CusumParams()
DAILY = CusumParams(period=364, years=2, half_window=21, step=7, memory=14)


def _expected(counts: Sequence[int], i: int, p: CusumParams) -> tuple[float, float] | None:
    """(mean, sd) of period i's NB baseline, or None before a full baseline exists."""
    if i - p.years * p.period - p.half_window < 0:
        return None
    offsets = range(-p.half_window, p.half_window + 1, p.step)
    window = [counts[i - j * p.period + d] for j in range(1, p.years + 1) for d in offsets]
    mean = statistics.fmean(window)
    var = statistics.variance(window)
    size = nb.size_from_moments(mean, var)
    nb_var = mean if math.isinf(size) else mean + mean * mean / size
    return mean, max(math.sqrt(nb_var), p.min_sd)


def scan_cusum(counts: Sequence[int], start: int, p: CusumParams = WEEKLY) -> list[Detection]:
    """Detections for periods start .. len-1 in one pass (same results as detect_cusum)."""
    residuals: list[float | None] = []
    out: list[Detection] = []
    for i in range(start - p.memory + 1, len(counts)):
        base = _expected(counts, i, p) if i >= 0 else None
        residuals.append(None if base is None else min((counts[i] - base[0]) / base[1], p.cap))
        if i < start:
            continue
        if base is None:
            out.append(no_decision(counts[:i]))
            continue
        previous = _page(residuals[-p.memory : -1], p.k)
        s = max(0.0, previous + (residuals[-1] or 0.0) - p.k)
        threshold = base[0] + base[1] * (p.h - previous + p.k)
        out.append(Detection(alarm=s >= p.h, expected=base[0], threshold=threshold, score=s))
    return out


def _page(z: Sequence[float | None], k: float) -> float:
    """Page's recursion from 0 over the given residuals (None = no baseline yet, skipped)."""
    s = 0.0
    for value in z:
        if value is not None:
            s = max(0.0, s + value - k)
    return s


def detect_cusum(counts: Sequence[int], t: int, params: CusumParams = WEEKLY) -> Detection:
    """CUSUM at period t, computed from counts[0..t] only."""
    check_period(counts, t)
    return scan_cusum(counts[: t + 1], t, params)[0]
