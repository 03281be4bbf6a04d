"""Batch consumers: a stateless stage on aiokafka directly, inside the Faust worker.

Faust's per-record machinery — an event object, an ack, sensors and the conductor for every
record — capped the intake at ~2,500 events/s whatever the batch did (issue 15), and its
offset bookkeeping for a topic read by several agents lost read-model rows across a kill -9
of one of three workers (alerts on the topic and committed, missing from SQL). The stateless
stages that write SQL — `validate_intake` and the three projectors — therefore read their
topic with their own `AIOKafkaConsumer` and hand whole fetched batches to a handler;
everything stateful (tables, changelogs, timers) stays in Faust.

What a batch consumer guarantees (docs/streams.md, "Batch consumers"):

- Its own consumer group (`<app id>-<stage>`): Faust's group keeps the other agents; the
  stage's offsets are committed here, explicitly, never automatically, and no other reader of
  the same topic can move them.
- Commit after the work: a batch's offsets are committed per partition only after the handler
  has returned — its SQL transaction committed and every record it produced acknowledged by
  the broker (`acks=all`). A crash anywhere before re-reads the batch; the handlers are
  idempotent (by source position, by id, newer score wins), so nothing is stored twice.
- Failures: anything escaping a batch ends the process (`streams.supervision.exit_process`,
  exit 70) before a commit, as an agent crash does, so the supervisor starts a worker that
  re-reads the batch. Transient database errors are the handler's to wait out.
- Rebalances: `on_partitions_revoked` waits for the batch in flight to finish and commit, so
  a revoked partition's batch is never processed by two workers at once.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import faust
import mode
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from recall.config import Settings
from streams.context import WorkerContext
from streams.partitioning import partition_of
from streams.supervision import exit_process

log = structlog.get_logger(__name__)
POLL_TIMEOUT_MS = 50
"""How long `getmany` waits for a fuller batch: Faust's `take_events(within=0.05)` before."""
PRODUCER_LINGER_MS = 5
PRODUCER_BATCH_BYTES = 512 << 10
"""One produce batch per partition and fetched batch (`send_all`): half the broker's default
`max.message.bytes` (1 MiB), which bounds a record batch, not a record."""
GATHER_MIN_BYTES = 256 << 10
"""A gathering stage's fetch returns once this much is there (or its wait is over)."""

Fatal = Callable[[str, BaseException], Any]
Headers = list[tuple[str, bytes]]
_consumers: weakref.WeakKeyDictionary[faust.App, list[BatchConsumer]] = weakref.WeakKeyDictionary()


class Consumer(Protocol):
    """What a stage uses of `AIOKafkaConsumer` (a fake in unit tests)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def subscribe(self, topics: list[str], listener: ConsumerRebalanceListener) -> None: ...
    async def getmany(
        self, *, timeout_ms: int, max_records: int
    ) -> Mapping[TopicPartition, list[Any]]: ...
    async def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None: ...
    def assignment(self) -> set[TopicPartition]: ...
    async def position(self, tp: TopicPartition) -> int: ...
    def highwater(self, tp: TopicPartition) -> int | None: ...


class RecordBatch(Protocol):
    """What a stage uses of aiokafka's `BatchBuilder`."""

    def append(
        self, *, timestamp: int | None, key: bytes | None, value: bytes | None
    ) -> object | None: ...


class Producer(Protocol):
    """What a stage uses of `AIOKafkaProducer`."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def partitions_for(self, topic: str) -> set[int]: ...
    def create_batch(self) -> RecordBatch: ...
    async def send_batch(
        self, batch: RecordBatch, topic: str, *, partition: int
    ) -> asyncio.Future[Any]: ...
    async def send(
        self,
        topic: str,
        value: bytes,
        *,
        key: bytes | None,
        timestamp_ms: int | None = None,
        partition: int | None = None,
        headers: Headers | None = None,
    ) -> asyncio.Future[Any]: ...


Outgoing = tuple[bytes, bytes, int | None]
"""One record for `send_all`: key, value, timestamp in milliseconds (None: the send time)."""
Handler = Callable[["BatchConsumer", Sequence[Any]], Awaitable[None]]
"""Handles one fetched batch of `ConsumerRecord`s; returns once its effects are durable."""


@dataclass(frozen=True, slots=True)
class PartitionState:
    """One assigned partition as readiness and the lag gauge see it (Kafka's offsets: next)."""

    committed: int
    """The next offset to process: everything before it is stored and delivered."""
    read: int
    """The next offset to fetch."""
    highwater: int | None


def group_of(settings: Settings, stage: str) -> str:
    """A batch stage's consumer group: not Faust's (`app_id`), whose members run the agents."""
    return f"{settings.app_id}-{stage}"


def client_options(settings: Settings) -> dict[str, Any]:
    """SASL/TLS for aiokafka, from the settings Faust's `_credentials` reads."""
    options = settings.kafka_client_options()
    cafile = options.pop("ssl_cafile", None)
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl.create_default_context(cafile=cafile)
    return options


def make_consumer(settings: Settings, group: str, gather_s: float = 0.0) -> AIOKafkaConsumer:
    """`gather_s` > 0: the broker holds each fetch until GATHER_MIN_BYTES are there or that
    time has passed, for stages where fuller batches are worth a little delay."""
    session_ms = int(settings.consumer_session_timeout_s * 1000)
    gather = (
        {"fetch_max_wait_ms": int(gather_s * 1000), "fetch_min_bytes": GATHER_MIN_BYTES}
        if gather_s > 0
        else {}
    )
    return AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        group_id=group,
        client_id=group,
        enable_auto_commit=False,  # committed by the stage, after the batch's work
        auto_offset_reset="earliest",
        session_timeout_ms=session_ms,
        heartbeat_interval_ms=max(1000, session_ms // 5),
        max_partition_fetch_bytes=4 << 20,
        **gather,
        **client_options(settings),
    )


def make_producer(settings: Settings, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=client_id,
        acks="all",
        linger_ms=PRODUCER_LINGER_MS,
        max_batch_size=PRODUCER_BATCH_BYTES,
        **client_options(settings),
    )


class _WaitForBatch(ConsumerRebalanceListener):  # type: ignore[misc]
    """Hold a rebalance until the batch in flight is stored, delivered and committed."""

    def __init__(self, stage: BatchConsumer) -> None:
        self._stage = stage

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self._stage.in_flight:
            self._stage.forget(revoked)
        log.info("partitions revoked", stage=self._stage.stage, partitions=len(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("partitions assigned", stage=self._stage.stage, partitions=len(assigned))


class BatchConsumer(mode.Service):
    """One stage: fetch a batch, hand it to `handle`, commit; until stopped."""

    def __init__(
        self,
        context: WorkerContext,
        topic: str,
        *,
        stage: str,
        handle: Handler,
        max_records: int,
        gather_s: float = 0.0,
        group: str | None = None,
        consumer: Callable[[], Consumer] | None = None,
        producer: Callable[[], Producer] | None = None,
        on_fatal: Fatal = exit_process,
        **kwargs: Any,
    ) -> None:
        self.context = context
        self.topic = topic
        self.stage = stage
        self.group = group or group_of(context.settings, stage)
        self.max_records = max_records
        self._handle = handle
        settings = context.settings
        self._make_consumer = consumer or (lambda: make_consumer(settings, self.group, gather_s))
        self._make_producer = producer or (lambda: make_producer(settings, self.group))
        self._on_fatal = on_fatal
        self.consumer: Consumer | None = None
        self.producer: Producer | None = None
        self.in_flight = asyncio.Lock()
        self._committed: dict[TopicPartition, int] = {}
        self._read: dict[TopicPartition, int] = {}
        self._task: asyncio.Task[None] | None = None
        super().__init__(**kwargs)

    async def open(self) -> None:
        """Start the clients and subscribe (the service's start; the tests call it alone)."""
        self.producer = self._make_producer()
        await self.producer.start()
        self.consumer = self._make_consumer()
        self.consumer.subscribe([self.topic], listener=_WaitForBatch(self))
        await self.consumer.start()

    async def close(self) -> None:
        """Stop the clients without committing: a batch not committed is re-read."""
        if self.consumer is not None:
            await self.consumer.stop()
        if self.producer is not None:
            await self.producer.stop()

    async def on_started(self) -> None:
        self._task = asyncio.ensure_future(self.run())

    async def on_stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.close()

    async def run(self) -> None:
        """Poll until cancelled; anything escaping ends the process before a commit."""
        try:
            await self.open()
            log.info("batch consumer started", stage=self.stage, group=self.group)
            while True:
                await self.poll_once()
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            self._on_fatal(f"agent {self.stage} crashed", error)

    async def poll_once(self) -> int:
        """One batch: fetch, handle, then commit. Returns the records handled."""
        consumer = self.consumer
        assert consumer is not None, "open() first"
        async with self.in_flight:
            for tp in consumer.assignment() - self._committed.keys():  # newly assigned
                self._committed[tp] = self._read[tp] = await consumer.position(tp)
            batches = await consumer.getmany(
                timeout_ms=POLL_TIMEOUT_MS, max_records=self.max_records
            )
            records = [record for records in batches.values() for record in records]
            if not records:
                return 0
            for tp, fetched in batches.items():
                if fetched:
                    self._read[tp] = fetched[-1].offset + 1
            started = time.perf_counter()
            await self._handle(self, records)
            offsets = {
                tp: OffsetAndMetadata(rs[-1].offset + 1, "") for tp, rs in batches.items() if rs
            }
            await consumer.commit(offsets)
            for tp, done in offsets.items():
                self._committed[tp] = done.offset
            elapsed = time.perf_counter() - started
            self.context.metrics.batch_seconds.labels(self.stage).observe(elapsed)
            return len(records)

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        timestamp_ms: int | None = None,
        partition: int | None = None,
        headers: Headers | None = None,
    ) -> asyncio.Future[Any]:
        """Queue one record on the stage's producer; returns its delivery future."""
        assert self.producer is not None, "open() first"
        return await self.producer.send(
            topic, value, key=key, timestamp_ms=timestamp_ms, partition=partition, headers=headers
        )

    async def send_all(self, topic: str, records: Sequence[Outgoing]) -> list[asyncio.Future[Any]]:
        """`send_all` on the stage's producer."""
        assert self.producer is not None, "open() first"
        return await send_all(self.producer, topic, records)

    def forget(self, revoked: set[TopicPartition]) -> None:
        for tp in revoked:
            self._committed.pop(tp, None)
            self._read.pop(tp, None)

    def progress(self) -> dict[tuple[str, int], PartitionState]:
        """Each assigned partition's committed and read offsets and high-water mark.

        Partitions assigned but not yet positioned (the first poll after a rebalance reads
        their committed offsets) are left out until then, as Faust leaves out a partition
        whose high-water mark it has not fetched yet.
        """
        consumer = self.consumer
        if consumer is None:
            return {}
        states: dict[tuple[str, int], PartitionState] = {}
        for tp in consumer.assignment():
            committed = self._committed.get(tp)
            if committed is not None:
                read = self._read.get(tp, committed)
                states[(tp.topic, tp.partition)] = PartitionState(
                    committed, read, consumer.highwater(tp)
                )
        return states


async def send_all(
    producer: Producer, topic: str, records: Sequence[Outgoing]
) -> list[asyncio.Future[Any]]:
    """Queue `records` as whole record batches, one per partition (more if one fills up).

    `send` costs ~25 µs of Python a record (a future, the partitioner, the accumulator);
    appending to aiokafka's batch builder is C. A record lands on the partition `send`
    would pick (Kafka's default partitioner of its key, `streams.partitioning`), so keyed
    consumers downstream see each key on one partition as before; order within a
    partition is kept. Returns the batches' deliveries.
    """
    partitions = len(await producer.partitions_for(topic))
    open_batches: dict[int, RecordBatch] = {}
    deliveries: list[asyncio.Future[Any]] = []
    for key, value, timestamp_ms in records:
        partition = partition_of(key, partitions)
        batch = open_batches.get(partition)
        if batch is not None:
            if batch.append(timestamp=timestamp_ms, key=key, value=value) is not None:
                continue
            deliveries.append(await producer.send_batch(batch, topic, partition=partition))
        batch = open_batches[partition] = producer.create_batch()  # the first, or the next
        if batch.append(timestamp=timestamp_ms, key=key, value=value) is None:
            raise ValueError(f"a record of {len(value)} bytes exceeds a whole batch")
    for partition, batch in open_batches.items():
        deliveries.append(await producer.send_batch(batch, topic, partition=partition))
    return deliveries


def attach(app: faust.App, stage: BatchConsumer) -> BatchConsumer:
    """Start and stop `stage` with `app` (before table recovery) and count it for readiness."""
    app.add_dependency(stage)
    _consumers.setdefault(app, []).append(stage)
    return stage


def batch_consumers(app: faust.App) -> list[BatchConsumer]:
    """The batch consumers attached to `app`: their partitions count for lag and readiness."""
    return list(_consumers.get(app, ()))
