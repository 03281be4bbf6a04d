"""`validate_intake`: raw station bytes → canonical events or dead letters."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import faust
import orjson
import structlog

from recall.service.intake import Accepted, RawRecord, Rejected, process_record
from schemas import RejectReason
from streams.context import WorkerContext

log = structlog.get_logger(__name__)
INTAKE_BATCH = 1000
INTAKE_WITHIN_S = 0.02


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
            deliveries = [await _route(app, context, event.message) for event in batch]
            await asyncio.gather(*deliveries)
            metrics.received.inc(len(batch))
            metrics.batch_seconds.labels("validate_intake").observe(time.perf_counter() - started)
            yield None


async def _route(app: faust.App, context: WorkerContext, message: Any) -> Awaitable[Any]:
    record = to_raw_record(message)
    try:
        outcome = process_record(record, context.reporters, context.key_for, datetime.now(UTC))
    except Exception:  # a bug must not lose the record: dead-letter it and keep going
        log.exception(
            "intake failed unexpectedly", partition=record.partition, offset=record.offset
        )
        outcome = _internal_error(record)
    if isinstance(outcome, Accepted):
        context.metrics.accepted.labels(outcome.event_type).inc()
        key = (outcome.product_key or _reporter(record)).encode()
        # Keep the station's send time as the record timestamp: latency is measured from it.
        return await app.producer.send(
            context.topics.canonical, key, outcome.canonical, None, message.timestamp, None
        )
    context.metrics.rejected.labels(outcome.reason.value).inc()
    key_bytes = (outcome.reporter_id or "").encode()
    return await app.producer.send(
        context.topics.deadletter, key_bytes, outcome.dead_letter, None, None, None
    )


def _reporter(record: RawRecord) -> str:
    return record.key.decode("utf-8", "replace") if record.key else ""


def _internal_error(record: RawRecord) -> Rejected:
    letter = {
        "reason": RejectReason.SCHEMA.value,
        "errors": [{"field": "", "message": "internal error while validating; kept for replay"}],
        "reporter_id": _reporter(record) or None,
        "received_at": datetime.now(UTC),
        "source": {"topic": record.topic, "partition": record.partition, "offset": record.offset},
        "original_b64": base64.b64encode(record.value or b"").decode("ascii"),
    }
    return Rejected(orjson.dumps(letter), RejectReason.SCHEMA, _reporter(record) or None)
