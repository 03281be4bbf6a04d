"""The streamed detector as the agent runs it, for `recall bench detection`.

Why not just replay the series through `recall.domain.risk.detectors.streamed`: the claim to
check is about what regulators get live, so every simulated count becomes that many
`events.canonical` records (an injury report per case, dated in its period, received then),
and each period's records go through `streams.agents.risk.process_risk_batch` — the function
the `assess_risk` agent runs per batch: strict parsing, the product state as table bytes,
open and closed periods, the cold-start ladder, the cached fits. Only Kafka is replaced: sends
complete at once and the table is a dict. The period's judgement is read back from the state
the batch writes (`HazardState.latest`); a period without cases is not judged by the stream
and scores 0, as a period whose count cannot alarm.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from recall.domain.risk.detectors.base import Frequency
from recall.service.risk.state import ProductRiskState, day_label, monday_of, week_of
from recall.tools.bench.canonical import injury_record
from streams.agents.ports import AgentPorts
from streams.agents.risk import process_risk_batch
from streams.context import TopicNames
from streams.metrics import WorkerMetrics

FIRST_DAY = date(2015, 1, 5).toordinal() - date(1970, 1, 1).toordinal()  # a Monday
PRODUCT = "unknown/bench/series"
HAZARD = "burns"  # hot_object → burns (recall.domain.risk.severity.hazard_for_mechanism)
_TOPICS = TopicNames(**{f.name: f.name for f in dataclasses.fields(TopicNames)})


@dataclasses.dataclass(frozen=True, slots=True)
class _Message:
    """What `process_risk_batch` reads of a Faust message: the value and the timestamp."""

    value: bytes
    timestamp: float


async def _discard(
    topic: str, key: bytes | None, value: bytes, partition: int | None, headers: Any = None
) -> Awaitable[None]:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


def _moment(day: int) -> datetime:
    """Noon in China (04:00 UTC) of an event-time day number."""
    return datetime(1970, 1, 1, 4, tzinfo=UTC) + timedelta(days=day)


def _record(serial: int, day: int) -> bytes:
    return injury_record(
        event_id=f"00000000-0000-4000-8000-{serial:012d}",
        moment=_moment(day),
        product_key=PRODUCT,
        category="kitchenware",
        partition=0,
        offset=serial,
    )


def agent_scores(
    counts: Sequence[int], start: int, frequency: Frequency
) -> list[tuple[float, bool]]:
    """(score, alarm) per period start .. len-1, as the agent judged it (see module doc).

    Weekly series put a week's cases on its Monday; daily series on their day.
    """
    return asyncio.run(_run(counts, start, frequency))


async def _run(counts: Sequence[int], start: int, frequency: Frequency) -> list[tuple[float, bool]]:
    weekly = frequency is Frequency.WEEKLY
    table: dict[bytes, bytes] = {}
    ports = AgentPorts(
        send=_discard,
        load=table.get,
        topics=_TOPICS,
        metrics=WorkerMetrics(),
        partitions=1,
        max_age_days=3650,
    )
    key, out, serial = PRODUCT.encode(), [], 0
    for period, count in enumerate(counts):
        day = FIRST_DAY + (7 * period if weekly else period)
        if count:
            messages = []
            for _ in range(count):
                serial += 1
                messages.append(_Message(_record(serial, day), _moment(day).timestamp()))
            now = _moment(day) + timedelta(hours=1)
            for written_key, value in await process_risk_batch(messages, ports, now):
                table[written_key] = value
        if period >= start:
            out.append(_judged(table.get(key), day, frequency) if count else (0.0, False))
    return out


def _judged(raw: bytes | None, day: int, frequency: Frequency) -> tuple[float, bool]:
    state = ProductRiskState.from_bytes(raw)
    hazard = state.hazards.get(HAZARD)
    evidence = hazard.latest.get(frequency.value) if hazard else None
    label = day_label(monday_of(week_of(day)) if frequency is Frequency.WEEKLY else day)
    if evidence is None or evidence.period != label:
        return 0.0, False
    return evidence.detection.score, evidence.detection.alarm
