"""`recall bench restart`: how long a worker holding many products' state takes to work again.

DESIGN §6 asks that a restarted worker with 1,000,000 products' risk state is processing again
within 60 s. Faust keeps `product_to_risk` in memory and rebuilds it on start by replaying the
table's changelog topic, and no stream is read before every table is recovered. So:

1. a worker starts once with a fresh app id (it creates its topics and changelogs) and stops;
2. N realistic `product_to_risk` values are produced onto that changelog, each on the
   partition its key hashes to (as the table writes them);
3. a marker (`recall.tools.bench.markers`: an injury report about a seeded product) is put on
   every `events.canonical` partition, the worker is started again, and the clock runs from
   the process start until Faust's group has committed past every marker — recovery, group
   join and the first batch (cold: the worker's disk holds none of that state, as on a new
   machine). Until 2026-12-01 the probe was a station event *stored*: since the intake became
   a batch consumer of its own it stores events while Faust is still recovering, and the
   bench printed a 4 s "cold restart" for 1,000,000 states;
4. the worker is stopped and started once more with new markers (warm: the same disk). With
   the memory store this replays the whole changelog again; with RocksDB only what the local
   store has not yet seen.

The worker's resident memory is read from /proc once it is processing: the real process
holding the real state, next to `recall bench state`'s in-process estimate.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson
from kafka import KafkaProducer

from recall.config import Settings
from recall.tools.bench.isolation import isolated_run
from recall.tools.bench.markers import Markers
from recall.tools.bench.state import realistic_state
from recall.tools.registry.sample import generate
from recall.tools.worker_process import WorkerProcess
from streams.partitioning import partition_of

PROCESSED_TIMEOUT_S = 900.0
DISTINCT_VALUES = 2_000  # realistic values, reused across keys: the replay cost is per record


@dataclass(frozen=True, slots=True)
class RestartBenchResult:
    products: int
    changelog_bytes: int
    table_store: str
    first_start_s: float
    restart_to_processing_s: float
    records_per_s: float
    worker_rss_mib: float
    warm_restart_s: float
    database: str


def run_restart_benchmark(
    base: Settings,
    products: int,
    progress: Callable[[str], None] | None = None,
    advance: Callable[[int], None] | None = None,
) -> RestartBenchResult:
    say = progress or (lambda _message: None)
    bench = isolated_run(base, "restart")
    settings = bench.settings
    bench.prepare(generate(7))
    markers = Markers(settings, products)
    worker = WorkerProcess(bench.worker_env(base.metrics_port + 3), bench.workdir / "worker.log")
    try:
        say("first start: the worker creates its topics")
        first = _start_and_wait_processed(worker, markers, settings.topic_partitions)
        worker.stop()
        say(f"writing {products:,} product states to the changelog")
        size = _fill_changelog(settings, products, advance)
        say("restarting the worker (cold)")
        restart = _start_and_wait_processed(worker, markers, settings.topic_partitions)
        rss = _rss_mib(worker.pid)
        worker.stop()
        say("restarting the worker (warm)")
        warm = _start_and_wait_processed(worker, markers, settings.topic_partitions)
    finally:
        worker.stop()
        markers.close()
        bench.clean_up()
    return RestartBenchResult(
        products=products,
        changelog_bytes=size,
        table_store=settings.table_store,
        first_start_s=round(first, 2),
        restart_to_processing_s=round(restart, 2),
        records_per_s=round(products / restart, 1),
        worker_rss_mib=round(rss, 1),
        warm_restart_s=round(warm, 2),
        database=bench.database,
    )


def _start_and_wait_processed(worker: WorkerProcess, markers: Markers, partitions: int) -> float:
    """Markers on every partition, then the worker: seconds from its start until the risk
    stage's group has committed past all of them (every table partition recovered)."""
    targets = markers.send(range(partitions))
    started = time.monotonic()
    worker.start()
    try:
        done = markers.wait(targets, PROCESSED_TIMEOUT_S, check=lambda: _running(worker))
    except RuntimeError as error:
        raise RuntimeError(f"{error}; the worker's log:\n{worker.log_tail()}") from error
    return max(done.values()) - started


def _running(worker: WorkerProcess) -> None:
    if not worker.running():
        raise RuntimeError("the worker exited before processing the markers")


def _fill_changelog(
    settings: Settings, products: int, advance: Callable[[int], None] | None
) -> int:
    """Produce `products` keyed states onto the product_to_risk changelog; returns the bytes."""
    topic = f"{settings.app_id}-product_to_risk-changelog"
    partitions = settings.topic_partitions
    rng = random.Random(5)
    values = [realistic_state(rng, i) for i in range(DISTINCT_VALUES)]
    producer = KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        linger_ms=50,
        batch_size=512 * 1024,
        compression_type=None,
        **settings.kafka_client_options(),
    )
    total = 0
    try:
        for i in range(products):
            key = f"91140105MA0K{i:06d}/brand/model-{i}".encode()
            value = values[i % DISTINCT_VALUES]
            producer.send(topic, key=key, value=value, partition=partition_of(key, partitions))
            total += len(key) + len(value)
            if advance is not None and i % 10_000 == 9_999:
                advance(10_000)
        producer.flush()
    finally:
        producer.close()
    return total


def _rss_mib(pid: int | None) -> float:
    """Resident set size of the worker process (Linux /proc), in MiB."""
    if pid is None:
        return float("nan")
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def result_json(result: RestartBenchResult) -> bytes:
    return orjson.dumps(asdict(result), option=orjson.OPT_INDENT_2)
