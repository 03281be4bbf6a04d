"""`recall bench intake`: sustained intake throughput vs a raw aiokafka ceiling, same broker.

Both runs read the same pre-produced, signed, valid events from the same topic, so the only
difference is the work done per event: the pipeline validates, authenticates, routes, and
persists idempotently; the ceiling only parses JSON and produces the bytes onward. The rate is
measured between 10% and 90% of the events, excluding start-up and the tail.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

import orjson
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.intake_store import IntakeStore
from recall.adapters.db.key_store import server_side_keys
from recall.adapters.kafka.producer import StationSender
from recall.config import Settings
from recall.tools.bench.ceiling import measure_ceiling
from recall.tools.bench.isolation import isolated_run, population
from recall.tools.registry.sample import SampleSizes, generate
from recall.tools.simulate.events import station_event
from recall.tools.worker_process import WorkerProcess, wait_for

CHINA_TZ = timezone(timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class IntakeBenchResult:
    events: int
    events_per_s: float
    ceiling_events_per_s: float
    ratio: float
    partitions: int
    database: str


def _window_rate(samples: list[tuple[float, int]], total: int) -> float:
    """Events/s between the 10% and 90% marks of a (time, count) series."""
    low = next((s for s in samples if s[1] >= 0.1 * total), samples[0])
    high = next((s for s in samples if s[1] >= 0.9 * total), samples[-1])
    if high[0] <= low[0]:
        return float("nan")
    return (high[1] - low[1]) / (high[0] - low[0])


def _track(
    count: Callable[[], int], total: int, timeout_s: float, is_alive: Callable[[], bool]
) -> list[tuple[float, int]]:
    samples: list[tuple[float, int]] = []
    deadline = time.monotonic() + timeout_s

    def done() -> bool:
        samples.append((time.monotonic(), count()))
        return samples[-1][1] >= total or time.monotonic() > deadline or not is_alive()

    wait_for(done, timeout_s + 5, interval_s=0.2)
    return samples


def produce_events(
    settings: Settings,
    sessions: sessionmaker[Session],
    n: int,
    progress: Callable[[int], None] | None,
) -> None:
    """Publish `n` valid signed events as the registered stations would."""
    who = population(sessions)
    sim_stations, sim_products = who.people + who.labs, who.goods
    rng = random.Random(42)
    sender = StationSender(settings, keys=server_side_keys(sessions, settings), linger_ms=50)
    now = datetime.now(CHINA_TZ)
    for i in range(n):
        station = rng.choice(sim_stations)
        sender.send(
            station.station_id, orjson.dumps(station_event(station, sim_products, rng, now))
        )
        if progress and i % 1000 == 999:
            progress(1000)
    sender.flush()
    sender.close()


def run_intake_benchmark(
    base: Settings, events: int, progress: Callable[[int], None] | None = None
) -> IntakeBenchResult:
    bench = isolated_run(base, "bench")
    settings = bench.settings
    sessions = bench.prepare(
        generate(7, SampleSizes(manufacturers=300, standards=10, labs=10, experts=10))
    )
    produce_events(settings, sessions, events, progress)
    store = IntakeStore(sessions)
    # The intake stage alone: what this benchmark measures.
    env = bench.worker_env(base.metrics_port + 1, RECALL_AGENTS="intake")
    worker = WorkerProcess(env, bench.workdir / "worker.log")
    worker.start()
    try:
        pipeline = _track(lambda: store.counts().events, events, 600, worker.running)
    finally:
        worker.stop()
    if pipeline[-1][1] < events:
        raise RuntimeError(f"pipeline stored {pipeline[-1][1]} of {events}:\n{worker.log_tail()}")
    try:
        ceiling = measure_ceiling(settings, events)
    finally:  # a benchmark leaves no topics behind on the broker
        bench.clean_up()
    rate, ceiling_rate = _window_rate(pipeline, events), _window_rate(ceiling, events)
    return IntakeBenchResult(
        events=events,
        events_per_s=round(rate, 1),
        ceiling_events_per_s=round(ceiling_rate, 1),
        ratio=round(rate / ceiling_rate, 3),
        partitions=settings.topic_partitions,
        database=bench.database,
    )


def result_json(result: IntakeBenchResult) -> bytes:
    return orjson.dumps(asdict(result), option=orjson.OPT_INDENT_2)
