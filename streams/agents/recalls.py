"""`track_recalls` (recall events → effectiveness), `check_report_deadlines` (timer: overdue
reports, referrals and the cases they open) and `escalate_overdue_cases` (timer)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import faust
import orjson
import structlog

from recall.service.cases.commands import escalate_overdue
from recall.service.ports import OutputTopics
from recall.service.recalls.deadlines import check_deadlines
from recall.service.recalls.effectiveness import update_effectiveness
from streams.agents.ports import isolate_now
from streams.context import WorkerContext, with_retry
from streams.faust_types import Stream
from streams.gathering import background_window
from streams.supervision import supervision_of
from streams.timers import supervised_timer

log = structlog.get_logger(__name__)
RECALL_TYPES = (b'"type":"recall_notice"', b'"type":"recall_progress_report"')
WITHIN_S = 0.05
"""The floor of the stage's gather window (`streams.gathering`)."""


def register(app: faust.App, context: WorkerContext, canonical: faust.TopicT) -> None:
    topics = OutputTopics.resolved(context.settings.topic_name)
    metrics = context.metrics
    supervision = supervision_of(context)
    within = background_window(context.settings, WITHIN_S)

    async def update_one(recall_id: str, at: datetime) -> None:
        await with_retry(
            lambda: asyncio.to_thread(update_effectiveness, context.storage, recall_id, topics, at),
            what="recalls",
            on_failure=metrics.db_failures.labels("recalls").inc,
            is_transient=context.storage.is_transient,
        )

    @app.agent(canonical, name="track_recalls")
    async def track_recalls(stream: Stream) -> AsyncIterator[None]:
        async for batch in stream.take_events(500, within=within):
            started = time.perf_counter()
            recall_ids: dict[str, Any] = {}  # recall id → its first event in the batch
            for event in batch:
                value = event.message.value or b""
                if not any(marker in value for marker in RECALL_TYPES):
                    continue  # cheap filter: most canonical events are not about recalls
                try:
                    recall_id = orjson.loads(value)["event"]["payload"]["recall_id"]
                    if not isinstance(recall_id, str):
                        raise TypeError("recall_id is not a string")
                except (orjson.JSONDecodeError, KeyError, TypeError) as error:
                    await isolate_now(
                        app, context, "track_recalls", event.message, error, subject=""
                    )
                    continue
                recall_ids.setdefault(recall_id, event)
            now = datetime.now(UTC)
            for recall_id, event in recall_ids.items():
                try:
                    # Transient errors are retried inside (the partition stalls, loses nothing).
                    await update_one(recall_id, now)
                except Exception as error:  # permanent: this recall's data, not the database
                    await isolate_now(
                        app, context, "track_recalls", event.message, error, subject=recall_id
                    )
            if recall_ids:
                metrics.batch_seconds.labels("track_recalls").observe(time.perf_counter() - started)
            yield None

    # One transaction that records what it sent (sent_keys): safe to run again after a failure.
    @supervised_timer(
        app,
        supervision,
        "check_report_deadlines",
        context.settings.deadline_check_seconds,
        on_leader=True,
    )
    async def check_report_deadlines() -> None:
        await asyncio.to_thread(check_deadlines, context.storage, topics, datetime.now(UTC))

    # Idempotent at one instant: an escalated case gets a new deadline after `now`.
    @supervised_timer(
        app,
        supervision,
        "escalate_overdue_cases",
        context.settings.deadline_check_seconds,
        on_leader=True,
    )
    async def escalate_overdue_cases() -> None:
        await asyncio.to_thread(escalate_overdue, context.storage, datetime.now(UTC), topics=topics)
