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
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import faust
import orjson
import structlog

from recall.service.regional_risk import RegionalCase, bundle_bytes, regional_case
from recall.service.risk import Assessment, Case, SignalDraft, assess, case_from_canonical
from recall.service.risk_state import ProductRiskState
from streams.context import WorkerContext
from streams.faust_types import Stream
from streams.partitioning import partition_of
from streams.table_store import partitioned_table

log = structlog.get_logger(__name__)
RISK_BATCH = 1000
RISK_WITHIN_S = 0.05


def register(app: faust.App, context: WorkerContext, canonical: faust.TopicT) -> None:
    table = partitioned_table(
        app,
        "product_to_risk",
        context.settings.topic_partitions,
        "Per-product risk state (baselines, open days, recent ids, score).",
    )

    @app.agent(canonical, name="assess_risk")
    async def assess_risk(stream: Stream) -> AsyncIterator[None]:
        async for batch in stream.take_events(RISK_BATCH, within=RISK_WITHIN_S):
            started = time.perf_counter()
            results: list[tuple[str, Assessment]] = []
            deliveries: list[Any] = []
            fresh: list[Case] = []
            for product_key, cases in _cases_by_product(batch).items():
                state = ProductRiskState.from_bytes(table.get(product_key.encode()))
                result = assess(state, cases, context.units.get(product_key))
                deliveries += await _emit(app, context, product_key, result)
                results.append((product_key, result))
                fresh += result.fresh
            deliveries += await _emit_regional(app, context, fresh)
            await asyncio.gather(*deliveries)  # signals are out before the states remember them
            for product_key, result in results:
                table[product_key.encode()] = result.state.to_bytes()
            context.metrics.batch_seconds.labels("assess_risk").observe(
                time.perf_counter() - started
            )
            yield None


def _cases_by_product(batch: Sequence[Any]) -> dict[str, list[Case]]:
    grouped: dict[str, list[Case]] = defaultdict(list)
    for event in batch:
        message = event.message
        try:
            case = case_from_canonical(orjson.loads(message.value), message.timestamp)
        except Exception:  # our own topic, but never crash on a record: log and move on
            log.exception(
                "unreadable canonical record", partition=message.partition, offset=message.offset
            )
            continue
        if case is not None:
            grouped[case.product_key].append(case)
    return grouped


async def _emit(
    app: faust.App, context: WorkerContext, product_key: str, result: Assessment
) -> list[Any]:
    """Queue this product's signals and score; returns the delivery futures to await."""
    now = datetime.now(UTC)
    key = product_key.encode()
    deliveries = [
        await app.producer.send(
            context.topics.signals, key, _signal_bytes(s, now), None, None, None
        )
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
        deliveries.append(
            await app.producer.send(
                context.topics.scores, key, orjson.dumps(score), None, None, None
            )
        )
    for signal in result.signals:
        context.metrics.signals.labels(signal.method).inc()
    return deliveries


async def _emit_regional(app: faust.App, context: WorkerContext, cases: list[Case]) -> list[Any]:
    """Queue the batch's new injury cases as one bundle per `risk.regional` partition.

    Within a bundle the cases are in event-time order, so each region key sees them in order.
    """
    partitions = context.settings.topic_partitions
    bundles: dict[int, list[RegionalCase]] = defaultdict(list)
    for record in sorted((r for r in map(regional_case, cases) if r is not None), key=_day):
        bundles[partition_of(record.key.encode(), partitions)].append(record)
    return [
        await app.producer.send(
            context.topics.regional, None, bundle_bytes(records), partition, None, None
        )
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
