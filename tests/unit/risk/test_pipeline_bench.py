"""The pipeline benchmark's pure parts: percentiles, the per-load point, the spread over runs
and the trigger schedule (the timed run itself is `recall bench pipeline`, never a test)."""

import itertools
import math

import orjson
import pytest

from recall.tools.bench.pipeline import (
    LoadPoint,
    PipelineRun,
    growth,
    load_point,
    percentile,
    result_json,
    summarize,
    trigger_schedule,
)
from recall.tools.bench.spread import spread


def test_percentile_is_nearest_rank_of_a_latency_that_happened() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 0.5) in values
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile(values, 0.0) == 1.0
    assert percentile([7.0], 0.99) == 7.0


def test_a_load_point_summarizes_latencies_and_names_the_slowest_with_their_send_time() -> None:
    samples = [(i / 4, 0.1 + (i % 10) / 100) for i in range(119)] + [(12.5, 8.0)]
    point = load_point(0.5, 500.0, 497.26, 120, samples, trigger_late_max_s=0.01234)
    assert (point.load, point.triggers, point.opened) == (0.5, 120, 120)
    assert point.sent_events_per_s == 497.3
    assert point.max_s == 8.0
    assert point.p99_s == pytest.approx(0.19)  # one outlier in 120 is above p99
    assert point.p50_s <= point.p95_s <= point.p99_s <= point.max_s
    assert point.slowest[0] == (12.5, 8.0)
    assert len(point.slowest) == 5
    assert point.trigger_late_max_s == 0.0123


def test_a_load_point_with_no_investigation_opened_reports_nan_not_zero() -> None:
    point = load_point(0.75, 900.0, 880.0, 120, [])
    assert point.opened == 0
    assert all(math.isnan(v) for v in (point.p50_s, point.p95_s, point.p99_s, point.max_s))
    assert point.slowest == []


def _run(p99s: list[float], rate: float, ratio: float) -> PipelineRun:
    points = [
        LoadPoint(load, "", 1.0, 1.0, 120, 120, 0.1, 0.2, p99, p99, 0.0, 0.5, 0.1, 1.0, 0.0, [])
        for load, p99 in zip((0.25, 0.5, 0.75), p99s, strict=True)
    ]
    return PipelineRun(50_000, rate, 10_000.0, ratio, points, "sqlite", rate)


def test_spread_over_runs_is_per_load_min_median_max_not_the_best_run() -> None:
    runs = [
        _run([0.3, 8.0, 9.0], 1000.0, 0.10),
        _run([0.2, 0.72, 4.0], 1100.0, 0.11),
        _run([0.4, 8.5, float("nan")], 900.0, 0.09),
    ]
    result = summarize(runs, (0.25, 0.5, 0.75))
    half = result.p99_spread[1]
    assert (half.low, half.median, half.high) == (0.72, 8.0, 8.5)
    # A point with no investigation opened is left out, not counted as 0 s.
    assert (result.p99_spread[2].low, result.p99_spread[2].high) == (4.0, 9.0)
    assert result.events_per_s_spread.median == 1000.0
    assert result.ratio_spread.low == 0.09
    decoded = orjson.loads(result_json(result))
    assert decoded["loads"] == [0.25, 0.5, 0.75]
    assert len(decoded["runs"]) == 3
    assert decoded["runs"][0]["points"][1]["p99_s"] == 8.0


def test_spread_of_nothing_is_nan() -> None:
    empty = spread([])
    assert math.isnan(empty.low) and math.isnan(empty.median) and math.isnan(empty.high)


def test_trigger_schedule_is_evenly_spaced_and_gives_120_triggers_in_30_s() -> None:
    schedule = trigger_schedule(30.0)
    assert len(schedule) == 120
    assert schedule[0] == 0.125
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(schedule)}
    assert gaps == {0.25}
    assert schedule[-1] < 30.0


def test_growth_tells_a_growing_queue_from_a_steady_one() -> None:
    growing = [(t / 4, 0.2 + 0.5 * t / 4) for t in range(120)]  # +0.5 s latency per s sent
    steady = [(t / 4, 0.2 + (t % 3) / 100) for t in range(120)]
    assert growth(growing) == pytest.approx(0.5)
    assert abs(growth(steady)) < 0.001
    assert math.isnan(growth([(1.0, 0.3)]))
    assert load_point(0.5, 1.0, 1.0, 120, growing).latency_growth == pytest.approx(0.5)
