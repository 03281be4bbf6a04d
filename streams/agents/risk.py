"""`assess_risk`: canonical events → per-product state (`product_to_risk`) → signals and scores.

The table is keyed like `events.canonical` (the product key's raw UTF-8 bytes, same
partitioner), so each product's state lives on the partition of its events; `use_partitioner`
lets a batch write keys of any partition it holds without a current event (keys are bytes:
see `partitioned_table`). One table write per product per batch. A signal is produced (and its
delivery awaited) before the state that remembers it is written, so a crash in between re-raises
the same signal id — which downstream ignores — rather than losing it.
Every new injury case is also routed to `assess_regions` by its `category|region` key: one
bundle per destination partition of `risk.regional` per batch (the partition a record keyed
`category|region` would land on), awaited with the batch's signals.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import faust
import orjson
import structlog

from recall.adapters.db.errors import ErrorKind, classify
from recall.service.risk.assessment import (
    Assessment,
    CanonicalRecordError,
    Case,
    SignalDraft,
    assess,
    case_from_canonical,
)
from recall.service.risk.regional import RegionalCase, bundle_bytes, regional_case
from recall.service.risk.state import ProductRiskState
from streams.context import TopicNames, WorkerContext
from streams.dead_letters import processing_letter
from streams.faust_types import Stream
from streams.metrics import WorkerMetrics
from streams.partitioning import partition_of
from streams.table_store import partitioned_table

log = structlog.get_logger(__name__)
RISK_BATCH = 1000
RISK_WITHIN_S = 0.05


STAGE = "assess_risk"
Send = Callable[[str, bytes | None, bytes, int | None], Awaitable[Awaitable[Any]]]


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

    @classmethod
    def of(
        cls, app: faust.App, context: WorkerContext, load: Callable[[bytes], bytes | None]
    ) -> AgentPorts:
        def send(
            topic: str, key: bytes | None, value: bytes, partition: int | None
        ) -> Awaitable[Awaitable[Any]]:
            return app.producer.send(topic, key, value, partition, None, None)

        settings = context.settings
        return cls(
            send=send,
            load=load,
            topics=context.topics,
            metrics=context.metrics,
            partitions=settings.topic_partitions,
            max_age_days=math.ceil(settings.event_max_age_days),
            units=context.units,
        )


def register(app: faust.App, context: WorkerContext, canonical: faust.TopicT) -> None:
    table = partitioned_table(
        app,
        "product_to_risk",
        context.settings.topic_partitions,
        "Per-product risk state (baselines, open days, recent ids, score).",
    )

    @app.agent(canonical, name=STAGE)
    async def assess_risk(stream: Stream) -> AsyncIterator[None]:
        async for batch in stream.take_events(RISK_BATCH, within=RISK_WITHIN_S):
            started = time.perf_counter()
            ports = AgentPorts.of(app, context, table.get)  # units are replaced on refresh
            writes = await process_risk_batch([event.message for event in batch], ports)
            for key, value in writes:  # only now: the signals are out
                table[key] = value
            context.metrics.batch_seconds.labels(STAGE).observe(time.perf_counter() - started)
            yield None


async def process_risk_batch(
    messages: Sequence[Any], ports: AgentPorts, now: datetime | None = None
) -> list[tuple[bytes, bytes]]:
    """Assess one batch; returns the table writes, due only after every delivery is awaited.

    Isolation (DESIGN.md §7): an unreadable record, or a product whose assessment raises, is
    dead-lettered and the batch goes on. A failing product is retried one record at a time
    from its stored state, so only the record that fails is set aside. A transient error
    (broker or connection) is not a data fault: it propagates, and the supervisor restarts.
    """
    now = now or datetime.now(UTC)
    grouped, unreadable = _cases_by_product(messages, now)
    deliveries = [await dead_letter(ports, STAGE, m, error, now) for m, error in unreadable]
    writes: list[tuple[bytes, bytes]] = []
    fresh: list[Case] = []
    for product_key, group in grouped.items():
        key = product_key.encode()
        raw = ports.load(key)
        try:
            sent, raw, new = await _assess(ports, product_key, raw, [c for _, c in group], now)
            deliveries += sent
            fresh += new
        except Exception as error:
            raise_if_transient(error)
            for message, case in group:  # split: find the record that fails, keep the others
                try:
                    sent, raw, new = await _assess(ports, product_key, raw, [case], now)
                    deliveries += sent
                    fresh += new
                except Exception as single:
                    raise_if_transient(single)
                    deliveries.append(await isolate(ports, STAGE, message, single, now))
        if raw is not None:
            writes.append((key, raw))
    deliveries += await _emit_regional(ports, fresh)
    await asyncio.gather(*deliveries)  # signals are out before the states remember them
    return writes


async def _assess(
    ports: AgentPorts, product_key: str, raw: bytes | None, cases: list[Case], now: datetime
) -> tuple[list[Any], bytes, list[Case]]:
    """One product's cases against its state bytes: deliveries, new state bytes, new cases."""
    result = assess(
        ProductRiskState.from_bytes(raw),
        cases,
        ports.units.get(product_key),
        now,
        ports.max_age_days,
    )
    if result.healed or result.future:
        log.warning(
            "risk state bounded",
            product_key=product_key,
            healed=result.healed,
            future_cases=result.future,
        )
    deliveries = await _emit(ports, product_key, result, now)
    return deliveries, result.state.to_bytes(), result.fresh


def raise_if_transient(error: Exception) -> None:
    """Re-raise what waiting can fix (a broker or connection error): not the record's fault."""
    if getattr(error, "retriable", False) or classify(error) is ErrorKind.TRANSIENT:
        raise error


async def isolate(
    ports: AgentPorts, stage: str, message: Any, error: Exception, now: datetime
) -> Awaitable[Any]:
    """Log, count and dead-letter a record whose processing raised; returns the delivery.

    The log names the position and the error type only: the record's contents (and an
    exception's message, which may quote them) stay out of logs; the event is in SQL.
    """
    log.error(
        "record set aside after a processing error",
        agent=stage,
        topic=getattr(message, "topic", None),
        partition=message.partition,
        offset=message.offset,
        error=type(error).__name__,
    )
    ports.metrics.records_isolated.labels(stage).inc()
    letter = processing_letter(stage, "processing_error", "", type(error).__name__, message, now)
    return await ports.send(ports.topics.deadletter, None, letter, None)


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
        letter = processing_letter(stage, "schema", field_name, str(error), message, now)
    else:
        reason = "malformed_json" if isinstance(error, orjson.JSONDecodeError) else "schema"
        letter = processing_letter(stage, reason, "", type(error).__name__, message, now)
    return await ports.send(ports.topics.deadletter, None, letter, None)


def _cases_by_product(
    messages: Sequence[Any], now: datetime
) -> tuple[dict[str, list[tuple[Any, Case]]], list[tuple[Any, Exception]]]:
    """The batch's cases per product (with their messages), and the unreadable records."""
    grouped: dict[str, list[tuple[Any, Case]]] = defaultdict(list)
    unreadable: list[tuple[Any, Exception]] = []
    for message in messages:
        try:
            case = case_from_canonical(orjson.loads(message.value), message.timestamp, now)
        except Exception as error:
            unreadable.append((message, error))
            continue
        if case is not None:
            grouped[case.product_key].append((message, case))
    return grouped, unreadable


async def _emit(
    ports: AgentPorts, product_key: str, result: Assessment, now: datetime
) -> list[Any]:
    """Queue this product's signals and score; returns the delivery futures to await."""
    key = product_key.encode()
    deliveries = [
        await ports.send(ports.topics.signals, key, _signal_bytes(s, now), None)
        for s in result.signals
    ]
    if result.score is not None:
        score = {
            "product_key": product_key,
            "score": result.score.score,
            "risk_level": result.score.risk_level,
            "explanation": result.score.explanation,
            "updated_at": now,
        }
        deliveries.append(await ports.send(ports.topics.scores, key, orjson.dumps(score), None))
    for signal in result.signals:
        ports.metrics.signals.labels(signal.method).inc()
    return deliveries


async def _emit_regional(ports: AgentPorts, cases: list[Case]) -> list[Any]:
    """Queue the batch's new injury cases as one bundle per `risk.regional` partition.

    Within a bundle the cases are in event-time order, so each region key sees them in order.
    """
    partitions = ports.partitions
    bundles: dict[int, list[RegionalCase]] = defaultdict(list)
    for record in sorted((r for r in map(regional_case, cases) if r is not None), key=_day):
        bundles[partition_of(record.key.encode(), partitions)].append(record)
    return [
        await ports.send(ports.topics.regional, None, bundle_bytes(records), partition)
        for partition, records in sorted(bundles.items())
    ]


def _day(record: RegionalCase) -> int:
    return record.day


def _signal_bytes(signal: SignalDraft, now: datetime) -> bytes:
    value = {
        "signal_id": signal.signal_id,
        "product_key": signal.product_key,
        "hazard": signal.hazard,
        "category": signal.category,
        "jurisdiction": signal.jurisdiction,
        "method": signal.method,
        "risk_level": signal.risk_level,
        "day": signal.day,
        "observed": signal.observed,
        "expected": signal.expected,
        "threshold": _finite(signal.threshold),
        "statistic": _finite(signal.statistic),
        "window": signal.window,
        "explanation": signal.explanation,
        "trigger_event_id": signal.trigger_event_id,
        "raised_at": now,
        "trigger_sent_at": (
            datetime.fromtimestamp(signal.trigger_sent_ts, UTC) if signal.trigger_sent_ts else None
        ),
    }
    return orjson.dumps(value)


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 1e9
