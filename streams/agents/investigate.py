"""`open_investigations` (signals → investigations in SQL) and `publish_outbox` (SQL → topics)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import faust
import orjson
import structlog

from recall.adapters.db import outbox
from recall.service.investigations import Topics, handle_signals
from streams.context import WorkerContext, with_retry
from streams.faust_types import Stream, timer

log = structlog.get_logger(__name__)


def register(app: faust.App, context: WorkerContext, signals: faust.TopicT) -> None:
    topics = Topics(investigations=context.topics.investigations, alerts=context.topics.alerts)
    metrics = context.metrics

    @app.agent(signals, name="open_investigations")
    async def open_investigations(stream: Stream) -> AsyncIterator[None]:
        async for batch in stream.take_events(200, within=0.02):
            started = time.perf_counter()
            parsed = []
            for event in batch:
                try:
                    parsed.append(orjson.loads(event.message.value))
                except orjson.JSONDecodeError:
                    log.error("unreadable signal record", offset=event.message.offset)
            outcome = await with_retry(
                lambda batch=parsed: asyncio.to_thread(  # type: ignore[misc]
                    handle_signals, context.sessions, batch, topics
                ),
                what="investigations",
                on_failure=metrics.db_failures.labels("investigations").inc,
            )
            metrics.investigations_opened.inc(len(outcome.opened))
            metrics.batch_seconds.labels("open_investigations").observe(
                time.perf_counter() - started
            )
            yield None

    @timer(app, 0.2, on_leader=True)
    async def publish_outbox() -> None:
        try:
            pending = await asyncio.to_thread(outbox.pending, context.sessions)
            if not pending:
                return
            futures = [
                await app.producer.send(r.topic, r.key.encode(), r.value, None, None, None)
                for r in pending
            ]
            for future in futures:
                await future
            await asyncio.to_thread(
                outbox.mark_published, context.sessions, [r.record_id for r in pending]
            )
            metrics.outbox_published.inc(len(pending))
        except Exception as error:  # the next tick retries; records stay pending
            log.warning("outbox publish failed", error=str(error))
