"""Faust's livelock detector skips a partition whose position aiokafka does not know yet
(`streams.faust_seek.verify_event_path`).

Faust reads `position` expecting `None` for an unknown one; aiokafka 0.14 asserts instead. A
partition just sought to its beginning has no position until the fetcher resets it, and a
detector tick then crashed the worker (a three-worker fresh-clone run). The subscription here
is aiokafka's own, assigned as the consumer assigns it; only the chain from Faust's consumer
thread down to it is a stand-in.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.consumer.subscription_state import SubscriptionState
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.types import TP

from streams import faust_seek
from streams.faust_seek import install, position_known

SOURCE = TP("events.canonical", 3)


class Thread:
    """What the detector reaches through on Faust's consumer thread."""

    def __init__(self, subscriptions: SubscriptionState) -> None:
        self.consumer = SimpleNamespace(_fetcher=SimpleNamespace(_subscriptions=subscriptions))

    def _ensure_consumer(self) -> Any:
        return self.consumer


def _assigned() -> SubscriptionState:
    state = SubscriptionState()
    state.assign_from_user([TopicPartition(SOURCE.topic, SOURCE.partition)])
    return state


def test_a_partition_without_a_position_is_skipped_not_a_crash() -> None:
    async def scenario() -> None:
        install()
        subscriptions = _assigned()  # assigned, position not reset yet
        thread = Thread(subscriptions)
        assert not position_known(thread, SOURCE)
        AIOKafkaConsumerThread.verify_event_path(thread, 0.0, SOURCE)  # type: ignore[arg-type]
        state = subscriptions.subscription.assignment.state_value(
            TopicPartition(SOURCE.topic, SOURCE.partition)
        )
        with pytest.raises(AssertionError):  # what Faust's own method runs into
            _ = state.position

    asyncio.run(scenario())


def test_a_partition_with_a_position_is_checked_as_faust_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked: list[tuple[float, Any]] = []
    monkeypatch.setattr(
        faust_seek,
        "_verify_event_path_as_faust_does",
        lambda _t, now, tp: checked.append((now, tp)),
    )

    async def scenario() -> None:
        install()
        subscriptions = _assigned()
        subscriptions.seek(TopicPartition(SOURCE.topic, SOURCE.partition), 17)
        thread = Thread(subscriptions)
        assert position_known(thread, SOURCE)
        AIOKafkaConsumerThread.verify_event_path(thread, 5.0, SOURCE)  # type: ignore[arg-type]

    asyncio.run(scenario())
    assert checked == [(5.0, SOURCE)]


def test_no_assignment_at_all_is_no_position() -> None:
    """In the middle of a rebalance aiokafka has no subscription to ask."""
    thread = Thread(SimpleNamespace(subscription=None))
    assert not position_known(thread, SOURCE)
