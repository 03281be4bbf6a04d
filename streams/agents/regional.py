"""`assess_regions`: regional cases → per category × region state (`region_to_risk`) → alerts.

`assess_risk` routes every new injury case once per region it counts in — the station's county,
its city and its province (`bundles.counted_regions`) — by the `category|region` key: bundles of
cases, one per destination partition of `risk.regional`, so one region's state lives on one
partition, whichever products its cases name; a county, its city and its province are three
keys, judged apart, each against its level's minimum (`regional.MIN_CASES`). The table uses
the same key bytes and partitioner (`use_partitioner=True`), as `product_to_risk` does, and is
written once per region per batch.
Alerts are produced (deliveries awaited) before the states that remember them are written: a
crash in between re-sends the same alert id, never loses it. Alerts are `schemas.risk.Alert`
records (kind `regional_signal`), validated on the way out by `streams.agents.ports.produce`.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import faust
import structlog

from recall.service.risk.bundles import RegionalCase, cases_from_bundle
from recall.service.risk.regional import RegionRiskState, assess_region
from schemas.topics import ALERTS
from streams.agents.ports import (
    AgentPorts,
    Outgoing,
    dead_letter,
    isolate,
    produce_all,
    raise_if_transient,
)
from streams.context import WorkerContext
from streams.faust_types import Stream
from streams.gathering import background_window
from streams.partitioning import partition_of
from streams.table_store import partitioned_table

log = structlog.get_logger(__name__)
REGION_BATCH = 1000
REGION_WITHIN_S = 0.05
"""The floor of the stage's gather window (`streams.gathering`)."""
STAGE = "assess_regions"


def register(app: faust.App, context: WorkerContext, regional: faust.TopicT) -> None:
    table = partitioned_table(
        app,
        "region_to_risk",
        context.settings.topic_partitions,
        "Per category × region risk state (baselines per hazard, open days, recent ids).",
    )
    within = background_window(context.settings, REGION_WITHIN_S)

    @app.agent(regional, name=STAGE)
    async def assess_regions(stream: Stream) -> AsyncIterator[None]:
        async for batch in stream.take_events(REGION_BATCH, within=within):
            started = time.perf_counter()
            ports = AgentPorts.of(app, context, table.get)
            writes = await process_regional_batch([event.message for event in batch], ports)
            for key, value in writes:  # only now: the alerts are out
                table[key] = value
            await table.changelog_delivered()  # before the batch is acked (table_store)
            context.metrics.batch_seconds.labels(STAGE).observe(time.perf_counter() - started)
            yield None


async def process_regional_batch(
    messages: Sequence[Any], ports: AgentPorts, now: datetime | None = None
) -> list[tuple[bytes, bytes]]:
    """Assess one batch of bundles; returns the table writes, due after every delivery.

    Isolated like `process_risk_batch`: an unreadable bundle, or a region key whose
    assessment raises, is dead-lettered (by the bundle's position) and the batch goes on; a
    failing key is retried one case at a time so only the failing case's bundle is named.
    """
    now = now or datetime.now(UTC)
    grouped, unreadable = _records_by_region(messages, ports.partitions)
    deliveries = [await dead_letter(ports, STAGE, m, error, now) for m, error in unreadable]
    writes: list[tuple[bytes, bytes]] = []
    for key, group in grouped.items():
        raw = ports.load(key.encode())
        try:
            sent, raw = await _assess(ports, raw, [r for _, r in group], now)
            deliveries += sent
        except Exception as error:
            raise_if_transient(error)
            failed: set[tuple[int, int]] = set()
            for message, record in group:
                try:
                    sent, raw = await _assess(ports, raw, [record], now)
                    deliveries += sent
                except Exception as single:
                    raise_if_transient(single)
                    if (message.partition, message.offset) not in failed:
                        failed.add((message.partition, message.offset))
                        deliveries.append(await isolate(ports, STAGE, message, single, now))
        if raw is not None:
            writes.append((key.encode(), raw))
    await asyncio.gather(*deliveries)  # alerts are out before the states remember them
    return writes


async def _assess(
    ports: AgentPorts, raw: bytes | None, records: list[RegionalCase], now: datetime
) -> tuple[list[Any], bytes]:
    """One region key's records against its state bytes: deliveries and new state bytes."""
    state, alerts = assess_region(RegionRiskState.from_bytes(raw), records, now, ports.max_age_days)
    deliveries = await produce_all(
        ports, [Outgoing(ALERTS, alert.alert_id.encode(), alert) for alert in alerts]
    )
    for alert in alerts:
        ports.metrics.signals.labels(alert.kind.value).inc()
    return deliveries, state.to_bytes()


def _records_by_region(
    messages: Sequence[Any], partitions: int
) -> tuple[dict[str, list[tuple[Any, RegionalCase]]], list[tuple[Any, Exception]]]:
    """The batch's cases per region key (with their bundles), and the unreadable bundles."""
    grouped: dict[str, list[tuple[Any, RegionalCase]]] = defaultdict(list)
    unreadable: list[tuple[Any, Exception]] = []
    for message in messages:
        try:
            records = cases_from_bundle(message.value)
        except Exception as error:  # anyone with the ACL can write this topic
            unreadable.append((message, error))
            continue
        _check_routing({r.key for r in records}, message, partitions)
        for record in records:
            grouped[record.key].append((message, record))
    return grouped, unreadable


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
