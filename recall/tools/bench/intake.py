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
from recall.tools.bench.isolation import BenchRun, isolated_run, population
from recall.tools.bench.worker_metrics import held_partitions, scrape
from recall.tools.registry.sample import SampleSizes, generate
from recall.tools.simulate.events import station_event
from recall.tools.worker_process import WorkerProcess, wait_for
from schemas.topics import INTAKE_RAW

CHINA_TZ = timezone(timedelta(hours=8))


METRICS_PORT_OFFSET = 50  # workers' metrics ports: base + 50, 51, … (other benches use less)
SETTLE_TIMEOUT_S = 120.0


@dataclass(frozen=True, slots=True)
class IntakeBenchResult:
    events: int
    workers: int
    events_per_s: float
    ceiling_events_per_s: float
    ratio: float
    worker_cores: float
    """CPU the intake workers used together over the measured window (cores)."""
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
    base: Settings,
    events: int,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
) -> IntakeBenchResult:
    """`workers` processes run the intake stage in one group over the pre-produced events.

    The stage's consumer group balances `intake.raw`'s partitions over the workers; the
    measured window starts once every worker holds its share (a worker that joins late costs a
    rebalance, which is not the steady rate being measured) and at 10% of the events at the
    earliest.
    """
    bench = isolated_run(base, "bench")
    settings = bench.settings
    if workers > settings.topic_partitions:
        raise ValueError(
            f"{workers} workers but {settings.topic_partitions} partitions: the extra workers"
            " would sit idle (set RECALL_TOPIC_PARTITIONS)"
        )
    sessions = bench.prepare(
        generate(7, SampleSizes(manufacturers=300, standards=10, labs=10, experts=10))
    )
    try:
        produce_events(settings, sessions, events, progress)
        samples, spread_at = _run_group(bench, IntakeStore(sessions), base, events, workers)
        ceiling = measure_ceiling(settings, events)
    finally:  # a benchmark leaves no topics behind on the broker
        bench.clean_up()
    first, last = _window(samples, events, spread_at)
    rate = (last.stored - first.stored) / (last.at - first.at)
    ceiling_rate = _window_rate(ceiling, events)
    return IntakeBenchResult(
        events=events,
        workers=workers,
        events_per_s=round(rate, 1),
        ceiling_events_per_s=round(ceiling_rate, 1),
        ratio=round(rate / ceiling_rate, 3),
        worker_cores=round((last.cpu - first.cpu) / (last.at - first.at), 2),
        partitions=settings.topic_partitions,
        database=bench.database,
    )


def _run_group(
    bench: BenchRun, store: IntakeStore, base: Settings, events: int, workers: int
) -> tuple[list[_Sample], float]:
    """Start the workers, wait until they share the partitions, track them to the end."""
    settings = bench.settings
    ports = [base.metrics_port + METRICS_PORT_OFFSET + i for i in range(workers)]
    group = [_intake_worker(bench, i, port) for i, port in enumerate(ports)]
    for worker in group:
        worker.start()
    try:
        raw = settings.topic_name(INTAKE_RAW.name)
        spread_at = _wait_spread(ports, raw, settings.topic_partitions, group)
        samples = _track_with_cpu(store, events, group)
    finally:
        for worker in group:
            worker.stop()
    if samples[-1].stored < events:
        tails = "\n".join(w.log_tail() for w in group)
        raise RuntimeError(f"the intake stored {samples[-1].stored} of {events}:\n{tails}")
    return samples, spread_at


@dataclass(frozen=True, slots=True)
class _Sample:
    at: float
    stored: int
    cpu: float
    """CPU seconds all the workers have used so far."""


def _intake_worker(bench: BenchRun, index: int, port: int) -> WorkerProcess:
    """A worker running only the intake stage, with its own state directory and port."""
    state_dir = bench.workdir / f"worker-{index}"
    state_dir.mkdir(parents=True, exist_ok=True)
    env = bench.worker_env(port, RECALL_AGENTS="intake", RECALL_STATE_DIR=str(state_dir))
    return WorkerProcess(env, bench.workdir / f"worker-{index}.log")


def _wait_spread(
    ports: list[int], topic: str, partitions: int, group: list[WorkerProcess]
) -> float:
    """When every worker holds intake partitions and together all of them (monotonic time)."""

    def spread() -> bool:
        held = [held_partitions(m, topic) if (m := scrape(p)) else frozenset() for p in ports]
        if not all(worker.running() for worker in group):
            raise RuntimeError(
                "an intake worker exited:\n" + "\n".join(w.log_tail() for w in group)
            )
        return all(held) and len(frozenset().union(*held)) == partitions and _disjoint(held)

    if not wait_for(spread, SETTLE_TIMEOUT_S, interval_s=0.2):
        raise RuntimeError(f"the intake partitions were not spread over {len(ports)} workers")
    return time.monotonic()


def _disjoint(held: list[frozenset[int]]) -> bool:
    """No partition on two workers: a rebalance is over, not half way."""
    return sum(len(h) for h in held) == len(frozenset().union(*held))


def _track_with_cpu(store: IntakeStore, total: int, group: list[WorkerProcess]) -> list[_Sample]:
    samples: list[_Sample] = []
    deadline = time.monotonic() + 600

    def done() -> bool:
        stored = store.counts().events
        cpu = sum(w.cpu_seconds() for w in group)
        samples.append(_Sample(time.monotonic(), stored, cpu))
        alive = all(w.running() for w in group)
        return stored >= total or time.monotonic() > deadline or not alive

    wait_for(done, 605, interval_s=0.2)
    return samples


def _window(samples: list[_Sample], total: int, spread_at: float) -> tuple[_Sample, _Sample]:
    """The 10%–90% marks, the first no earlier than the moment the workers were spread."""
    low = next((s for s in samples if s.stored >= 0.1 * total and s.at >= spread_at), samples[0])
    high = next((s for s in samples if s.stored >= 0.9 * total), samples[-1])
    if high.at <= low.at:
        raise RuntimeError("too fast to time: run again with more --events")
    return low, high


def result_json(results: list[IntakeBenchResult]) -> bytes:
    return orjson.dumps([asdict(r) for r in results], option=orjson.OPT_INDENT_2)
