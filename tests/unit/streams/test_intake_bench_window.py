"""`recall bench intake --workers N` times the group only once it shares the partitions.

With several workers the first to start takes every partition and hands some over when the
next one joins: that rebalance is start-up, not the steady rate the ratio is about. The rules
— which partitions a worker holds, when the group is spread, which samples bound the window —
are pure functions, checked here on hand-written /metrics text and samples.
"""

from __future__ import annotations

import pytest

from recall.tools.bench.intake import _disjoint, _Sample, _window
from recall.tools.bench.worker_metrics import held_partitions, partition_lags


def _metrics(raw: list[int]) -> str:
    lines = ["# HELP recall_consumer_lag Records behind", "recall_worker_ready 1.0"]
    lines += [f'recall_consumer_lag{{partition="{p}",topic="b.intake.raw"}} 3.0' for p in raw]
    lines.append('recall_consumer_lag{partition="0",topic="b.events.canonical"} 0.0')
    return "\n".join(lines) + "\n"


def test_held_partitions_reads_only_the_named_topic() -> None:
    text = _metrics([1, 4])
    assert held_partitions(text, "b.intake.raw") == {1, 4}
    assert held_partitions(text, "b.events.canonical") == {0}
    assert held_partitions(text, "b.risk.signals") == frozenset()
    assert ("b.intake.raw", 4, 3.0) in partition_lags(text)


def test_a_partition_on_two_workers_means_the_rebalance_is_not_over() -> None:
    assert _disjoint([frozenset({0, 1, 2}), frozenset({3, 4, 5})])
    assert not _disjoint([frozenset({0, 1, 2, 3}), frozenset({3, 4, 5})])


def _samples() -> list[_Sample]:
    # 1,000 events: 100 a second, the workers spread at t=5 (500 stored).
    return [_Sample(float(t), min(1000, 100 * t), 0.9 * t) for t in range(12)]


def test_the_window_runs_from_ten_to_ninety_percent_when_spread_early() -> None:
    low, high = _window(_samples(), 1000, spread_at=0.5)
    assert (low.stored, high.stored) == (100, 900)


def test_the_window_starts_no_earlier_than_the_spread() -> None:
    low, high = _window(_samples(), 1000, spread_at=5.0)
    assert low.at == 5.0 and low.stored == 500
    assert high.stored == 900


def test_a_run_spread_only_after_ninety_percent_cannot_be_timed() -> None:
    with pytest.raises(RuntimeError, match="more --events"):
        _window(_samples(), 1000, spread_at=10.0)
