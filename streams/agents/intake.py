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
from recall.service.records import dead_letter_row, event_row
from schemas import RejectReason
from streams.context import WorkerContext, with_retry

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
    async def validate_intake(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for batch in stream.take_events(INTAKE_BATCH, within=INTAKE_WITHIN_S):
            started = time.perf_counter()
            await _handle_batch(app, context, [event.message for event in batch])
            metrics.received.inc(len(batch))
            metrics.batch_seconds.labels("validate_intake").observe(time.perf_counter() - started)
            yield None


async def _handle_batch(app: faust.App, context: WorkerContext, messages: Sequence[Any]) -> None:
    now = datetime.now(UTC)
    outcomes = [(m, _outcome(context, to_raw_record(m), now)) for m in messages]
    accepted = [(m, o) for m, o in outcomes if isinstance(o, Accepted)]
    rejected = [o for _, o in outcomes if isinstance(o, Rejected)]
    event_rows = [row for _, o in accepted if (row := event_row(o.canonical)) is not None]
    letter_rows = [row for o in rejected if (row := dead_letter_row(o.dead_letter)) is not None]
    stored = await with_retry(
        lambda: asyncio.to_thread(context.store.store_intake, event_rows, letter_rows),
        what="intake",
        on_failure=context.metrics.db_failures.labels("intake").inc,
    )
    deliveries = [
        await app.producer.send(
            context.topics.canonical, _canonical_key(m, o), o.canonical, None, m.timestamp, None
        )
        for m, o in accepted
        if (m.topic, m.partition, m.offset) in stored.forward
    ]
    deliveries += [
        await app.producer.send(
            context.topics.deadletter,
            (o.reporter_id or "").encode(),
            o.dead_letter,
            None,
            None,
            None,
        )
        for o in rejected
    ]
    await asyncio.gather(*deliveries)
    _count(context, accepted, rejected, stored)


def _outcome(context: WorkerContext, record: RawRecord, now: datetime) -> Accepted | Rejected:
    try:
        return process_record(record, context.reporters, context.key_for, now)
    except Exception:  # a bug must not lose the record: dead-letter it and keep going
        log.exception(
            "intake failed unexpectedly", partition=record.partition, offset=record.offset
        )
        return _internal_error(record, now)


def _canonical_key(message: Any, outcome: Accepted) -> bytes:
    return (outcome.product_key or _reporter(message.key)).encode()


def _count(
    context: WorkerContext,
    accepted: list[tuple[Any, Accepted]],
    rejected: list[Rejected],
    stored: Any,
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
    for message, _ in accepted:
        if message.timestamp:
            histogram.observe(max(0.0, now - message.timestamp))


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
