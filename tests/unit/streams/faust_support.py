"""Agents as Faust runs them, in memory: `agent.test_context()`, no broker, no database server.

Each agent is registered by its own module's `register` on a Faust app configured like the
worker's (raw keys and values, tables in the `memory://` store); records are put on the agent's
in-memory channel, and the app's producer is a `FakeProducer` that keeps the records and the
tables' changelog writes. faust-streaming has no `memory://` transport, so the broker URL
names a closed port: nothing here may reach it, and nothing does. Each test is one
`asyncio.run`, with the app built inside it (Faust binds an app to the running loop).

Stages that write through the services get a `WorkerContext` whose `storage` is the one given
(the in-memory `MemoryStorage` in unit tests) instead of SQL over its sessions. A timer is run
one tick at a time through `Harness.timer`: the very function Faust would call every interval,
supervision included, with the supervision's clock in the test's hands (`ManualClock`) so a
backoff needs no sleep.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import faust
from faust.types.transports import ProducerT
from sqlalchemy.orm import Session, sessionmaker

from recall.config import Settings
from recall.service.ports import Storage
from schemas import DeadLetter
from schemas.topics import TopicSpec
from streams.context import WorkerContext
from streams.metrics import WorkerMetrics
from streams.supervision import supervision_of
from tests.support.fakes.risk_agents import FakeProducer
from tests.support.memory_storage import TransientStorageError

PARTITIONS = 3
App = faust.App  # resolved now: Faust imports itself lazily, ~1 s the first test would pay
Headers = list[tuple[str, bytes]]
Records = Sequence[tuple[bytes | None, bytes, int] | tuple[bytes | None, bytes, int, Headers]]
"""(key, value, partition[, headers]) of each record to put, in order."""


class DatabaseAwayError(TransientStorageError, ConnectionError):
    """A database outage, transient for both judges of it: the storage's `is_transient` (what
    the intake's `store_batch` asks) and the worker's `with_retry`, which classifies errors as
    `recall.adapters.db.errors` does. In production both are SQL's; `MemoryStorage` knows only
    `TransientStorageError`, the SQL classification only connection errors."""


class ManualClock:
    """A monotonic clock that moves only when told: timer backoff without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Harness:
    app: faust.App
    context: WorkerContext
    producer: FakeProducer
    clock: ManualClock

    def agent(self, name: str) -> Any:
        return self.app.agents[name]

    def table(self, name: str) -> dict[bytes, bytes]:
        table = self.app.tables[name]  # typed as any collection; the stages register Tables
        assert isinstance(table, faust.Table)
        return dict(table.items())

    def timer(self, name: str) -> Callable[[], Awaitable[None]]:
        """One supervised tick of the timer registered as `name` (what Faust runs each interval).

        Faust wraps the tick twice (its timer loop, its task); the tick is found by unwrapping.
        """
        for task in self.app._app_tasks:
            tick = inspect.unwrap(task)
            if tick.__name__ == name:
                return cast(Callable[[], Awaitable[None]], tick)
        raise LookupError(f"no timer {name!r} registered")

    def dead_letters(self) -> list[DeadLetter]:
        """What went to `intake.deadletter`, read as the contract's `DeadLetter`."""
        sent = self.producer.raw(self.context.topics.deadletter)
        return [DeadLetter.model_validate_json(value) for value in sent]

    def metric(self, name: str, **labels: str) -> float:
        value = self.context.metrics.registry.get_sample_value(name, labels)
        return value or 0.0


def worker_context(
    settings: Settings,
    *,
    storage: Storage | None = None,
    sessions: sessionmaker[Session] | None = None,
) -> WorkerContext:
    """The context a worker builds, minus what a stage under test does not touch."""
    context = WorkerContext(
        settings=settings,
        store=cast(Any, None),  # the registry store is read by the registry refresh only
        metrics=WorkerMetrics(),
        sessions=cast(Any, sessions),
    )
    if storage is not None:
        context.storage = storage
    return context


def harness(
    tmp_path: Path,
    spec: TopicSpec,
    stage: Any,
    *,
    fail_at: int | None = None,
    agents: str = "risk",
    storage: Storage | None = None,
    sessions: sessionmaker[Session] | None = None,
) -> Harness:
    """An app with `stage.register(app, context, <the topic of spec>)` done, producing into memory.

    `fail_at` makes the producer's send with that index raise `ConnectionError` once.
    """
    settings = Settings(
        table_store="memory", agents=agents, state_dir=tmp_path, topic_partitions=PARTITIONS
    )
    context = worker_context(settings, storage=storage, sessions=sessions)
    app = App(
        f"{agents}-agents-test",
        broker="kafka://127.0.0.1:9",  # never contacted: test_context feeds a channel
        store="memory://",
        key_serializer="raw",
        value_serializer="raw",
        web_enabled=False,
        topic_partitions=PARTITIONS,
        datadir=str(tmp_path / "faust"),
    )
    topic = app.topic(
        settings.topic_name(spec.name),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        internal=False,
    )
    clock = ManualClock()
    supervision_of(context).clock = clock
    stage.register(app, context, topic)
    producer = FakeProducer(fail_at=fail_at)
    # A fake: it has what the agents and the tables call (`send`, `send_soon`), no broker.
    app.producer = cast(ProducerT, producer)
    return Harness(app, context, producer, clock)


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


async def put_all(agent: Any, records: Records, *, first_offset: int = 0) -> None:
    """Put every record, then wait for the batch that holds the last one.

    A record is (key, value, partition), or (key, value, partition, headers). Offsets count
    from `first_offset` (Faust's test channel starts every `test_context` at 0): a later put
    on the same partition continues it, the same offsets again are a redelivery.
    """
    async with agent.test_context() as running:
        running.sent_offset = first_offset
        for index, (key, value, partition, *headers) in enumerate(records):
            last = index == len(records) - 1
            await running.put(
                value,
                key=key,
                partition=partition,
                headers=headers[0] if headers else None,
                wait=last,
            )
