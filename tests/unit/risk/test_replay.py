"""`recall.service.risk.replay` over in-memory ports: it reaches what the live `assess_risk`
agent reached from the same events, and writes only scores, only changed ones, only once."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from recall.service.risk.replay import (
    ReplayedScore,
    ReplayRules,
    ReplayWindow,
    SignalOutcome,
    StoredEvent,
    StoredScore,
    replay,
)
from tests.support.replay_history import PRODUCTS, history, live_run

STARTED = datetime(2026, 1, 1, tzinfo=UTC)
BATCH = 25
RULES = ReplayRules(max_age_days=730)  # as `recording_ports`


class MemorySource:
    def __init__(self, events: list[StoredEvent]) -> None:
        self.events = events

    def count(self, window: ReplayWindow) -> int:
        return len(self.events)

    def pages(self, window: ReplayWindow, size: int) -> Iterator[Sequence[StoredEvent]]:
        for start in range(0, len(self.events), size):
            yield self.events[start : start + size]


class MemoryTarget:
    """The read model's scores and signals, in memory; `write_scores` is newer-wins."""

    def __init__(self, signals: Mapping[str, str] | None = None) -> None:
        self.scores: dict[str, ReplayedScore] = {}
        self.signals = dict(signals or {})
        self.writes = 0

    def stored_scores(self, product_keys: Collection[str]) -> Mapping[str, StoredScore]:
        return {
            k: StoredScore(
                s.record.score, s.record.risk_level.value if s.record.risk_level else None
            )
            for k, s in self.scores.items()
            if k in product_keys
        }

    def stored_signals(self, product_keys: Collection[str]) -> Mapping[str, str]:
        return {i: k for i, k in self.signals.items() if k in product_keys}

    def write_scores(self, scores: Sequence[ReplayedScore]) -> int:
        self.writes += 1
        for score in scores:
            self.scores[score.record.product_key] = score
        return len(scores)


def _live(batch: int) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The live agent's code over the same history: its last score per product, its signals."""
    return live_run(history(), batch)


def _replay(target: MemoryTarget, **options: Any) -> tuple[Any, list[SignalOutcome]]:
    outcomes: list[SignalOutcome] = []
    summary = replay(
        MemorySource([s.event for s in history()]),
        target,
        RULES,
        started_at=STARTED,
        batch=BATCH,
        report=outcomes.append,
        **options,
    )
    return summary, outcomes


def test_replay_reaches_the_live_agents_scores_and_signals() -> None:
    live_scores, live_signals = _live(BATCH)
    target = MemoryTarget()
    summary, outcomes = _replay(target)

    assert set(target.scores) == set(live_scores) == set(PRODUCTS)
    for key, live in live_scores.items():
        replayed = target.scores[key].record.model_dump(mode="json")
        assert replayed["updated_at"] != live["updated_at"]  # stamped with the replay's start
        assert {k: v for k, v in replayed.items() if k != "updated_at"} == {
            k: v for k, v in live.items() if k != "updated_at"
        }
    raised = {o.signal_id: o.record.model_dump(mode="json") for o in outcomes if o.record}
    assert raised == live_signals  # the same records, raised_at included
    assert {s["method"] for s in live_signals.values()} >= {
        "fatal_case",
        "severe_cluster",
        "sampling_failure",
    }
    assert summary.signals_now == summary.signals_new == len(live_signals)
    assert summary.events == len(history()) and summary.products == len(PRODUCTS)
    assert summary.set_aside >= 1  # the report that came nine days late


def test_replay_in_other_batch_sizes_matches_the_live_agent_in_those_sizes() -> None:
    """Batching is part of the rules (a day is judged once per batch): equal sizes, equal."""
    live_scores, live_signals = _live(1000)
    target = MemoryTarget()
    summary = replay(MemorySource([s.event for s in history()]), target, RULES, started_at=STARTED)
    assert {k: s.record.score for k, s in target.scores.items()} == {
        k: s["score"] for k, s in live_scores.items()
    }
    assert summary.signals_now == len(live_signals)


def test_second_run_writes_nothing_and_a_dry_run_writes_nothing() -> None:
    target = MemoryTarget()
    first, _ = _replay(target)
    assert first.scores_written == first.scores_changed == len(PRODUCTS)
    second, _ = _replay(target)
    assert second.scores_changed == second.scores_written == 0
    assert target.writes == 1

    dry = MemoryTarget()
    summary, _ = _replay(dry, dry_run=True)
    assert summary.scores_changed == len(PRODUCTS) and summary.scores_written == 0
    assert dry.scores == {} and dry.writes == 0


def test_stored_signals_are_told_apart_from_new_and_gone_ones() -> None:
    _, live_signals = _live(BATCH)
    kept = next(iter(live_signals))
    target = MemoryTarget({kept: live_signals[kept]["product_key"], "old-rule": PRODUCTS[0]})
    summary, outcomes = _replay(target)
    status = {o.signal_id: o.status for o in outcomes}
    assert status[kept] == "stored" and status["old-rule"] == "gone"
    assert summary.signals_gone == 1 and summary.signals_new == len(live_signals) - 1
    assert summary.signals_stored == 2


def test_progress_counts_every_event_and_a_category_narrows_the_products() -> None:
    done: list[int] = []
    target = MemoryTarget()
    summary = replay(
        MemorySource([s.event for s in history()]),
        target,
        RULES,
        started_at=STARTED,
        window=ReplayWindow(category="appliances"),
        batch=BATCH,
        progress=done.append,
    )
    assert sum(done) == summary.events == len(history()) and len(done) > 1
    assert set(target.scores) == {"unknown/acme/fan-1"}


def test_an_unreadable_event_is_counted_and_the_rest_replayed() -> None:
    events = [s.event for s in history()]
    broken = events[3]
    events[3] = StoredEvent(
        broken.event_id,
        broken.type,
        broken.jurisdiction,
        broken.product_key,
        {**broken.payload, "age_years": "4"},  # a string: the live agent dead-lettered it
        broken.received_at,
    )
    target = MemoryTarget()
    summary = replay(MemorySource(events), target, RULES, started_at=STARTED, batch=BATCH)
    assert summary.unreadable == 1
    assert set(target.scores) == set(PRODUCTS)


@pytest.mark.parametrize("record", [history()[0]])
def test_the_canonical_record_the_parser_reads_is_the_intakes(record: Any) -> None:
    from recall.service.risk.replay import canonical_record

    rebuilt = canonical_record(record.event)
    original = orjson.loads(orjson.dumps(record.canonical))
    assert rebuilt["product_key"] == original["product_key"]
    assert rebuilt["received_at"] == original["received_at"]
    for field in ("event_id", "type", "jurisdiction", "payload"):
        assert rebuilt["event"][field] == original["event"][field]
