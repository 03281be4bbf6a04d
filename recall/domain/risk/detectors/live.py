"""Incremental detector for the live stream: one small immutable state per series.

The stream keeps one `LiveState` per product x hazard bucket and calls `update` once per closed
event-time period; no history is stored. The baseline is an exponentially weighted mean and
variance of the counts (West 1979 updating), lagged by `guard` periods so the start of an
outbreak does not raise its own baseline, and winsorised at mean + 2.58 sd after warm-up so a
past outbreak leaks into it only a little. Each period is tested like `harmonic.py`: the current
count and the sum of the last `window` counts against a negative binomial whose dispersion
comes from the EW variance (plus the uncertainty of the EW mean), Bonferroni-combined.

Memory per series: the state is 5 slots (last period, periods absorbed, EW mean, EW variance,
a tuple of the last `guard` counts): about 185 bytes as Python objects (measured, see
docs/risk-model.md), 5 values when serialised with `as_record` for a changelog.
Cost per update: O(guard + y) arithmetic, no numpy.
Not modelled: seasonality (the EW level follows it with a lag of about one half-life).
"""

import math
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass

from recall.domain.risk.detectors import nb
from recall.domain.risk.detectors.base import Detection, check_period
from recall.domain.risk.errors import InvalidInputError, OutOfOrderPeriodError, RiskError


@dataclass(frozen=True, slots=True)
class LiveParams:
    halflife: float = 26.0
    guard: int = 2
    window: int = 3
    alpha: float = 0.01
    warmup: int = 8
    winsor: float = 2.58
    max_fill: int = 520  # longest gap filled with zeros; beyond it the baseline has decayed

    @property
    def decay(self) -> float:
        return 1.0 - math.pow(0.5, 1.0 / self.halflife)


WEEKLY = LiveParams()
DAILY = LiveParams(halflife=56.0, guard=7, window=7, warmup=28)


LiveRecord = tuple[int | None, int, float, float, tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class LiveState:
    last_period: int | None = None
    seen: int = 0  # counts absorbed into the baseline
    mean: float = 0.0
    var: float = 0.0
    recent: tuple[int, ...] = ()  # the last `guard` counts, oldest first, not yet absorbed

    def as_record(self) -> "LiveRecord":
        return (self.last_period, self.seen, self.mean, self.var, self.recent)

    @classmethod
    def from_record(cls, record: "LiveRecord") -> "LiveState":
        return cls(record[0], record[1], record[2], record[3], tuple(record[4]))


@dataclass(frozen=True, slots=True)
class LiveUpdate:
    state: LiveState
    detection: Detection


def update(state: LiveState, period: int, count: int, params: LiveParams = WEEKLY) -> LiveUpdate:
    """Judge `count` for `period`, then absorb it. Skipped periods count as zero."""
    if count < 0:
        raise InvalidInputError(f"count must be non-negative, got {count}")
    if state.last_period is not None and period <= state.last_period:
        raise OutOfOrderPeriodError(
            f"period {period} is not after the last period seen ({state.last_period})"
        )
    last = state.last_period
    if last is not None:
        for step in range(1, min(period - last - 1, params.max_fill) + 1):
            state = _absorb(state, last + step, 0, params)
    detection = _judge(state, count, params)
    return LiveUpdate(_absorb(state, period, count, params), detection)


def judge_open_period(
    state: LiveState, open_counts: MutableMapping[int, int], period: int, params: LiveParams
) -> Detection | None:
    """Judge the (possibly still growing) count of an open `period` against the baseline with
    the earlier open periods folded in, leaving `state` and `open_counts` as they are.

    Streams keep recent periods open for late events (a lateness window) and absorb them into
    the baseline only when they close; a count is judged as it grows. None when `period` is
    already behind the baseline (a late event beyond the window) or a count is invalid.
    """
    try:
        for earlier in sorted(p for p in open_counts if p < period):
            state = update(state, earlier, open_counts[earlier], params).state
        return update(state, period, open_counts.get(period, 0), params).detection
    except RiskError:
        return None


def close_open_periods(
    state: LiveState, open_counts: MutableMapping[int, int], through: int, params: LiveParams
) -> LiveState:
    """Absorb (and remove) the open periods up to `through` into the baseline, in order."""
    for period in sorted(p for p in open_counts if p <= through):
        state = update(state, period, open_counts.pop(period), params).state
    return state


def _judge(state: LiveState, count: int, p: LiveParams) -> Detection:
    mean = state.mean
    if state.seen < p.warmup:
        return Detection(alarm=False, expected=mean, threshold=math.inf, score=0.0)
    lam = p.decay
    var = max(state.var, mean)
    mean_var = var * lam / (2 - lam)  # variance of an EW mean of independent counts
    size_1 = nb.size_from_moments(max(mean, 1e-3), var + mean_var)
    p_single = nb.sf(count, max(mean, 1e-3), size_1)
    p_window = 1.0
    m = min(p.window, len(state.recent) + 1)
    if count > mean:
        total = m * max(mean, 1e-3)
        size_w = nb.size_from_moments(total, m * var + m * m * mean_var)
        p_window = nb.sf(count + sum(state.recent[len(state.recent) - m + 1 :]), total, size_w)
    score = min(-math.log10(max(min(1.0, 2 * min(p_single, p_window)), nb.TINY)), 300.0)
    upper = float(nb.quantile(1 - p.alpha / 2, max(mean, 1e-3), size_1))
    return Detection(score >= -math.log10(p.alpha), mean, upper, score)


def _absorb(state: LiveState, period: int, count: int, p: LiveParams) -> LiveState:
    recent = (*state.recent, count)
    seen, mean, var = state.seen, state.mean, state.var
    if len(recent) > p.guard:
        value, recent = float(recent[0]), recent[1:]
        if seen >= p.warmup:
            value = min(value, mean + p.winsor * math.sqrt(max(var, mean, 0.25)))
        seen += 1
        lam = max(p.decay, 1.0 / seen)
        diff = value - mean
        mean += lam * diff
        var = (1 - lam) * (var + lam * diff * diff)
    return LiveState(period, seen, mean, var, recent)


def scan_live(counts: Sequence[int], start: int, params: LiveParams = WEEKLY) -> list[Detection]:
    """Replay a whole series through `update`; detections for periods start .. len-1."""
    state, out = LiveState(), []
    for period, count in enumerate(counts):
        step = update(state, period, count, params)
        state = step.state
        if period >= start:
            out.append(step.detection)
    return out


def detect_live(counts: Sequence[int], t: int, params: LiveParams = WEEKLY) -> Detection:
    """The live detector as a prospective batch detector: replay counts[0..t]."""
    check_period(counts, t)
    return scan_live(counts[: t + 1], t, params)[0]
