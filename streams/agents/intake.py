"""`validate_intake`: raw station bytes → stored events + canonical topic, or dead letters.

One batch is one database transaction: accepted events (idempotent by event id), duplicates
and dead letters (idempotent by source position) are stored together, then the canonical and
dead-letter records are produced, and only then is the batch acknowledged. Storing here rather
than in a second agent saves a full consume of every event, and means a resent event never
reaches the risk agents.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import faust
import orjson
import structlog

from recall.service.intake import Accepted, RawRecord, Rejected, process_record
from recall.service.intake_batch import store_batch
from schemas import RejectReason
from streams.context import WorkerContext, with_retry
from streams.faust_types import Stream

log = structlog.get_logger(__name__)
INTAKE_BATCH = 2000
INTAKE_WITHIN_S = 0.05


def headers_of(raw: Any) -> list[tuple[str, bytes]]:
    """aiokafka hands headers as a sequence of pairs, other drivers as a mapping."""
    if not raw:
        return []
    items: Iterable[tuple[Any, Any]] = raw.items() if isinstance(raw, Mapping) else raw
    return [(str(k), bytes(v) if v is not None else b"") for k, v in items]


def to_raw_record(message: Any) -> RawRecord:
    return RawRecord(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        headers=headers_of(message.headers),
    )


def register(app: faust.App, context: WorkerContext, raw_topic: faust.TopicT) -> None:
    metrics = context.metrics

    @app.agent(raw_topic, name="validate_intake")
    async def validate_intake(stream: Stream) -> AsyncIterator[None]:
        async for batch in stream.take_events(INTAKE_BATCH, within=INTAKE_WITHIN_S):
            started = time.perf_counter()
            await _handle_batch(app, context, [event.message for event in batch])
            metrics.received.inc(len(batch))
            metrics.batch_seconds.labels("validate_intake").observe(time.perf_counter() - started)
            yield None


async def _handle_batch(app: faust.App, context: WorkerContext, messages: Sequence[Any]) -> None:
    now = datetime.now(UTC)
    records = [(m, to_raw_record(m)) for m in messages]
    outcomes = [(m, r, _outcome(context, r, now)) for m, r in records]
    accepted = [(r, o) for _, r, o in outcomes if isinstance(o, Accepted)]
    rejected = [o for _, _, o in outcomes if isinstance(o, Rejected)]
    result = await with_retry(
        lambda: asyncio.to_thread(
            store_batch, context.store, accepted, rejected, context.reporters, now
        ),
        what="intake",
        on_failure=context.metrics.db_failures.labels("intake").inc,
    )
    timestamps = {(m.topic, m.partition, m.offset): m.timestamp for m in messages}
    deliveries = []
    for record, outcome in result.accepted:
        position = (record.topic, record.partition, record.offset)
        if position in result.stored.forward:
            deliveries.append(
                await app.producer.send(
                    context.topics.canonical,
                    outcome.partition_key.encode(),
                    outcome.canonical,
                    None,
                    timestamps[position],
                    None,
                )
            )
    for letter in result.rejected:
        deliveries.append(
            await app.producer.send(
                context.topics.deadletter,
                (letter.reporter_id or "").encode(),
                letter.dead_letter,
                None,
                None,
                None,
            )
        )
    await asyncio.gather(*deliveries)
    _count(context, result.accepted, result.rejected, result.stored, timestamps)


def _outcome(context: WorkerContext, record: RawRecord, now: datetime) -> Accepted | Rejected:
    try:
        return process_record(record, context.reporters, context.key_for, now)
    except Exception:  # a bug must not lose the record: dead-letter it and keep going
        log.exception(
            "intake failed unexpectedly", partition=record.partition, offset=record.offset
        )
        return _internal_error(record, now)


def _count(
    context: WorkerContext,
    accepted: list[tuple[RawRecord, Accepted]],
    rejected: list[Rejected],
    stored: Any,
    timestamps: dict[tuple[str, int, int], float | None],
) -> None:
    metrics = context.metrics
    for _, outcome in accepted:
        metrics.accepted.labels(outcome.event_type).inc()
    for letter in rejected:
        metrics.rejected.labels(letter.reason.value).inc()
    metrics.persisted.labels("events").inc(stored.inserted)
    metrics.persisted.labels("dead_letters").inc(stored.dead_letters)
    metrics.duplicates.inc(stored.duplicates)
    metrics.redelivered.inc(stored.redelivered)
    now = time.time()
    histogram = metrics.latency.labels("persisted")
    for record, _ in accepted:
        sent = timestamps.get((record.topic, record.partition, record.offset))
        if sent:
            histogram.observe(max(0.0, now - sent))


def _reporter(key: bytes | None) -> str:
    return key.decode("utf-8", "replace") if key else ""


def _internal_error(record: RawRecord, now: datetime) -> Rejected:
    letter = {
        "reason": RejectReason.SCHEMA.value,
        "errors": [{"field": "", "message": "internal error while validating; kept for replay"}],
        "reporter_id": _reporter(record.key) or None,
        "received_at": now,
        "source": {"topic": record.topic, "partition": record.partition, "offset": record.offset},
        "original_b64": base64.b64encode(record.value or b"").decode("ascii"),
    }
    return Rejected(orjson.dumps(letter), RejectReason.SCHEMA, _reporter(record.key) or None)
