"""`assess_risk`: canonical events → per-product state (`product_to_risk`) → signals and scores.

The table is keyed like `events.canonical` (the product key's raw UTF-8 bytes, same
partitioner), so each product's state lives on the partition of its events; `use_partitioner`
lets a batch write keys of any partition it holds without a current event (keys are bytes:
see `partitioned_table`). One table write per product per batch. A signal is produced (and its
delivery awaited) before the state that remembers it is written, so a crash in between re-raises
the same signal id — which downstream ignores — rather than losing it.
Every new injury case is also routed to `assess_regions`, once per region it counts in (its
county, city and province), by the `category|region` key: one bundle per destination partition
of `risk.regional` per batch (the partition a record keyed `category|region` would land on),
awaited with the batch's signals.
Every record is built from its `schemas` model (`SignalRaised`, `RiskScoreUpdated`,
`RegionalBundle`) and validated on the way out by `streams.agents.ports.produce`; a record its
model refuses is a bug, and the cases it came from are dead-lettered like any failing record.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import faust
import orjson
import structlog

from recall.service.risk.assessment import Assessment, assess
from recall.service.risk.bundles import RegionalCase, regional_bundle, regional_cases
from recall.service.risk.cases import Case, case_from_canonical
from recall.service.risk.records import score_updated, signal_raised
from recall.service.risk.state import ProductRiskState
from schemas.topics import RISK_REGIONAL, RISK_SCORES, RISK_SIGNALS
from streams.agents.ports import (
    AgentPorts,
    Outgoing,
    dead_letter,
    isolate,
    produce,
    produce_all,
    raise_if_transient,
)
from streams.context import WorkerContext
from streams.faust_types import Stream
from streams.partitioning import partition_of
from streams.table_store import partitioned_table

log = structlog.get_logger(__name__)
RISK_BATCH = 1000
RISK_WITHIN_S = 0.05
STAGE = "assess_risk"
__all__ = ["process_risk_batch", "register", "score_updated", "signal_raised"]


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
            await table.changelog_delivered()  # before the batch is acked (table_store)
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
    regional: list[RegionalCase] = []
    for product_key, group in grouped.items():
        key = product_key.encode()
        raw = ports.load(key)
        try:
            sent, raw, new = await _assess(ports, product_key, raw, [c for _, c in group], now)
            deliveries += sent
            regional += new
        except Exception as error:
            raise_if_transient(error)
            for message, case in group:  # split: find the record that fails, keep the others
                try:
                    sent, raw, new = await _assess(ports, product_key, raw, [case], now)
                    deliveries += sent
                    regional += new
                except Exception as single:
                    raise_if_transient(single)
                    deliveries.append(await isolate(ports, STAGE, message, single, now))
        if raw is not None:
            writes.append((key, raw))
    deliveries += await _emit_regional(ports, regional)
    await asyncio.gather(*deliveries)  # signals are out before the states remember them
    return writes


async def _assess(
    ports: AgentPorts, product_key: str, raw: bytes | None, cases: list[Case], now: datetime
) -> tuple[list[Any], bytes, list[RegionalCase]]:
    """One product's cases against its state bytes: deliveries, new state bytes, and the
    regional rows of its new cases.

    Everything the cases lead to is checked against its model before anything is sent (the
    regional rows too, although they travel later, bundled with other products' cases): a
    refused record raises here, so its cases are isolated rather than remembered.
    """
    result = assess(
        ProductRiskState.from_bytes(raw),
        cases,
        ports.units.get(product_key),
        now,
        ports.max_age_days,
        disproportionality=ports.disproportionality.get(product_key),
    )
    if result.healed or result.future:
        log.warning(
            "risk state bounded",
            product_key=product_key,
            healed=result.healed,
            future_cases=result.future,
        )
    regional = _regional_cases(result.fresh)
    regional_bundle(regional)  # raises if a row would be refused
    deliveries = await produce_all(ports, _outgoing(product_key, result, now))
    for signal in result.signals:
        ports.metrics.signals.labels(signal.method).inc()
    return deliveries, result.state.to_bytes(), regional


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


def _outgoing(product_key: str, result: Assessment, now: datetime) -> list[Outgoing]:
    """This product's signals and score, as the records to produce."""
    key = product_key.encode()
    records = [Outgoing(RISK_SIGNALS, key, signal_raised(s, now)) for s in result.signals]
    if result.score is not None:
        records.append(Outgoing(RISK_SCORES, key, score_updated(result.score, now)))
    return records


async def _emit_regional(ports: AgentPorts, cases: list[RegionalCase]) -> list[Any]:
    """Queue the batch's new injury cases as one bundle per `risk.regional` partition, each
    case once per region it counts in (`bundles.counted_regions`, already expanded by
    `_assess`).

    Within a bundle the cases are in event-time order, so each region key sees them in order.
    """
    partitions = ports.partitions
    bundles: dict[int, list[RegionalCase]] = defaultdict(list)
    for record in sorted(cases, key=_day):
        bundles[partition_of(record.key.encode(), partitions)].append(record)
    return [
        await produce(ports, RISK_REGIONAL, None, regional_bundle(records), partition)
        for partition, records in sorted(bundles.items())
    ]


def _regional_cases(cases: Sequence[Case]) -> list[RegionalCase]:
    """One record per case and counted region (county, city, province), each routed by its
    own key: a case reaches up to three region states, possibly on three partitions."""
    return [r for case in cases for r in regional_cases(case)]


def _day(record: RegionalCase) -> int:
    return record.day
