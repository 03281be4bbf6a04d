"""The detection benchmark with tiny sizes: reproducible, well-formed, calibrated."""

import json

import numpy as np

from recall.tools.bench.detection import (
    SCENARIOS,
    run_detection_benchmark,
    simulate,
    to_json,
    to_markdown,
)

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
