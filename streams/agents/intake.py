"""`validate_intake`: raw station bytes → stored events + canonical topic, or dead letters.

One batch is one database transaction: accepted events (idempotent by reporter and event id),
duplicates and dead letters (idempotent by source position) are stored together, then the
canonical and dead-letter records are produced, and only then is the batch acknowledged. A
transient database error stalls the batch (retried); a record the database refuses is isolated
and dead-lettered by `store_batch`; anything else escaping is a bug, and the supervisor ends
the process rather than acknowledge a batch it did not account for. Storing here rather
than in a second agent saves a full consume of every event, and means a resent event never
reaches the risk agents.

This module is the batch itself, free of any consumer: `streams.intake_consumer` runs it on
batches it reads from `intake.raw` with aiokafka directly (not a Faust agent: Faust's
per-record machinery capped the stage at ~2,500 events/s; docs/streams.md, "The intake batch
consumer") and commits their offsets once `handle_batch` has returned.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog

from recall.service.intake.admission import RawRecord, process_record
from recall.service.intake.batch import BatchResult, store_batch
from streams.context import WorkerContext, with_retry

log = structlog.get_logger(__name__)
STAGE = "validate_intake"
"""The stage's one name: metrics labels, logs, dead letters' `stage`, docs."""
INTAKE_BATCH = 2000

SendAll = Callable[[str, Sequence[tuple[bytes, bytes, int | None]]], Awaitable[list[Any]]]
"""(topic, [(key, value, timestamp in ms)]) → the deliveries: queued once awaited, delivered
once every returned future resolves (`BatchConsumer.send_all`)."""


def headers_of(raw: Any) -> list[tuple[str, bytes]]:
    """aiokafka hands headers as a sequence of pairs, other drivers as a mapping."""
    if not raw:
        return []
    items: Iterable[tuple[Any, Any]] = raw.items() if isinstance(raw, Mapping) else raw
    return [(str(k), bytes(v) if isinstance(v, bytes | bytearray) else b"") for k, v in items]


def to_raw_record(message: Any) -> RawRecord:
    return RawRecord(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        headers=headers_of(message.headers),
    )


async def handle_batch(send_all: SendAll, context: WorkerContext, messages: Sequence[Any]) -> None:
    """Store, then produce, one batch of aiokafka `ConsumerRecord`s; return once delivered.

    A record's `timestamp` is the station's send time in milliseconds (aiokafka's unit): the
    canonical record carries it unchanged, as the risk agents measure latency from it.
    """
    now = datetime.now(UTC)
    rules = context.rules
    items = [
        (record, process_record(record, rules, now)) for record in map(to_raw_record, messages)
    ]
    result = await with_retry(
        lambda: asyncio.to_thread(store_batch, context.storage, items, context.reporters, now),
        what="intake",
        on_failure=context.metrics.db_failures.labels("intake").inc,
        is_transient=context.storage.is_transient,
    )
    timestamps: dict[tuple[str, int, int], int | None] = {
        (m.topic, m.partition, m.offset): m.timestamp for m in messages
    }
    forward = [
        (outcome.partition_key.encode(), outcome.canonical, timestamps[record.position])
        for record, outcome in result.forward
    ]
    letters = [
        ((letter.reporter_id or "").encode(), letter.dead_letter, None) for letter in result.letters
    ]
    deliveries = await send_all(context.topics.canonical, forward) if forward else []
    if letters:
        deliveries += await send_all(context.topics.deadletter, letters)
    await asyncio.gather(*deliveries)
    _count(context, result, timestamps)


def _count(
    context: WorkerContext,
    result: BatchResult,
    timestamps: dict[tuple[str, int, int], int | None],
) -> None:
    """Counters once per label and batch: `labels()` takes a lock and a dict lookup, and per
    record it was ~3% of the stage's CPU (py-spy, `recall bench intake`)."""
    metrics = context.metrics
    for event_type, n in Counter(outcome.event_type for _, outcome in result.accepted).items():
        metrics.accepted.labels(event_type).inc(n)
    for reason, n in Counter(letter.reason.value for letter in result.letters).items():
        metrics.rejected.labels(reason).inc(n)
    for name, n in Counter(result.outcomes.values()).items():
        metrics.intake_outcomes.labels(name).inc(n)
    metrics.persisted.labels("events").inc(result.inserted)
    metrics.persisted.labels("dead_letters").inc(result.dead_letters)
    metrics.duplicates.inc(result.duplicates)
    metrics.redelivered.inc(result.redelivered)
    metrics.records_isolated.labels(STAGE).inc(result.isolated)
    now_ms = time.time() * 1000.0
    histogram = metrics.latency.labels("persisted")
    for record, _ in result.accepted:
        sent = timestamps.get(record.position)
        if sent:
            histogram.observe(max(0.0, (now_ms - sent) / 1000.0))
