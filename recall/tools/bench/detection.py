"""Simulation benchmark of the temporal detectors, after Noufaily et al. (2013).

Each series is negative-binomial with a log-linear trend, annual harmonics and (daily) a
day-of-week effect. Past outbreaks are injected into the history (so methods must cope with a
contaminated baseline) and `EVAL_OUTBREAKS` outbreaks into the evaluation window. An outbreak of
size k x sd (sd of the baseline count at its start, k drawn per outbreak) has its cases spread
over the following periods by a log-normal delay, as in Noufaily et al. Every method is run
prospectively over the evaluation window and scored on:

* false-positive rate: alarms in non-outbreak periods / non-outbreak periods;
* probability of detection: outbreaks with at least one alarm while they last;
* median delay: periods from the outbreak's start to its first alarm (detected outbreaks).

Two readings are reported. "nominal" uses each method's published threshold. "calibrated" moves
every method's critical value so that its false-positive rate on the pooled non-outbreak periods
equals `TARGET_FPR`, which is the fair comparison (an ROC point at equal specificity).
"""

import json
import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace

import numpy as np

from recall.domain.risk.detectors import METHOD_NAMES, STREAM, Frequency, get_method

TARGET_FPR = 0.01
AGENT_PATH = "stream_agent"
"""The streamed detector run through the `assess_risk` agent's batch function on canonical
records (`recall.tools.bench.detection_stream`), beside the registry's `stream` replay of the
same code: the two rows must agree."""
BENCH_METHODS: tuple[str, ...] = (*METHOD_NAMES, AGENT_PATH)
EVAL_OUTBREAKS = 2


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    frequency: Frequency
    level: float  # mean count per period at the start of the series
    phi: float  # variance / mean
    trend: float  # log-change per year
    amplitudes: tuple[float, ...]  # harmonic amplitudes (log scale), one per harmonic


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("W-low", Frequency.WEEKLY, 1.5, 1.5, 0.0, (0.5,)),
    Scenario("W-mid", Frequency.WEEKLY, 5.0, 2.0, 0.1, (0.6,)),
    Scenario("W-high", Frequency.WEEKLY, 20.0, 3.0, 0.05, (0.5, 0.3)),
    Scenario("W-vhigh", Frequency.WEEKLY, 60.0, 5.0, 0.0, (0.8,)),
    Scenario("D-low", Frequency.DAILY, 2.0, 1.5, 0.0, (0.4,)),
    Scenario("D-mid", Frequency.DAILY, 10.0, 3.0, 0.1, (0.5, 0.2)),
)

# (history periods before the evaluation window, evaluation periods, periods per year)
_LAYOUT = {Frequency.WEEKLY: (312, 52, 52.0), Frequency.DAILY: (760, 120, 365.25)}
_DOW = (1.15, 1.1, 1.1, 1.05, 1.0, 0.8, 0.8)


@dataclass(frozen=True, slots=True)
class MethodResult:
    method: str
    frequency: str
    series: int
    outbreaks: int
    quiet_periods: int
    fpr_nominal: float
    pod_nominal: float
    delay_nominal: float | None
    critical_calibrated: float
    fpr_calibrated: float
    pod_calibrated: float
    delay_calibrated: float | None
    scenario: str = "all"  # or one scenario's name (`by_size`): a size class of series


@dataclass(frozen=True, slots=True)
class _Series:
    frequency: Frequency
    scenario: str
    counts: tuple[int, ...]
    outbreaks: tuple[tuple[int, int], ...]  # evaluation outbreaks, (first, last) period, inclusive


def simulate(scenario: Scenario, rng: np.random.Generator) -> _Series:
    """One series with outbreaks in the history and `EVAL_OUTBREAKS` in the evaluation window."""
    history, evaluation, year = _LAYOUT[scenario.frequency]
    n = history + evaluation
    t = np.arange(n)
    eta = math.log(scenario.level) + scenario.trend * t / year
    for j, amp in enumerate(scenario.amplitudes, start=1):
        eta = eta + amp * np.sin(2 * math.pi * j * t / year + j)
    mu = np.exp(eta)
    if scenario.frequency is Frequency.DAILY:
        mu = mu * np.asarray(_DOW)[t % 7]
    counts = _nb(rng, mu, scenario.phi)
    sd = np.sqrt(mu * scenario.phi)
    spread = 1.0 if scenario.frequency is Frequency.WEEKLY else 7.0
    for start in rng.choice(history - 60, size=4, replace=False):
        _inject(counts, int(start), float(rng.uniform(2, 10)) * sd[start], spread, rng)
    outbreaks = []
    slots = np.array_split(np.arange(history, n - 8), EVAL_OUTBREAKS)
    for slot in slots:
        start = int(rng.integers(slot[0], slot[-1] - 8))
        size = float(rng.uniform(1, 6)) * sd[start]
        outbreaks.append(_inject(counts, start, size, spread, rng))
    return _Series(
        scenario.frequency, scenario.name, tuple(int(c) for c in counts), tuple(outbreaks)
    )


def _nb(rng: np.random.Generator, mu: np.ndarray, phi: float) -> np.ndarray:
    size = mu / (phi - 1)
    return rng.negative_binomial(size, size / (size + mu)).astype(np.int64)


def _inject(
    counts: np.ndarray, start: int, size: float, spread: float, rng: np.random.Generator
) -> tuple[int, int]:
    """Add Poisson(size) cases with log-normal(0, 0.5) delays; return (first, last) period hit."""
    cases = max(1, int(rng.poisson(size)))
    delays = np.floor(spread * rng.lognormal(0.0, 0.5, size=cases)).astype(np.int64)
    periods = np.minimum(start + delays, len(counts) - 1)
    np.add.at(counts, periods, 1)
    return int(periods.min()), int(periods.max())


def _score_series(args: tuple[_Series, tuple[str, ...]]) -> dict[str, list[tuple[float, bool]]]:
    """(score, nominal alarm) per evaluation period, per method."""
    series, methods = args
    history, _, _ = _LAYOUT[series.frequency]
    out: dict[str, list[tuple[float, bool]]] = {}
    for name in methods:
        if name == AGENT_PATH:
            from recall.tools.bench.detection_stream import agent_scores

            out[name] = agent_scores(series.counts, history, series.frequency)
            continue
        method = get_method(name, series.frequency)
        out[name] = [(d.score, d.alarm) for d in method.scan(series.counts, history)]
    return out


def _generate(n_series: int, seed: int) -> list[_Series]:
    """`n_series` weekly and `n_series` daily series, scenarios taken in turn, seeded per series."""
    children = np.random.SeedSequence(seed).spawn(2 * n_series)
    out = []
    for freq_index, frequency in enumerate((Frequency.WEEKLY, Frequency.DAILY)):
        scenarios = [s for s in SCENARIOS if s.frequency is frequency]
        for i in range(n_series):
            rng = np.random.default_rng(children[freq_index * n_series + i])
            out.append(simulate(scenarios[i % len(scenarios)], rng))
    return out


def run_detection_benchmark(
    n_series: int = 100,
    seed: int = 20240917,
    progress: Callable[[int], None] | None = None,
    *,
    methods: Sequence[str] = BENCH_METHODS,
    workers: int | None = None,
    by_size: bool = False,
) -> list[MethodResult]:
    """Simulate, run every method prospectively, and score it nominally and at equal FPR.

    `n_series` series are simulated per frequency (weekly and daily); `progress` is called with
    the number of series finished so far. Results depend only on `n_series` and `seed`.
    `by_size`: one result per scenario (a size class: mean 1.5 to 60 a period), each calibrated
    to 1% false alarms on its own quiet periods, instead of one per frequency.
    """
    series = _generate(n_series, seed)
    jobs = [(s, tuple(methods)) for s in series]
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    scored: list[dict[str, list[tuple[float, bool]]]] = []
    if workers <= 1:
        iterator = map(_score_series, jobs)
        for done, result in enumerate(iterator, start=1):
            scored.append(result)
            if progress is not None:
                progress(done)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for done, result in enumerate(pool.map(_score_series, jobs, chunksize=2), start=1):
                scored.append(result)
                if progress is not None:
                    progress(done)
    results = []
    for frequency in (Frequency.WEEKLY, Frequency.DAILY):
        picked = [(s, r) for s, r in zip(series, scored, strict=True) if s.frequency is frequency]
        groups = [("all", picked)]
        if by_size:
            names = [sc.name for sc in SCENARIOS if sc.frequency is frequency]
            groups = [(n, [(s, r) for s, r in picked if s.scenario == n]) for n in names]
        for scenario, group in groups:
            if not group:
                continue
            for name in methods:
                results.append(replace(_evaluate(name, frequency, group), scenario=scenario))
    return results


def _masks(series: _Series) -> np.ndarray:
    history, evaluation, _ = _LAYOUT[series.frequency]
    inside = np.zeros(evaluation, dtype=bool)
    for first, last in series.outbreaks:
        inside[first - history : last - history + 1] = True
    return inside


_Scored = dict[str, list[tuple[float, bool]]]


def _evaluate(
    name: str, frequency: Frequency, picked: list[tuple[_Series, _Scored]]
) -> MethodResult:
    scores = [np.asarray([s for s, _ in r[name]]) for _, r in picked]
    nominal = [np.asarray([a for _, a in r[name]]) for _, r in picked]
    masks = [_masks(s) for s, _ in picked]
    quiet = np.concatenate([sc[~m] for sc, m in zip(scores, masks, strict=True)])
    critical = _calibrate(quiet, TARGET_FPR)
    calibrated = [sc > critical for sc in scores]
    fpr_n, pod_n, delay_n, outbreaks = _rates(nominal, masks, [s for s, _ in picked])
    fpr_c, pod_c, delay_c, _ = _rates(calibrated, masks, [s for s, _ in picked])
    return MethodResult(
        method=name,
        frequency=frequency.value,
        series=len(picked),
        outbreaks=outbreaks,
        quiet_periods=len(quiet),
        fpr_nominal=fpr_n,
        pod_nominal=pod_n,
        delay_nominal=delay_n,
        critical_calibrated=critical,
        fpr_calibrated=fpr_c,
        pod_calibrated=pod_c,
        delay_calibrated=delay_c,
    )


def _calibrate(quiet_scores: np.ndarray, target: float) -> float:
    """Smallest critical value c with mean(score > c) <= target on outbreak-free periods."""
    ordered = np.sort(quiet_scores)
    index = max(0, math.ceil((1 - target) * len(ordered)) - 1)
    return float(ordered[index]) if len(ordered) else math.inf


def _rates(
    alarms: list[np.ndarray], masks: list[np.ndarray], series: list[_Series]
) -> tuple[float, float, float | None, int]:
    false = sum(int(np.sum(a[~m])) for a, m in zip(alarms, masks, strict=True))
    quiet = sum(int(np.sum(~m)) for m in masks)
    detected, delays, total = 0, [], 0
    for a, s in zip(alarms, series, strict=True):
        history, _, _ = _LAYOUT[s.frequency]
        for first, last in s.outbreaks:
            total += 1
            hits = np.flatnonzero(a[first - history : last - history + 1])
            if len(hits):
                detected += 1
                delays.append(int(hits[0]))
    delay = float(np.median(delays)) if delays else None
    return false / max(quiet, 1), detected / max(total, 1), delay, total


@dataclass(frozen=True, slots=True)
class StreamGap:
    frequency: str
    stream_pod: float
    best_method: str
    best_pod: float

    @property
    def points(self) -> float:
        """Percentage points the stream is above (+) or below (-) the best offline method."""
        return 100 * (self.stream_pod - self.best_pod)


def stream_gaps(results: Sequence[MethodResult]) -> list[StreamGap]:
    """Per frequency: the agent-path stream's POD at 1% against the best offline method's
    (every registered method but the stream itself). Empty when the agent path was not run."""
    out = []
    for frequency in (Frequency.WEEKLY, Frequency.DAILY):
        rows = [r for r in results if r.frequency == frequency.value]
        stream = [r for r in rows if r.method == AGENT_PATH]
        offline = [r for r in rows if r.method not in (AGENT_PATH, STREAM)]
        if stream and offline:
            best = max(offline, key=lambda r: r.pod_calibrated)
            out.append(
                StreamGap(
                    frequency.value, stream[0].pod_calibrated, best.method, best.pod_calibrated
                )
            )
    return out


def to_json(results: Sequence[MethodResult]) -> str:
    """Results as a JSON array (stable key order), for reports and the CLI."""
    return json.dumps([asdict(r) for r in results], indent=2)


def to_markdown(results: Sequence[MethodResult]) -> str:
    """The table pasted into docs/risk-model.md."""
    head = (
        "| frequency | method | FPR nominal | POD nominal | delay nominal "
        "| FPR @1% | POD @1% | delay @1% |\n|---|---|---|---|---|---|---|---|"
    )
    rows = [
        f"| {r.frequency} | {r.method} | {r.fpr_nominal:.3f} | {r.pod_nominal:.3f} "
        f"| {_fmt(r.delay_nominal)} | {r.fpr_calibrated:.3f} | {r.pod_calibrated:.3f} "
        f"| {_fmt(r.delay_calibrated)} |"
        for r in results
    ]
    return "\n".join([head, *rows])


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


if __name__ == "__main__":
    import time

    started = time.perf_counter()
    table = run_detection_benchmark()
    print(to_markdown(table))
    print(f"elapsed {time.perf_counter() - started:.1f}s")
