"""`open_investigations` (signals → investigations in SQL) and `publish_outbox` (SQL → topics).

Signals are read as the contract's `SignalRaised` (strict): one that does not obey it is
isolated at once, before the batch's transaction; the rest go to
`recall.service.investigations.signals.handle_signals`. The batch logic
(`open_from_messages`, `signal_handler`) is plain async code over its ports, so it is unit
tested without Kafka or a database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import faust
import structlog
from pydantic import ValidationError

from recall.adapters.db import outbox
from recall.domain.tiers import TierRules
from recall.service.investigations.signals import SignalOutcome, handle_signals
from recall.service.ports import OutputTopics, Storage
from recall.service.tiers.escalate import escalate_overdue
from recall.service.tiers.rules import load_rules
from schemas.risk import SignalRaised
from streams.agents.ports import isolate_now
from streams.context import WorkerContext, with_retry
from streams.event_headers import OutboxHeaders
from streams.faust_types import Stream
from streams.metrics import WorkerMetrics
from streams.supervision import supervision_of
from streams.timers import supervised_timer

log = structlog.get_logger(__name__)

STAGE = "open_investigations"
Handle = Callable[[list[SignalRaised]], Awaitable[SignalOutcome]]
SetAside = Callable[[Any, BaseException, str], Awaitable[None]]
"""Isolate one message after a permanent error: (message, error, subject)."""
WallClock = Callable[[], datetime]
"""Where the escalation timer reads the time: a test passes its own to prove timing."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def register(
    app: faust.App,
    context: WorkerContext,
    signals: faust.TopicT,
    *,
    wall_clock: WallClock = utc_now,
) -> None:
    topics = OutputTopics.resolved(context.settings.topic_name)
    metrics = context.metrics
    supervision = supervision_of(context)
    rules = load_rules(context.settings.tier_rules_path)  # a bad file stops the worker at start
    handle = signal_handler(context.storage, topics, metrics, rules)
    headers = OutboxHeaders(context.topics)  # CloudEvents binary mode (schemas.cloudevents)

    async def set_aside(message: Any, error: BaseException, subject: str) -> None:
        await isolate_now(app, context, STAGE, message, error, subject=subject)

    @app.agent(signals, name=STAGE)
    async def open_investigations(stream: Stream) -> AsyncIterator[None]:
        async for batch in stream.take_events(200, within=0.02):
            started = time.perf_counter()
            opened = await open_from_messages([e.message for e in batch], handle, set_aside)
            metrics.investigations_opened.inc(opened)
            metrics.batch_seconds.labels(STAGE).observe(time.perf_counter() - started)
            yield None

    # Publishing is at least once by design (records stay pending until marked): safe to retry.
    @supervised_timer(app, supervision, "publish_outbox", 0.2, on_leader=True)
    async def publish_outbox() -> None:
        pending = await asyncio.to_thread(outbox.pending, context.sessions)
        if not pending:
            return
        futures = [
            await app.producer.send(
                r.topic, r.key.encode(), r.value, None, None, headers(r.topic, r.record_id, r.value)
            )
            for r in pending
        ]
        for future in futures:
            await future
        await asyncio.to_thread(
            outbox.mark_published, context.sessions, [r.record_id for r in pending]
        )
        metrics.outbox_published.inc(len(pending))

    # Escalation is a pure function of the stored facts and the time, and each move is a
    # compare-and-set on the owner: safe to run again after a failure (docs/tiers.md).
    @supervised_timer(
        app, supervision, "escalate_tiers", context.settings.tier_escalation_seconds, on_leader=True
    )
    async def escalate_tiers() -> None:
        moves = await asyncio.to_thread(
            escalate_overdue, context.storage, wall_clock(), rules=rules, topics=topics
        )
        for move in moves:
            log.info(
                "investigation escalated one tier up",
                investigation_id=move.subject_id,
                from_owner=move.from_owner,
                to_owner=move.to_owner,
                rule=move.rule.value,
            )


def signal_handler(
    storage: Storage,
    topics: OutputTopics,
    metrics: WorkerMetrics,
    tier_rules: TierRules | None = None,
) -> Handle:
    """A batch of signals in one transaction, in a thread, transient failures waited out."""

    async def handle(batch: list[SignalRaised]) -> SignalOutcome:
        return await with_retry(
            lambda: asyncio.to_thread(
                handle_signals, storage, batch, topics=topics, tier_rules=tier_rules
            ),
            what="investigations",
            on_failure=metrics.db_failures.labels("investigations").inc,
            is_transient=storage.is_transient,
        )

    return handle


async def open_from_messages(messages: Sequence[Any], handle: Handle, set_aside: SetAside) -> int:
    """Read, handle and account for one batch of `risk.signals` messages; how many opened.

    A message that is not a `SignalRaised` is set aside at once (subject unknown); the
    others are handled together, and split one by one only if that fails for good.
    """
    parsed: list[tuple[SignalRaised, Any]] = []  # (signal, its message)
    for message in messages:
        try:
            signal = SignalRaised.model_validate_json(message.value)
        except ValidationError as error:  # not JSON, or not the contract's shape
            await set_aside(message, error, "")
            continue
        parsed.append((signal, message))
    return await _handle_isolating(parsed, handle, set_aside)


async def _handle_isolating(
    parsed: list[tuple[SignalRaised, Any]], handle: Handle, set_aside: SetAside
) -> int:
    """The batch in one transaction; after a permanent error, each signal on its own.

    The failed transaction was rolled back whole, so replaying the signals one by one, in
    order, applies every good one exactly once (handling is idempotent by signal id) and
    isolates only the signal that fails again.
    """
    if not parsed:
        return 0
    try:
        return len((await handle([s for s, _ in parsed])).opened)
    except Exception as batch_error:  # permanent: with_retry waited out transient ones
        if len(parsed) == 1:
            signal, message = parsed[0]
            await set_aside(message, batch_error, signal.signal_id)
            return 0
    opened = 0
    for signal, message in parsed:
        try:
            opened += len((await handle([signal])).opened)
        except Exception as error:
            await set_aside(message, error, signal.signal_id)
    return opened
