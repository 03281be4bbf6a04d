"""`assess_regions`: regional cases → per category × city state (`region_to_risk`) → alerts.

`assess_risk` routes every new injury case by its `category|region` key: bundles of cases, one
per destination partition of `risk.regional`, so one region's state lives on one partition,
whichever products its cases name. The table uses the same key bytes and partitioner
(`use_partitioner=True`), as `product_to_risk` does, and is written once per region per batch.
Alerts are produced (deliveries awaited) before the states that remember them are written: a
crash in between re-sends the same alert id, never loses it.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import Any

import faust
import orjson
import structlog

from recall.service.regional_risk import (
    RegionalCase,
    RegionRiskState,
    assess_region,
    cases_from_bundle,
)
from streams.context import WorkerContext
from streams.faust_types import Stream
from streams.partitioning import partition_of
from streams.table_store import partitioned_table

log = structlog.get_logger(__name__)
REGION_BATCH = 1000
REGION_WITHIN_S = 0.05


def register(app: faust.App, context: WorkerContext, regional: faust.TopicT) -> None:
    table = partitioned_table(
        app,
        "region_to_risk",
        context.settings.topic_partitions,
        "Per category × region risk state (baselines per hazard, open days, recent ids).",
    )

    @app.agent(regional, name="assess_regions")
    async def assess_regions(stream: Stream) -> AsyncIterator[None]:
        async for batch in stream.take_events(REGION_BATCH, within=REGION_WITHIN_S):
            started = time.perf_counter()
            states: list[tuple[str, RegionRiskState]] = []
            deliveries: list[Any] = []
            grouped = _records_by_region(batch, context.settings.topic_partitions)
            for key, records in grouped.items():
                state, alerts = assess_region(
                    RegionRiskState.from_bytes(table.get(key.encode())), records
                )
                for alert in alerts:
                    deliveries.append(
                        await app.producer.send(
                            context.topics.alerts,
                            alert["alert_id"].encode(),
                            orjson.dumps(alert),
                            None,
                            None,
                            None,
                        )
                    )
                    context.metrics.signals.labels(alert["kind"]).inc()
                states.append((key, state))
            await asyncio.gather(*deliveries)  # alerts are out before the states remember them
            for key, state in states:
                table[key.encode()] = state.to_bytes()
            context.metrics.batch_seconds.labels("assess_regions").observe(
                time.perf_counter() - started
            )
            yield None


def _records_by_region(batch: Sequence[Any], partitions: int) -> dict[str, list[RegionalCase]]:
    grouped: dict[str, list[RegionalCase]] = defaultdict(list)
    for event in batch:
        message = event.message
        try:
            records = cases_from_bundle(message.value)
        except Exception:  # our own topic, but never crash on a record: log and move on
            log.exception(
                "unreadable regional bundle", partition=message.partition, offset=message.offset
            )
            continue
        _check_routing({r.key for r in records}, message, partitions)
        for record in records:
            grouped[record.key].append(record)
    return grouped


def _check_routing(keys: set[str], message: Any, partitions: int) -> None:
    """Log (and still count) a bundle's keys that do not hash to its partition: producers and
    topic disagree on the partition count, and another worker may own those keys' state."""
    for key in keys:
        if partition_of(key.encode(), partitions) != message.partition:
            log.warning(
                "regional case on a foreign partition",
                key=key,
                partition=message.partition,
                offset=message.offset,
            )
