"""`recall bench takeover` decides "settled" from the workers' lag gauges: the rule, on text.

A takeover measured before the standby copies are current would time a changelog replay, not
a takeover; one measured while a partition has no owner would time the start-up. Both
mistakes are in the pure functions checked here, on hand-written /metrics text.
"""

from __future__ import annotations

from recall.config import Settings
from recall.tools.bench.spread import spread
from recall.tools.bench.takeover import Holding, parse_holding, settled

SETTINGS = Settings(topic_prefix="t.", app_id="app", topic_partitions=4, table_standby_replicas=1)


def _metrics(actives: list[int], lags: dict[int, float]) -> str:
    lines = ["# HELP recall_consumer_lag Records not yet read", "recall_worker_ready 1.0"]
    lines += [
        f'recall_consumer_lag{{partition="{p}",topic="t.events.canonical"}} 0.0' for p in actives
    ]
    lines += [
        f'recall_consumer_lag{{partition="{p}",topic="app-product_to_risk-changelog"}} {lag}'
        for p, lag in lags.items()
    ]
    lines.append('recall_consumer_lag{partition="0",topic="t.risk.regional"} 5.0')
    return "\n".join(lines) + "\n"


def test_parse_holding_tells_owned_partitions_from_standby_copies() -> None:
    holding = parse_holding(_metrics([0, 1], {0: 0.0, 1: 7.0, 3: 12.0}), SETTINGS)
    assert holding.actives == {0, 1}
    assert holding.standbys == {3}
    assert holding.table_lag[3] == 12.0


def _two(a_lag: float = 0.0) -> list[Holding | None]:
    return [
        Holding(frozenset({0, 1}), {0: 0.0, 1: 0.0, 2: a_lag, 3: 0.0}),
        Holding(frozenset({2, 3}), {2: 0.0, 3: 0.0, 0: 0.0, 1: 0.0}),
    ]


def test_settled_when_every_partition_is_owned_once_and_copied_current() -> None:
    assert settled(_two(), SETTINGS)


def test_not_settled_while_a_standby_copy_is_behind() -> None:
    assert not settled(_two(a_lag=1.0), SETTINGS)


def test_not_settled_while_a_partition_has_no_owner_or_two() -> None:
    unowned = _two()
    unowned[1] = Holding(frozenset({2}), {2: 0.0, 3: 0.0, 0: 0.0, 1: 0.0})
    assert not settled(unowned, SETTINGS)
    twice = _two()
    twice[1] = Holding(frozenset({1, 2, 3}), {2: 0.0, 3: 0.0, 0: 0.0, 1: 0.0})
    assert not settled(twice, SETTINGS)


def test_not_settled_while_a_partition_lacks_its_standby_or_a_worker_does_not_answer() -> None:
    missing_copy = _two()
    missing_copy[1] = Holding(frozenset({2, 3}), {2: 0.0, 3: 0.0, 0: 0.0})
    assert not settled(missing_copy, SETTINGS)
    assert not settled([*_two()[:1], None], SETTINGS)


def test_spread_is_min_median_max() -> None:
    assert spread([3.0, 1.0, 10.0]) == spread([10.0, 3.0, 1.0])
    result = spread([3.0, 1.0, 10.0])
    assert (result.low, result.median, result.high) == (1.0, 3.0, 10.0)
