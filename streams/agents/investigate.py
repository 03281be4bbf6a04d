"""`open_investigations` (signals → investigations in SQL) and `publish_outbox` (SQL → topics)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import faust
import orjson
import structlog

from recall.adapters.db import outbox
from recall.service.investigations.signals import SignalOutcome, Topics, handle_signals
from streams.context import WorkerContext, with_retry
from streams.faust_types import Stream
from streams.supervision import isolate, supervised_timer, supervision_of

log = structlog.get_logger(__name__)


def register(app: faust.App, context: WorkerContext, signals: faust.TopicT) -> None:
    topics = Topics(investigations=context.topics.investigations, alerts=context.topics.alerts)
    metrics = context.metrics
    supervision = supervision_of(context)

    async def handle(batch: list[dict[str, Any]]) -> SignalOutcome:
        return await with_retry(
            lambda: asyncio.to_thread(handle_signals, context.sessions, batch, topics),
            what="investigations",
            on_failure=metrics.db_failures.labels("investigations").inc,
        )

    @app.agent(signals, name="open_investigations")
    async def open_investigations(stream: Stream) -> AsyncIterator[None]:
        async for batch in stream.take_events(200, within=0.02):
            started = time.perf_counter()
            parsed: list[tuple[dict[str, Any], Any]] = []  # (signal, its message)
            for event in batch:
                try:
                    signal = orjson.loads(event.message.value)
                    if not isinstance(signal, dict):
                        raise TypeError("a signal is a JSON object")
                except (orjson.JSONDecodeError, TypeError) as error:
                    await isolate(
                        app, context, "open_investigations", event.message, error, subject=""
                    )
                    continue
                parsed.append((signal, event.message))
            opened = await handle_isolating(parsed)
            metrics.investigations_opened.inc(opened)
            metrics.batch_seconds.labels("open_investigations").observe(
                time.perf_counter() - started
            )
            yield None

    async def handle_isolating(parsed: list[tuple[dict[str, Any], Any]]) -> int:
        """The batch in one transaction; after a permanent error, each signal on its own.

        The failed transaction was rolled back whole, so replaying the signals one by one, in
        order, applies every good one exactly once (handling is idempotent by signal id) and
        isolates only the signal that fails again.
        """
        try:
            return len((await handle([s for s, _ in parsed])).opened)
        except Exception as batch_error:  # permanent: with_retry waited out transient ones
            if len(parsed) == 1:
                signal, message = parsed[0]
                await isolate(
                    app, context, "open_investigations", message, batch_error, subject=_id(signal)
                )
                return 0
        opened = 0
        for signal, message in parsed:
            try:
                opened += len((await handle([signal])).opened)
            except Exception as error:
                await isolate(
                    app, context, "open_investigations", message, error, subject=_id(signal)
                )
        return opened

    # Publishing is at least once by design (records stay pending until marked): safe to retry.
    @supervised_timer(app, supervision, "publish_outbox", 0.2, on_leader=True)
    async def publish_outbox() -> None:
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


def _id(signal: dict[str, Any]) -> str:
    value = signal.get("signal_id")
    return value if isinstance(value, str) else ""
