"""CPU cost per event of the risk stage's own work, in process: no broker, no worker, no Faust.

`recall bench pipeline` measures the whole path, where the stage's share mixes its own work
with Faust's per-record machinery, the Kafka clients and the event loop. This harness runs
`streams.agents.risk.process_risk_batch` — what `assess_risk` runs per batch: parse, the
product's state from and to table bytes, assessment, the records it produces (validated
against their models) and the regional rows — on injury reports spread over a year, over
3,000 products (a few frequent, most rare) and 300 counties, with the table a dict and every
send complete at once. Batches of `--batch` events: ~80 is what the stage takes at ~340
events/s live, 1,000 its most when a backlog is waiting. Figures are process CPU µs per
event (time waited for a busy core does not count).

    python -m recall.tools.bench.risk_cpu --events 20000 --runs 3
    python -m recall.tools.bench.risk_cpu --events 5000 --profile   # cProfile one run
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import pstats
import random
import time
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from recall.tools.bench.canonical import injury_record
from recall.tools.bench.disproportionality_job import CATEGORIES
from recall.tools.bench.spread import spread
from streams.agents.ports import AgentPorts
from streams.agents.risk import process_risk_batch
from streams.context import TopicNames
from streams.metrics import WorkerMetrics

PRODUCTS = 3000
PARTITIONS = 12
_TOPICS = TopicNames(**{f.name: f.name for f in dataclasses.fields(TopicNames)})
_PROVINCES = ("11", "14", "31", "44", "51")  # two municipalities: placeholder cities


@dataclasses.dataclass(frozen=True, slots=True)
class _Message:
    """What `process_risk_batch` reads of a Faust message: the value and the timestamp."""

    value: bytes
    timestamp: float


@dataclasses.dataclass(frozen=True, slots=True)
class RunFigures:
    cpu_us: float
    """Process CPU µs per event over the whole run."""
    signals: int
    """Signals produced: a check that the assessments did real work."""
    regional: int
    """`risk.regional` bundles produced."""
    dead_letters: int
    """Records set aside: 0, or the harness's records are not what the stage reads."""
    states: int
    """Product states written: one per product with a case."""


def counties() -> list[str]:
    """300 county codes: 5 provinces × 5 cities × 12 counties."""
    return [f"{p}{c:02d}{k:02d}" for p in _PROVINCES for c in range(1, 6) for k in range(1, 13)]


def make_messages(n: int, seed: int, now: datetime) -> list[_Message]:
    """`n` injury reports in event-time order over the year before `now`; product popularity
    follows a Pareto law, so some products gather many cases and most a few."""
    rng = random.Random(seed)
    places = counties()
    weights = [1 / (rank + 1) ** 1.1 for rank in range(PRODUCTS)]
    products = rng.choices(range(PRODUCTS), weights=weights, k=n)
    moments = sorted(now - timedelta(seconds=rng.uniform(0, 365 * 86400)) for _ in range(n))
    messages = []
    for serial, (product, moment) in enumerate(zip(products, moments, strict=True)):
        value = injury_record(
            event_id=f"00000000-0000-4000-8000-{seed:04d}{serial:08d}",
            moment=moment,
            product_key=f"unknown/bench/p{product}",
            category=CATEGORIES[product % len(CATEGORIES)],
            partition=serial % PARTITIONS,
            offset=serial,
            jurisdiction=places[product % len(places)],
        )
        messages.append(_Message(value, moment.timestamp()))
    return messages


async def _run(messages: Sequence[_Message], batch: int, now: datetime) -> RunFigures:
    table: dict[bytes, bytes] = {}
    sent: dict[str, int] = {}

    async def send(
        topic: str, key: bytes | None, value: bytes, partition: int | None, headers: Any = None
    ) -> Awaitable[None]:
        sent[topic] = sent.get(topic, 0) + 1
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    ports = AgentPorts(
        send=send,
        load=table.get,
        topics=_TOPICS,
        metrics=WorkerMetrics(),
        partitions=PARTITIONS,
        max_age_days=730,
    )
    start = time.process_time()
    for i in range(0, len(messages), batch):
        for key, value in await process_risk_batch(messages[i : i + batch], ports, now):
            table[key] = value
    cpu = time.process_time() - start
    return RunFigures(
        cpu / len(messages) * 1e6,
        sent.get("signals", 0),
        sent.get("regional", 0),
        sent.get("deadletter", 0),
        len(table),
    )


def run_once(n: int, batch: int, seed: int, profile: bool = False) -> RunFigures:
    now = datetime.now(UTC)
    messages = make_messages(n, seed, now)
    if not profile:
        return asyncio.run(_run(messages, batch, now))
    profiler = cProfile.Profile()
    figures: RunFigures = profiler.runcall(asyncio.run, _run(messages, batch, now))
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=80, help="events per batch")
    parser.add_argument("--profile", action="store_true", help="cProfile one run")
    args = parser.parse_args(argv)
    runs = [
        run_once(args.events, args.batch, seed, args.profile)
        for seed in range(1, (1 if args.profile else args.runs) + 1)
    ]
    cpu = spread([r.cpu_us for r in runs])
    print(f"{args.events} events a run in batches of {args.batch}, {len(runs)} runs; CPU time")
    produced = ", ".join(f"{r.signals}/{r.regional}" for r in runs)
    print("signals / regional bundles per run:", produced)
    print(
        f"process_risk_batch median {cpu.median:.0f} µs/event (min {cpu.low:.0f}, max"
        f" {cpu.high:.0f}; runs {', '.join(f'{r.cpu_us:.0f}' for r in runs)})"
    )


if __name__ == "__main__":
    main()
