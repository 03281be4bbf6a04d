"""The simulator is plausible and the benchmark runs end to end (small and fast)."""

from __future__ import annotations

import numpy as np

from recall.domain.recalls import validate_progress
from recall.tools.bench.forecast import (
    random_spec,
    run_forecast_benchmark,
    simulate_progress,
    simulate_recall,
    to_progress_reports,
)


def test_simulated_curves_are_cumulative_bounded_and_valid_reports() -> None:
    rng = np.random.default_rng(1)
    for i in range(20):
        spec = random_spec(rng, i)
        reports = simulate_progress(spec, rng)
        assert reports[-1].day == 540
        totals = [r.corrected_total for r in reports]
        assert totals == sorted(totals)
        assert totals[-1] <= spec.total_affected
        previous = None
        for report in to_progress_reports(spec, reports):
            assert (
                validate_progress(report, recalls={spec.recall_id: spec}, previous=previous) == []
            )
            previous = report


def test_some_recalls_lag_and_some_reports_are_late_or_missing() -> None:
    rng = np.random.default_rng(2)
    sims = [simulate_recall(random_spec(rng, i), rng) for i in range(120)]
    assert 0 < sum(s.lagging for s in sims) < 60
    gaps = [
        r.submitted_day - r.day if r.submitted_day is not None else None
        for s in sims
        for r in s.reports
    ]
    assert any(g is None for g in gaps)
    assert any(g is not None and g > 15 for g in gaps)


def test_benchmark_reports_errors_per_method() -> None:
    result = run_forecast_benchmark(12, seed=3, n_history=60)
    assert result["n_recalls"] == 12
    assert result["first_reports"] == 3
    assert set(result["methods"]) == {
        "flat",
        "eb_category",
        "eb_category_channel",
        "baseline_median",
    }
    assert 0.0 <= result["median_abs_error"] < 0.2
    assert 0.0 <= result["coverage80"] <= 1.0
