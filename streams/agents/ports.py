"""What an agent's batch needs from the worker, and the one way it produces records.

`AgentPorts` lets the batch logic of `assess_risk` and `assess_regions` run (and be unit
tested) without Kafka: `send` queues raw bytes and returns their delivery future, `load` reads
a table value. Nothing reaches `send` except through `produce` / `produce_all`, which encode
every value with `schemas.topics.encode`: a record that does not obey its topic's model is
refused here, on the producer side, before any consumer can trip on it.

A refused record is a bug in our code, not in the input; the agents treat it like any other
processing error of the record(s) it came from: `isolate` logs, counts and dead-letters them
(`processing_error`) and the partition goes on. `dead_letter` does the same for a record that
cannot be read at all; `raise_if_transient` lets through what waiting can fix.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

import faust
import orjson
import structlog
from pydantic import BaseModel

from recall.adapters.db.errors import ErrorKind, classify
from recall.domain.risk.evidence import DisproportionalityEvidence
from recall.service.risk.cases import CanonicalRecordError
from schemas import RejectReason
from schemas.cloudevents import CLOUDEVENT_TOPICS, kafka_headers
from schemas.topics import (
    ALERTS,
    INTAKE_DEADLETTER,
    RISK_REGIONAL,
    RISK_SCORES,
    RISK_SIGNALS,
    OutgoingRecordError,
    TopicSpec,
    encode,
)
from streams.context import TopicNames, WorkerContext
from streams.dead_letters import processing_dead_letter
from streams.metrics import WorkerMetrics

log = structlog.get_logger(__name__)

Headers = list[tuple[str, bytes]]
Send = Callable[[str, bytes | None, bytes, int | None, Headers | None], Awaitable[Awaitable[Any]]]
"""(topic, key, value, partition, headers) -> the delivery future."""

_CLOUDEVENTS = frozenset(spec.name for spec in CLOUDEVENT_TOPICS)
"""Topics others read: their records carry CloudEvents binary-mode headers
(`schemas.cloudevents`). `risk.scores`, `risk.regional` and the dead letters are the
system's own plumbing and go without (`risk.scores` is also the high-volume one)."""

_RUNTIME_NAME: dict[str, Callable[[TopicNames], str]] = {
    INTAKE_DEADLETTER.name: attrgetter("deadletter"),
    RISK_SIGNALS.name: attrgetter("signals"),
    RISK_SCORES.name: attrgetter("scores"),
    RISK_REGIONAL.name: attrgetter("regional"),
    ALERTS.name: attrgetter("alerts"),
}
"""The topics the risk agents produce to, by declared name: their runtime (prefixed) name."""


@dataclass(frozen=True, slots=True)
class AgentPorts:
    """What one batch of a risk agent needs from the worker, so the batch logic runs (and is
    unit-tested) without Kafka: `send` queues a record and returns its delivery future,
    `load` reads a table value."""

    send: Send
    load: Callable[[bytes], bytes | None]
    topics: TopicNames
    metrics: WorkerMetrics
    partitions: int
    max_age_days: int
    units: Mapping[str, int] = field(default_factory=dict)
    disproportionality: Mapping[str, Mapping[str, DisproportionalityEvidence]] = field(
        default_factory=dict
    )
    """product_key -> hazard -> the live disproportionality (`WorkerContext.disproportionality`)."""

    @classmethod
    def of(
        cls, app: faust.App, context: WorkerContext, load: Callable[[bytes], bytes | None]
    ) -> AgentPorts:
        def send(
            topic: str,
            key: bytes | None,
            value: bytes,
            partition: int | None,
            headers: Headers | None,
        ) -> Awaitable[Awaitable[Any]]:
            return app.producer.send(topic, key, value, partition, None, headers)

        return cls.sending(send, context, load)

    @classmethod
    def sending(
        cls, send: Send, context: WorkerContext, load: Callable[[bytes], bytes | None]
    ) -> AgentPorts:
        """Ports that produce through `send`: a batch consumer's own producer, say."""
        settings = context.settings
        return cls(
            send=send,
            load=load,
            topics=context.topics,
            metrics=context.metrics,
            partitions=settings.topic_partitions,
            max_age_days=math.ceil(settings.event_max_age_days),
            units=context.units,
            disproportionality=context.disproportionality,
        )

    def topic(self, spec: TopicSpec) -> str:
        """The runtime name of a declared topic (KeyError for one no risk agent writes)."""
        return _RUNTIME_NAME[spec.name](self.topics)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One record to produce: its topic's declaration, key, value model and partition."""

    spec: TopicSpec
    key: bytes | None
    value: BaseModel
    partition: int | None = None


async def produce_all(ports: AgentPorts, records: Sequence[Outgoing]) -> list[Awaitable[Any]]:
    """Validate and encode every record, then queue them all; returns the delivery futures.

    All are encoded before the first is queued, so a refused record (`OutgoingRecordError`,
    logged here with the topic and the fields at fault) leaves nothing of the group sent.
    Records of the topics others read get their CloudEvents headers (`_CLOUDEVENTS`).
    """
    encoded = [
        (ports.topic(r.spec), r.key, _encode(r.spec, r.value), r.partition, _headers(r))
        for r in records
    ]
    return [await ports.send(*record) for record in encoded]


def _headers(record: Outgoing) -> Headers | None:
    if record.spec.name not in _CLOUDEVENTS:
        return None
    return kafka_headers(record.spec, record.value)


async def produce(
    ports: AgentPorts,
    spec: TopicSpec,
    key: bytes | None,
    value: BaseModel,
    partition: int | None = None,
) -> Awaitable[Any]:
    """Validate, encode and queue one record; returns its delivery future."""
    [delivery] = await produce_all(ports, [Outgoing(spec, key, value, partition)])
    return delivery


def _encode(spec: TopicSpec, value: BaseModel) -> bytes:
    try:
        return encode(spec, value)
    except OutgoingRecordError as error:
        # The message names the topic and the fields, never the values (schemas.topics).
        log.error("outgoing record refused by its topic's model", topic=spec.name, error=str(error))
        raise


def raise_if_transient(error: Exception) -> None:
    """Re-raise what waiting can fix (a broker or connection error): not the record's fault."""
    if getattr(error, "retriable", False) or classify(error) is ErrorKind.TRANSIENT:
        raise error


async def isolate(
    ports: AgentPorts,
    stage: str,
    message: Any,
    error: BaseException,
    now: datetime,
    *,
    subject: str = "",
) -> Awaitable[Any]:
    """Log, count and dead-letter a record whose processing raised; returns the delivery.

    The record stays on its topic (intake accepted and stored it), so its position is all an
    operator needs to replay it once the cause is fixed. The log names the position, the
    subject (a product key or recall id) and the error type only: the record's contents (and
    an exception's message, which may quote them) stay out of logs; the event is in SQL. A
    refused outgoing record's message names only the topic and fields, so the letter says it.
    """
    log.error(
        "record set aside after a processing error",
        agent=stage,
        topic=getattr(message, "topic", None),
        partition=message.partition,
        offset=message.offset,
        subject=subject[:200],
        error=type(error).__name__,
        # The SQLSTATE, not the message: a data error's message can quote the record's values.
        sqlstate=getattr(getattr(error, "orig", None), "sqlstate", None),
    )
    ports.metrics.records_isolated.labels(stage).inc()
    text = str(error) if isinstance(error, OutgoingRecordError) else type(error).__name__
    reason = RejectReason.PROCESSING_ERROR.value
    letter = processing_dead_letter(stage, reason, "", text, message, now)
    return await produce(ports, INTAKE_DEADLETTER, None, letter)


async def isolate_now(
    app: faust.App,
    context: WorkerContext,
    stage: str,
    message: Any,
    error: BaseException,
    *,
    subject: str = "",
) -> None:
    """`isolate` for agents that handle one record at a time: waits for the letter's delivery,
    so the batch is acknowledged only once the record is accounted for on the dead-letter
    topic."""
    ports = AgentPorts.of(app, context, load=no_table)
    delivery = await isolate(ports, stage, message, error, datetime.now(UTC), subject=subject)
    await delivery


def no_table(key: bytes) -> bytes | None:
    raise LookupError("this agent has no table")


async def dead_letter(
    ports: AgentPorts, stage: str, message: Any, error: Exception, now: datetime
) -> Awaitable[Any]:
    """Dead-letter an unreadable record: the field and rule it broke, never its value."""
    log.warning(
        "unreadable record set aside",
        agent=stage,
        topic=getattr(message, "topic", None),
        partition=message.partition,
        offset=message.offset,
        error=type(error).__name__,
    )
    ports.metrics.records_isolated.labels(stage).inc()
    if isinstance(error, CanonicalRecordError | ValueError) and not isinstance(
        error, orjson.JSONDecodeError
    ):
        field_name = error.field if isinstance(error, CanonicalRecordError) else ""
        letter = processing_dead_letter(stage, "schema", field_name, str(error), message, now)
    else:
        reason = "malformed_json" if isinstance(error, orjson.JSONDecodeError) else "schema"
        letter = processing_dead_letter(stage, reason, "", type(error).__name__, message, now)
    return await produce(ports, INTAKE_DEADLETTER, None, letter)
