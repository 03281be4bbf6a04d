"""The detector the stream runs on every product x hazard series, daily and weekly.

Why this and not `live_nb` alone: on `recall bench detection` at 1% false alarms the
incremental EW detector finds far fewer outbreaks than the harmonic regression (`harmonic_nb`),
which needs a few years of counts and a fit. The fit for period t uses only counts up to
t - guard - 1, and in the stream those periods are closed (the guard, 7 days or 3 weeks, is at
least the lateness window), so it can be computed once per period and cached: every later case
of that period is judged against the cached prediction in microseconds. The closed history is
kept sparse (only periods with cases) and bounded to the fit's window, so state stays small for
the products that have few events — most of them.

The cold-start ladder (DESIGN: no product is silently unmonitored because its history is short),
by the age of the series (periods since its first case):

1. `cold_start` while `live_nb` is warming up (daily < 35 days, weekly < 10 weeks: its warm-up
   and guard): the sum of the last `window` periods (a week) against a gamma-Poisson
   predictive whose rate starts at a prior of 0.1 cases a day (0.7 a week, worth two weeks of
   data) and moves to the series' own mean as its periods before the window accumulate. A
   product nobody has reported before that hurts five people in a week is unusual whatever it
   is; one that has hurt three a week since its first report is not. (Region series have no
   prior: `REGIONAL`.)
2. `live_nb` until the harmonic fit has a year of history (daily 371 days, weekly 55 weeks):
   the EW negative-binomial baseline (`recall.domain.risk.detectors.live`).
3. `harmonic_nb` from then on, with exactly the offline method's parameters.

A period is judged only when it holds at least `min_cases` cases: a regulator's floor for a
statistical signal (fewer are never signalled), and it keeps the fits off the hot path for the
single cases that make up most of the stream. The registry's `stream` method replays a series
through these same functions, so `recall signals detect` shows what the stream decides.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from recall.domain.risk.detectors import harmonic, live, nb
from recall.domain.risk.detectors.base import Detection, Frequency, check_period
from recall.domain.risk.detectors.harmonic import HarmonicParams, Prediction
from recall.domain.risk.detectors.live import LiveParams, LiveState
from recall.domain.risk.errors import InvalidInputError

COLD_START = "cold_start"
LIVE = "live_nb"
HARMONIC = "harmonic_nb"


@dataclass(frozen=True, slots=True)
class ColdStartParams:
    prior_rate: float  # expected cases per period of a product without a baseline
    prior_periods: float  # how many periods of data the prior is worth
    window: int  # periods summed, the current one included
    alpha: float = 0.01


@dataclass(frozen=True, slots=True)
class StreamParams:
    frequency: Frequency
    harmonic: HarmonicParams
    live: LiveParams
    cold: ColdStartParams | None  # None: no decision until live_nb is warm (region series)
    min_cases: int = 3

    @property
    def keep(self) -> int:
        """Closed periods kept behind the newest: the fit's history, guard and window."""
        h = self.harmonic
        return h.history + h.guard + max(h.window, h.min_cases_span)


DAILY = StreamParams(
    Frequency.DAILY,
    harmonic.DAILY,
    live.DAILY,
    ColdStartParams(prior_rate=0.1, prior_periods=14, window=7),
)
WEEKLY = StreamParams(
    Frequency.WEEKLY,
    harmonic.WEEKLY,
    live.WEEKLY,
    ColdStartParams(prior_rate=0.7, prior_periods=2, window=1),
)


REGIONAL = replace(DAILY, cold=None)
"""Region series (category x county, city, province): no cold-start prior — a newly watched
region is not a new product; the level's floor replaces `min_cases` (`for_regions`)."""


def for_regions(min_cases: int) -> StreamParams:
    return replace(REGIONAL, min_cases=min_cases)


def params_for(frequency: Frequency) -> StreamParams:
    return DAILY if frequency is Frequency.DAILY else WEEKLY


@dataclass(frozen=True, slots=True)
class CachedFit:
    """The harmonic prediction for one period, computed once when that period is first judged."""

    period: int
    prediction: Prediction


@dataclass
class StreamSeries:
    """One series' state: what the stream keeps per product x hazard x frequency.

    `open` holds periods still accepting late cases; `closed` the nonzero counts of closed
    periods within `StreamParams.keep` of the newest (zeros are implied); `live` is the EW
    baseline of the closed periods (the cold-start ladder's middle rung); `origin` the first
    period with a case (the series' age decides the rung).
    """

    origin: int | None = None
    live: LiveState = field(default_factory=LiveState)
    closed: dict[int, int] = field(default_factory=dict)
    open: dict[int, int] = field(default_factory=dict)
    fit: CachedFit | None = None

    @property
    def closed_through(self) -> int | None:
        return self.live.last_period

    def count(self, period: int) -> int:
        return self.open.get(period, 0) or self.closed.get(period, 0)

    def add(self, period: int, cases: int = 1) -> bool:
        """Count cases into an open period; False (nothing counted) if the period is closed."""
        if cases < 0:
            raise InvalidInputError(f"cases must be non-negative, got {cases}")
        if self.closed_through is not None and period <= self.closed_through:
            return False
        self.open[period] = self.open.get(period, 0) + cases
        if self.origin is None or period < self.origin:
            self.origin = period
        return True

    def close(self, through: int, params: StreamParams) -> None:
        """Close the open periods up to `through`: absorb them into the baseline and the
        closed history, in order, and forget what the fit no longer reaches."""
        for period in sorted(p for p in self.open if p <= through):
            cases = self.open.pop(period)
            self.live = live.update(self.live, period, cases, params.live).state
            if cases:
                self.closed[period] = cases
        newest = self.closed_through
        if newest is not None:
            horizon = newest - params.keep
            for period in [p for p in self.closed if p < horizon]:
                del self.closed[period]
        if self.fit is not None and newest is not None and self.fit.period <= newest:
            self.fit = None

    def heal(self, ceiling: int) -> bool:
        """Drop open periods beyond `ceiling` and forget a history that absorbed one (older
        code let such periods in); True if anything changed."""
        beyond = [p for p in self.open if p > ceiling]
        for period in beyond:
            del self.open[period]
        if self.closed_through is not None and self.closed_through > ceiling:
            self.live, self.closed, self.fit = LiveState(), {}, None
            return True
        return bool(beyond)

    @classmethod
    def from_live(cls, record: Sequence[object], opened: dict[int, int]) -> StreamSeries:
        """A series from a state written before the streamed detector (an EW baseline and open
        periods): the first period was not kept, so the age is estimated from the periods the
        baseline absorbed; the closed history starts empty (the harmonic rung waits for a year
        of it, as for a new series)."""
        live_state = LiveState.from_record(record)  # type: ignore[arg-type]
        origin = None
        if live_state.last_period is not None:
            origin = live_state.last_period - live_state.seen - len(live_state.recent) + 1
        elif opened:
            origin = min(opened)
        return cls(origin, live_state, {}, dict(opened))

    def to_json(self) -> list[object]:
        fit = None
        if self.fit is not None:
            p = self.fit.prediction
            fit = [self.fit.period, p.mean, p.variance, p.window_mean, p.window_variance, p.sparse]
        return [self.origin, list(self.live.as_record()), self.closed, self.open, fit]

    @classmethod
    def from_json(cls, data: Sequence[object]) -> StreamSeries:
        origin, record, closed, opened, fit = data
        series = cls(
            origin=origin if isinstance(origin, int) else None,
            live=LiveState.from_record(record),  # type: ignore[arg-type]
            closed={int(k): int(v) for k, v in closed.items()},  # type: ignore[attr-defined]
            open={int(k): int(v) for k, v in opened.items()},  # type: ignore[attr-defined]
        )
        if isinstance(fit, list):
            period, mean, var, w_mean, w_var, sparse = fit
            series.fit = CachedFit(period, Prediction(mean, var, w_mean, w_var, bool(sparse)))
        return series


@dataclass(frozen=True, slots=True)
class Judgement:
    detector: str  # the rung that judged: cold_start, live_nb or harmonic_nb
    detection: Detection


def judge(series: StreamSeries, period: int, params: StreamParams) -> Judgement:
    """Judge `period`'s count as it stands (it may still grow), leaving the baseline as it is
    (the fit for `period` is cached on the series: the only change)."""
    count = series.count(period)
    if series.origin is None or count < params.min_cases:
        return Judgement(_rung(series, period, params), _below_floor())
    rung = _rung(series, period, params)
    if rung == HARMONIC:
        return Judgement(rung, _harmonic(series, period, count, params))
    if rung == LIVE:
        detection = live.judge_open_period(series.live, series.open, period, params.live)
        if detection is not None:
            return Judgement(rung, detection)
    if params.cold is None:
        return Judgement(COLD_START, _below_floor())
    return Judgement(COLD_START, _cold(series, period, params.cold))


def _rung(series: StreamSeries, period: int, params: StreamParams) -> str:
    """By the series' age alone, so the rung never depends on how long periods stay open:
    `live_nb` once its baseline (folded up to `period`) is past warm-up and its guard."""
    age = period - (series.origin if series.origin is not None else period)
    if harmonic.has_history(age, params.harmonic):
        return HARMONIC
    if age >= params.live.warmup + params.live.guard:
        return LIVE
    return COLD_START


def _below_floor() -> Detection:
    """Not tested: under the floor no count is a signal (expected 0, no threshold), and the
    answer cannot depend on how much of the baseline has been absorbed yet."""
    return Detection(alarm=False, expected=0.0, threshold=math.inf, score=0.0)


def _harmonic(series: StreamSeries, period: int, count: int, params: StreamParams) -> Detection:
    h = params.harmonic
    if series.fit is None or series.fit.period != period:
        series.fit = CachedFit(period, _fit(series, period, h))
    window = sum(series.count(p) for p in range(period - h.window + 1, period + 1))
    recent = sum(series.count(p) for p in range(period - h.min_cases_span + 1, period + 1))
    return harmonic.judge(series.fit.prediction, count, window, recent, h)


def _fit(series: StreamSeries, period: int, h: HarmonicParams) -> Prediction:
    """The harmonic prediction for `period` from the kept history (the offline method's input
    window exactly: `keep` covers it)."""
    origin = series.origin if series.origin is not None else period
    start = max(origin, period - h.guard - h.history)
    counts = [series.count(p) for p in range(start, period + 1)]
    return harmonic.predict(counts, period - start, h)


def _cold(series: StreamSeries, period: int, cold: ColdStartParams) -> Detection:
    """Gamma-Poisson predictive of the window sum: the prior plus the series' own periods
    before the window (all still in `closed`/`open`: cold start ends long before `keep`)."""
    first = period - cold.window + 1
    origin = series.origin if series.origin is not None else first
    before = range(origin, first)
    shape = cold.prior_rate * cold.prior_periods + sum(series.count(p) for p in before)
    rate = cold.prior_periods + len(before)
    expected = cold.window * shape / rate
    window = sum(series.count(p) for p in range(first, period + 1))
    score = min(nb.surprise(window, expected, shape), 300.0)
    threshold = float(nb.quantile(1 - cold.alpha, expected, shape))
    return Detection(score >= -math.log10(cold.alpha), expected, threshold, score)


def scan_stream(
    counts: Sequence[int], start: int, params: StreamParams, lateness: int = 0
) -> list[Judgement]:
    """Replay a whole series as the stream sees it, one period at a time, each period's cases
    arriving together; judgements for periods start .. len-1. Periods close `lateness` periods
    after they open, as in the stream (the result does not depend on it while lateness <= the
    harmonic guard: a test checks this)."""
    series, out = StreamSeries(), []
    for period, count in enumerate(counts):
        if count:
            series.add(period, count)
        if period >= start:
            out.append(judge(series, period, params))
        series.close(period - lateness, params)
    return out


def detect_stream(counts: Sequence[int], t: int, params: StreamParams) -> Detection:
    """The streamed detector as a prospective batch detector: replay counts[0..t]."""
    check_period(counts, t)
    return scan_stream(counts[: t + 1], t, params)[0].detection
