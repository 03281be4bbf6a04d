"""`persist_events` and `persist_dead_letters`: batches into the system of record, idempotently."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import faust
import orjson
import structlog

from recall.service.records import dead_letter_row, event_row
from streams.context import WorkerContext, with_retry

log = structlog.get_logger(__name__)


def register(
    app: faust.App,
    context: WorkerContext,
    canonical_topic: faust.TopicT,
    deadletter_topic: faust.TopicT,
) -> None:
    settings = context.settings
    metrics = context.metrics
    size, within = settings.persist_batch_size, settings.persist_batch_seconds

    @app.agent(canonical_topic, name="persist_events")
    async def persist_events(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for batch in stream.take_events(size, within=within):
            started = time.perf_counter()
            rows, unreadable = _rows(batch, event_row)
            await _dead_letter_unreadable(app, context, unreadable)
            outcome = await with_retry(
                lambda: asyncio.to_thread(context.store.store_events, rows),
                what="events",
                on_failure=metrics.db_failures.labels("events").inc,
            )
            metrics.persisted.labels("events").inc(outcome.inserted)
            metrics.duplicates.inc(outcome.duplicates)
            metrics.redelivered.inc(outcome.redelivered)
            _observe_latency(context, batch, "persisted")
            metrics.batch_seconds.labels("persist_events").observe(time.perf_counter() - started)
            yield None

    @app.agent(deadletter_topic, name="persist_dead_letters")
    async def persist_dead_letters(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for batch in stream.take_events(size, within=within):
            rows, unreadable = _rows(batch, dead_letter_row)
            if unreadable:
                log.error("unreadable dead letters kept on the topic only", count=len(unreadable))
            stored = await with_retry(
                lambda: asyncio.to_thread(context.store.store_dead_letters, rows),
                what="dead_letters",
                on_failure=metrics.db_failures.labels("dead_letters").inc,
            )
            metrics.persisted.labels("dead_letters").inc(stored)
            yield None


def _rows(batch: Sequence[Any], parse: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    rows: list[dict[str, Any]] = []
    unreadable: list[Any] = []
    for event in batch:
        row = parse(event.message.value or b"")
        if row is None:
            unreadable.append(event.message)
        else:
            rows.append(row)
    return rows, unreadable


async def _dead_letter_unreadable(
    app: faust.App, context: WorkerContext, messages: list[Any]
) -> None:
    """A record on events.canonical that is not a canonical event: keep it, with the reason."""
    for message in messages:
        letter = {
            "reason": "schema",
            "errors": [{"field": "", "message": "not a canonical event record"}],
            "reporter_id": None,
            "received_at": datetime.now(UTC),
            "source": {
                "topic": message.topic,
                "partition": message.partition,
                "offset": message.offset,
            },
            "original_b64": base64.b64encode(message.value or b"").decode("ascii"),
        }
        await app.producer.send(
            context.topics.deadletter, b"", orjson.dumps(letter), None, None, None
        )


def _observe_latency(context: WorkerContext, batch: Sequence[Any], stage: str) -> None:
    now = time.time()
    histogram = context.metrics.latency.labels(stage)
    for event in batch:
        timestamp = event.message.timestamp
        if timestamp:
            histogram.observe(max(0.0, now - timestamp))
