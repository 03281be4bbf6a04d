"""`track_recalls` (recall events → effectiveness) and `check_report_deadlines` (timer)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import faust
import orjson
import structlog

from recall.service.recalls import RecallTopics, check_deadlines, update_effectiveness
from streams.context import WorkerContext, with_retry
from streams.faust_types import Stream, timer

log = structlog.get_logger(__name__)
RECALL_TYPES = (b'"type":"recall_notice"', b'"type":"recall_progress_report"')


def register(app: faust.App, context: WorkerContext, canonical: faust.TopicT) -> None:
    topics = RecallTopics(effectiveness=context.topics.effectiveness, alerts=context.topics.alerts)
    metrics = context.metrics

    @app.agent(canonical, name="track_recalls")
    async def track_recalls(stream: Stream) -> AsyncIterator[None]:
        async for batch in stream.take_events(500, within=0.05):
            started = time.perf_counter()
            recall_ids: list[str] = []
            for event in batch:
                value = event.message.value or b""
                if not any(marker in value for marker in RECALL_TYPES):
                    continue  # cheap filter: most canonical events are not about recalls
                try:
                    recall_id = orjson.loads(value)["event"]["payload"]["recall_id"]
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    log.error("unreadable recall record", offset=event.message.offset)
                    continue
                if recall_id not in recall_ids:
                    recall_ids.append(recall_id)
            now = datetime.now(UTC)
            for recall_id in recall_ids:
                await with_retry(
                    lambda rid=recall_id, at=now: asyncio.to_thread(  # type: ignore[misc]
                        update_effectiveness, context.sessions, rid, topics, at
                    ),
                    what="recalls",
                    on_failure=metrics.db_failures.labels("recalls").inc,
                )
            if recall_ids:
                metrics.batch_seconds.labels("track_recalls").observe(time.perf_counter() - started)
            yield None

    @timer(app, context.settings.deadline_check_seconds, on_leader=True)
    async def check_report_deadlines() -> None:
        try:
            await asyncio.to_thread(check_deadlines, context.sessions, topics, datetime.now(UTC))
        except Exception as error:  # the next tick retries; nothing was committed
            log.warning("deadline check failed", error=str(error))
