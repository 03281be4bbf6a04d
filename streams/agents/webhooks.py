"""The `webhooks` stage: `schedule_webhooks` (alerts → the delivery queue in SQL) and the
`dispatch_webhooks` timer (the queue → signed POSTs).

The agent only writes rows: each batch of the `alerts` topic becomes, in one transaction,
one delivery row per matching subscription (`recall.service.webhooks.fanout`), inserted
once per (subscription, event); the batch's offsets are committed after that, so a crash
re-reads the batch and inserts nothing new. A value that is not an `Alert` is isolated at
once (dead-lettered with its position), a transient database error is waited out, a
permanent one splits the batch so only the refused record is set aside.

The dispatcher is a timer, not part of the agent: no receiver is ever awaited while alerts
are read, so a slow or dead endpoint cannot slow the pipeline. It claims due deliveries with
a lease (any number of workers may run it; `recall.service.webhooks.dispatch` says why that is
safe) and starts each POST in its own task; the timer's tick returns at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
from pydantic import ValidationError

from recall.adapters.db.webhook_store import SqlWebhookStore
from recall.adapters.webhooks.poster import HttpPoster
from recall.config import Settings
from recall.domain.webhooks import PauseRule, RetryPolicy
from recall.service.webhooks.dispatch import Dispatcher, DispatchLimits
from recall.service.webhooks.fanout import fan_out
from recall.service.webhooks.ports import WebhookStore
from schemas.risk import Alert
from streams.agents.ports import isolate_now
from streams.context import WorkerContext, with_retry
from streams.faust_types import Stream
from streams.gathering import background_window
from streams.metrics import WorkerMetrics
from streams.supervision import supervision_of
from streams.timers import supervised_timer

STAGE = "schedule_webhooks"
BATCH = 500
WITHIN_S = 0.1
"""The floor of the stage's gather window (`streams.gathering`)."""
GAUGES_EVERY_S = 5.0

Write = Callable[[list[Alert]], Awaitable[int]]
SetAside = Callable[[Any, BaseException, str], Awaitable[None]]


def register(
    app: faust.App,
    context: WorkerContext,
    alerts: faust.TopicT,
    store: WebhookStore | None = None,
) -> None:
    settings, metrics = context.settings, context.metrics
    queue: WebhookStore = store or SqlWebhookStore(context.sessions)
    supervision = supervision_of(context)

    async def write(batch: list[Alert]) -> int:
        return await with_retry(
            lambda: asyncio.to_thread(fan_out, queue, batch, datetime.now(UTC)),
            what="webhook_deliveries",
            on_failure=metrics.db_failures.labels("webhook_deliveries").inc,
            is_transient=context.storage.is_transient,
        )

    async def set_aside(message: Any, error: BaseException, subject: str) -> None:
        await isolate_now(app, context, STAGE, message, error, subject=subject)

    async def schedule_webhooks(stream: Stream) -> AsyncIterator[None]:
        async for batch in stream.take_events(BATCH, within=background_window(settings, WITHIN_S)):
            started = time.perf_counter()
            scheduled = await schedule_messages([e.message for e in batch], write, set_aside)
            metrics.persisted.labels("webhook_deliveries").inc(scheduled)
            metrics.batch_seconds.labels(STAGE).observe(time.perf_counter() - started)
            yield None

    app.agent(alerts, name=STAGE)(schedule_webhooks)

    dispatcher = dispatcher_for(settings, queue, metrics)

    # Idempotent: a tick only claims (leases) and launches; a failed claim leaves rows due.
    @supervised_timer(app, supervision, "dispatch_webhooks", settings.webhook_dispatch_seconds)
    async def dispatch_webhooks() -> None:
        await dispatcher.tick()

    @supervised_timer(app, supervision, "webhook_gauges", GAUGES_EVERY_S, on_leader=True)
    async def webhook_gauges() -> None:
        status = await asyncio.to_thread(queue.status)
        metrics.webhook_pending.set(status.pending)
        metrics.webhook_paused_subscriptions.set(status.paused_subscriptions)


class MetricsObserver:
    """The dispatcher's reports as the worker's Prometheus metrics."""

    def __init__(self, metrics: WorkerMetrics) -> None:
        self._metrics = metrics

    def attempted(self, outcome: str, seconds: float) -> None:
        self._metrics.webhook_deliveries.labels(outcome).inc()
        self._metrics.webhook_attempt_seconds.observe(seconds)

    def paused(self, subscription_id: str) -> None:
        return None  # the gauge follows on its next run; the dispatcher logs the pause


def dispatcher_for(settings: Settings, store: WebhookStore, metrics: WorkerMetrics) -> Dispatcher:
    """The dispatcher the settings describe (RECALL_WEBHOOK_*)."""
    return Dispatcher(
        store,
        HttpPoster(
            timeout_s=settings.webhook_timeout_seconds,
            max_connections=settings.webhook_concurrency,
        ),
        RetryPolicy(
            base_s=settings.webhook_backoff_base_seconds,
            cap_s=max(settings.webhook_backoff_cap_seconds, settings.webhook_backoff_base_seconds),
            max_attempts=settings.webhook_max_attempts,
        ),
        PauseRule(
            after_failures=settings.webhook_pause_after_failures,
            after=timedelta(seconds=settings.webhook_pause_after_seconds),
        ),
        DispatchLimits(
            concurrency=settings.webhook_concurrency,
            per_subscription=settings.webhook_per_subscription_concurrency,
            lease=timedelta(seconds=settings.webhook_lease_seconds),
        ),
        observer=MetricsObserver(metrics),
    )


async def schedule_messages(messages: Sequence[Any], write: Write, set_aside: SetAside) -> int:
    """Read, schedule and account for one batch; how many deliveries were new."""
    parsed: list[tuple[Alert, Any]] = []
    for message in messages:
        try:
            parsed.append((Alert.model_validate_json(message.value), message))
        except ValidationError as error:  # not JSON, or not the contract's shape
            await set_aside(message, error, "")
    if not parsed:
        return 0
    try:
        return await write([a for a, _ in parsed])
    except Exception as batch_error:  # permanent: with_retry waited out transient ones
        if len(parsed) == 1:
            alert, message = parsed[0]
            await set_aside(message, batch_error, alert.alert_id)
            return 0
    scheduled = 0
    for alert, message in parsed:  # the batch rolled back whole; rows are inserted once
        try:
            scheduled += await write([alert])
        except Exception as error:
            await set_aside(message, error, alert.alert_id)
    return scheduled
