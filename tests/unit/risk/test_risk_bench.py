"""The detection benchmark with tiny sizes: reproducible, well-formed, calibrated."""

import json

import numpy as np
import pytest

from recall.domain.risk.detectors import STREAM, Frequency, get_method
from recall.tools.bench.detection import (
    AGENT_PATH,
    SCENARIOS,
    MethodResult,
    run_detection_benchmark,
    simulate,
    stream_gaps,
    to_json,
    to_markdown,
)
from recall.tools.bench.detection_stream import agent_scores

METHODS = ("ears_c1", "live_nb")


def test_tiny_benchmark_is_reproducible_and_well_formed() -> None:
    seen: list[int] = []
    first = run_detection_benchmark(2, seed=5, progress=seen.append, methods=METHODS, workers=1)
    again = run_detection_benchmark(2, seed=5, methods=METHODS, workers=1)
    assert first == again
    assert seen == [1, 2, 3, 4]  # 2 weekly + 2 daily series
    assert [(r.frequency, r.method) for r in first] == [
        ("weekly", "ears_c1"),
        ("weekly", "live_nb"),
        ("daily", "ears_c1"),
        ("daily", "live_nb"),
    ]
    for r in first:
        assert r.outbreaks == 4
        assert 0 <= r.fpr_nominal <= 1
        assert 0 <= r.pod_nominal <= 1
        assert r.fpr_calibrated <= 0.01 + 1e-12  # calibration never exceeds the target
    assert json.loads(to_json(first))[0]["method"] == "ears_c1"
    assert to_markdown(first).count("\n") == 5


def test_simulated_outbreaks_add_cases_where_declared() -> None:
    scenario = SCENARIOS[1]
    series = simulate(scenario, np.random.default_rng(1))
    assert len(series.counts) == 364
    for first, last in series.outbreaks:
        assert 312 <= first <= last < 364


def test_the_agent_path_judges_exactly_as_the_registry_stream_replays() -> None:
    """`stream_agent` (canonical records through the risk agent's batch code) and `stream`
    (the registry's replay) are the same detector: every period's score and alarm agree, in
    the warm-up rungs and the harmonic one."""
    rng = np.random.default_rng(4)
    counts = [int(c) for c in rng.poisson(3.0, size=70)]
    counts[20] += 12  # cold start / live_nb
    counts[66] += 12  # harmonic_nb (a year and the guard of history)
    agent = agent_scores(counts, 0, Frequency.WEEKLY)
    replay = [(d.score, d.alarm) for d in get_method(STREAM, Frequency.WEEKLY).scan(counts, 0)]
    assert agent == replay
    assert agent[20][1] and agent[66][1]


def _result(frequency: str, method: str, pod: float) -> MethodResult:
    return MethodResult(method, frequency, 1, 2, 100, 0.01, pod, 0.0, 2.0, 0.01, pod, 0.0)


def test_the_stream_gap_is_read_against_the_best_offline_method() -> None:
    results = [
        _result("weekly", "ears_c1", 0.10),
        _result("weekly", "harmonic_nb", 0.39),
        _result("weekly", STREAM, 0.99),  # the stream itself is never the yardstick
        _result("weekly", AGENT_PATH, 0.375),
        _result("daily", "harmonic_nb", 0.18),
        _result("daily", AGENT_PATH, 0.19),
    ]
    weekly, daily = stream_gaps(results)
    assert (weekly.best_method, weekly.best_pod) == ("harmonic_nb", 0.39)
    assert weekly.points == pytest.approx(-1.5)
    assert daily.points == pytest.approx(1.0)
    assert stream_gaps([_result("weekly", "ears_c1", 0.1)]) == [], "no agent row, no gap"


def test_by_size_gives_one_calibrated_row_per_scenario() -> None:
    results = run_detection_benchmark(4, seed=5, methods=("ears_c1",), workers=1, by_size=True)
    assert [(r.frequency, r.scenario) for r in results] == [
        (s.frequency.value, s.name) for s in SCENARIOS
    ]
    assert all(r.series == (1 if r.frequency == "weekly" else 2) for r in results)
    assert all(r.fpr_calibrated <= 0.01 + 1e-12 for r in results)
