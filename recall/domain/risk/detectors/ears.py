"""CDC EARS C1, C2 and C3 (Hutwagner et al. 2003; definitions as in Fricker et al. 2008).

C1: baseline = the 7 periods before t; C1 = (y_t - mean) / sd; alarm if C1 > 3.
C2: same, but the baseline is lagged by a 2-period guard band (periods t-9 .. t-3), so the start
    of an outbreak does not inflate its own baseline.
C3: C3_t = sum over i in {t-2, t-1, t} of max(0, C2_i - 1); alarm if C3 > 2.

`sd` is the sample standard deviation (n-1). EARS has no rule for sd = 0 (a flat baseline);
we floor it at `min_sd` = 0.2 so one unit above a flat baseline scores 5, which keeps EARS's
known over-sensitivity on sparse data visible rather than dividing by zero.
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from recall.domain.risk.detectors.base import Detection, check_period, no_decision


@dataclass(frozen=True, slots=True)
class EarsParams:
    baseline: int = 7
    guard: int = 0
    critical: float = 3.0
    min_sd: float = 0.2


C1_PARAMS = EarsParams(guard=0)
C2_PARAMS = EarsParams(guard=2)


@dataclass(frozen=True, slots=True)
class C3Params:
    c2: EarsParams = C2_PARAMS
    critical: float = 2.0
    offset: float = 1.0  # each C2 value contributes max(0, C2 - offset)
    span: int = 3


def _baseline(counts: Sequence[int], t: int, p: EarsParams) -> tuple[float, float] | None:
    end = t - p.guard
    start = end - p.baseline
    if start < 0:
        return None
    window = counts[start:end]
    return statistics.fmean(window), max(statistics.stdev(window), p.min_sd)


def _statistic(counts: Sequence[int], t: int, p: EarsParams) -> float | None:
    base = _baseline(counts, t, p)
    if base is None:
        return None
    mean, sd = base
    return (counts[t] - mean) / sd


def detect_ears(counts: Sequence[int], t: int, params: EarsParams = C1_PARAMS) -> Detection:
    """EARS C1 (guard 0) or C2 (guard 2) at period t."""
    check_period(counts, t)
    base = _baseline(counts, t, params)
    if base is None:
        return no_decision(counts[:t])
    mean, sd = base
    score = (counts[t] - mean) / sd
    return Detection(
        alarm=score > params.critical,
        expected=mean,
        threshold=mean + params.critical * sd,
        score=score,
    )


def detect_c1(counts: Sequence[int], t: int, params: EarsParams = C1_PARAMS) -> Detection:
    return detect_ears(counts, t, params)


def detect_c2(counts: Sequence[int], t: int, params: EarsParams = C2_PARAMS) -> Detection:
    return detect_ears(counts, t, params)


def detect_c3(counts: Sequence[int], t: int, params: C3Params = C3Params()) -> Detection:
    """EARS C3: accumulated C2 exceedances over the current and the two previous periods."""
    check_period(counts, t)
    base = _baseline(counts, t - params.span + 1, params.c2)
    current = _baseline(counts, t, params.c2)
    if base is None or current is None:
        return no_decision(counts[:t])
    earlier = 0.0
    for i in range(t - params.span + 1, t):
        value = _statistic(counts, i, params.c2)
        earlier += max(0.0, (value or 0.0) - params.offset)
    mean, sd = current
    score = earlier + max(0.0, (counts[t] - mean) / sd - params.offset)
    # count at t that would lift C3 above the critical value, given the earlier terms
    needed = params.critical - earlier + params.offset
    threshold = mean + sd * needed if earlier <= params.critical else 0.0
    return Detection(alarm=score > params.critical, expected=mean, threshold=threshold, score=score)
