"""The projectors: `risk.scores`, `risk.signals` and `alerts` → the SQL read model.

One batch consumer per topic (`project_scores`, `project_signals`, `project_alerts`;
`streams.batch_consumer`), each in its own consumer group (`<app id>-<name>`), all three
running the same code (`recall.service.readmodel.projection.project`). Not Faust agents: the
alerts topic is read by two more agents (Alertmanager, webhooks), and Faust's offset
bookkeeping for a topic several agents read committed past alerts that never reached SQL
when one of three workers was killed (issue 15). Here a batch's offsets are committed only
after its transaction and its dead letters, by the one reader of the group. Each source
keeps its own batches, committed offsets, lag and stall detection, and a slow or failing
table never holds back the other two.

Every value is read strictly as its topic's model; one that does not obey it is dead-lettered
at once (`processing_error`, position and size, never contents) and the partition goes on.
The rest of a batch is written in one transaction; transient errors (the storage's
judgement) are waited out, a permanent one splits the batch so that only the refused record
is dead-lettered. Writes are idempotent (newer score wins, ids inserted once), so a batch
redelivered after a crash, or a `recall readmodel rebuild` running beside, changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import faust
from pydantic import ValidationError

from recall.adapters.db.read_model import SqlReadModel
from recall.service.readmodel.ports import ReadModel, ScoreAt
from recall.service.readmodel.projection import ProjectionOutcome, project
from schemas.risk import Alert, RiskScoreUpdated, SignalRaised
from schemas.topics import ALERTS, RISK_SCORES, RISK_SIGNALS, TopicSpec
from streams.agents.ports import AgentPorts, isolate, no_table
from streams.batch_consumer import BatchConsumer, attach
from streams.context import WorkerContext, with_retry

BATCH = 500

Record = ScoreAt | SignalRaised | Alert
Write = Callable[[list[Record]], Awaitable[ProjectionOutcome]]
SetAside = Callable[[Any, BaseException, str], Awaitable[None]]
"""Isolate one message after a permanent error: (message, error, subject)."""


@dataclass(frozen=True, slots=True)
class Source:
    """One projected topic: its agent, its table and how a message becomes a record."""

    spec: TopicSpec
    model: type[RiskScoreUpdated] | type[SignalRaised] | type[Alert]
    agent: str
    table: str

    def parse(self, message: Any) -> Record:
        """The message's value read strictly as the topic's model (ValidationError if not)."""
        value = self.model.model_validate_json(message.value)
        if isinstance(value, RiskScoreUpdated):
            return ScoreAt(value, message.partition, message.offset)
        return value


SOURCES = (
    Source(RISK_SCORES, RiskScoreUpdated, "project_scores", "risk_scores"),
    Source(RISK_SIGNALS, SignalRaised, "project_signals", "risk_signals"),
    Source(ALERTS, Alert, "project_alerts", "alerts"),
)


def register(
    app: faust.App,
    context: WorkerContext,
    topic: faust.TopicT,
    read_model: ReadModel | None = None,
) -> BatchConsumer:
    """Attach the projector of `topic` (one of `SOURCES`, found by its runtime name)."""
    (name,) = topic.topics
    return attach(app, projector(context, name, read_model, loop=None))


def projector(
    context: WorkerContext, topic: str, read_model: ReadModel | None = None, **kwargs: Any
) -> BatchConsumer:
    """The projector of `topic` as a batch consumer in its own group (`<app id>-<agent>`);
    `kwargs` are `BatchConsumer`'s (fake clients in unit tests)."""
    settings = context.settings
    [source] = [s for s in SOURCES if settings.topic_name(s.spec.name) == topic]
    model: ReadModel = read_model or SqlReadModel(context.sessions)
    metrics = context.metrics

    async def write(records: list[Record]) -> ProjectionOutcome:
        return await with_retry(
            lambda: asyncio.to_thread(write_records, model, records),
            what=source.table,
            on_failure=metrics.db_failures.labels(source.table).inc,
            is_transient=context.storage.is_transient,
        )

    async def handle(stage: BatchConsumer, messages: Sequence[Any]) -> None:
        def send(
            topic: str, key: bytes | None, value: bytes, partition: int | None, headers: Any
        ) -> Awaitable[Awaitable[Any]]:
            return stage.send(topic, key, value, None, partition, headers)

        ports = AgentPorts.sending(send, context, no_table)

        async def set_aside(message: Any, error: BaseException, subject: str) -> None:
            now = datetime.now(UTC)
            await (await isolate(ports, source.agent, message, error, now, subject=subject))

        outcome = await project_messages(messages, source, write, set_aside)
        metrics.persisted.labels(source.table).inc(outcome.projected)

    return BatchConsumer(
        context,
        topic,
        stage=source.agent,
        handle=handle,
        max_records=BATCH,
        gather_s=settings.background_gather_s,
        **kwargs,
    )


def write_records(read_model: ReadModel, records: Sequence[Record]) -> ProjectionOutcome:
    """One transaction for a batch of records of any of the three topics (blocking)."""
    return project(
        read_model,
        scores=[r for r in records if isinstance(r, ScoreAt)],
        signals=[r for r in records if isinstance(r, SignalRaised)],
        alerts=[r for r in records if isinstance(r, Alert)],
    )


async def project_messages(
    messages: Sequence[Any], source: Source, write: Write, set_aside: SetAside
) -> ProjectionOutcome:
    """Read, write and account for one batch; an unreadable message is set aside at once."""
    parsed: list[tuple[Record, Any]] = []
    for message in messages:
        try:
            parsed.append((source.parse(message), message))
        except ValidationError as error:  # not JSON, or not the contract's shape
            await set_aside(message, error, "")
    return await _write_isolating(parsed, write, set_aside)


async def _write_isolating(
    parsed: list[tuple[Record, Any]], write: Write, set_aside: SetAside
) -> ProjectionOutcome:
    """The batch in one transaction; after a permanent error, each record on its own.

    The failed transaction was rolled back whole and writes are idempotent, so the records
    written one by one end exactly as a successful batch would; only the refused one is
    dead-lettered.
    """
    if not parsed:
        return ProjectionOutcome()
    try:
        return await write([r for r, _ in parsed])
    except Exception as batch_error:  # permanent: with_retry waited out transient ones
        if len(parsed) == 1:
            record, message = parsed[0]
            await set_aside(message, batch_error, _subject(record))
            return ProjectionOutcome(read=1)
    outcome = ProjectionOutcome()
    for record, message in parsed:
        try:
            outcome += await write([record])
        except Exception as error:
            await set_aside(message, error, _subject(record))
            outcome += ProjectionOutcome(read=1)
    return outcome


def _subject(record: Record) -> str:
    if isinstance(record, ScoreAt):
        return record.score.product_key
    return record.signal_id if isinstance(record, SignalRaised) else record.alert_id
