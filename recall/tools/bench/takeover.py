"""`recall bench takeover`: how soon a dead worker's partitions process again on a survivor.

Issue 15 asks that when one of several workers holding 1,000,000 products' state dies, a
survivor is processing its partitions again in < 30 s. With standby replicas
(`RECALL_TABLE_STANDBY_REPLICAS`, docs/streams.md) each partition's `product_to_risk` state is
kept warm in a second worker's RocksDB, so the survivor replays only a changelog tail.

A run, with its own topics, group, database and state directories (`isolated_run`):

1. N realistic states are produced onto the `product_to_risk` changelog, each on its key's
   partition (as `recall bench restart` does); the workers run the risk stages only
   (`RECALL_AGENTS=risk`: the stages that hold the table), RocksDB tables, each worker its own
   state directory, as on its own machine.
2. Three workers start together. The group is *settled* when every `events.canonical`
   partition is active on exactly one worker, every table partition is also held by
   `min(1 + standbys, workers)` workers, and every standby copy has read its changelog to the
   end (each worker's `recall_consumer_lag` gauges on /metrics). Then one marker event per
   partition is produced and the run waits until the group has committed past each of them:
   all three are processing.
3. Each cycle (`--runs`): one worker is killed (SIGKILL: no leave-group, no final commit); at
   once a marker is produced onto every `events.canonical` partition. **Takeover** is the time
   from the kill until the group's committed offset (read through the admin API) has passed
   the marker of every partition the dead worker had owned: the coordinator noticed the death
   (session timeout), the group rebalanced, the new owner restored what its copy lacked and
   processed and committed the marker. Markers are real injury reports for seeded products,
   so processing them reads and writes the taken-over state.
4. Then a new worker starts on an empty state directory (a new machine). **Cold start** is the
   time from its process start until it owns partitions and a marker produced onto each of them
   has been committed: group join, rebalance, restoring those partitions' state from the
   changelog (reported as records), the first batch. The run waits for the group to settle
   again (the newcomer's standby copies too) before the next cycle kills another worker.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import orjson

from recall.adapters.kafka.admin import ensure_changelog_topics
from recall.config import Settings
from recall.tools.bench.isolation import BenchRun, isolated_run
from recall.tools.bench.markers import Markers
from recall.tools.bench.restart import _fill_changelog
from recall.tools.bench.worker_metrics import partition_lags, scrape
from recall.tools.registry.sample import generate
from recall.tools.worker_process import WorkerProcess
from schemas.topics import EVENTS_CANONICAL

WORKERS = 3
METRICS_PORT_OFFSET = 40  # workers' metrics ports: base + 40, 41, …  (other benches use less)
SETTLE_TIMEOUT_S = 1800.0  # 1,000,000 states on a busy 2-core machine took > 900 s
TAKEOVER_TIMEOUT_S = 300.0


@dataclass(frozen=True, slots=True)
class Holding:
    """What one worker holds, from its /metrics: active source partitions and table copies."""

    actives: frozenset[int]
    table_lag: dict[int, float]  # product_to_risk changelog partition → records not yet read

    @property
    def standbys(self) -> frozenset[int]:
        return frozenset(self.table_lag) - self.actives


@dataclass(frozen=True, slots=True)
class TakeoverCycle:
    killed_partitions: list[int]
    takeover_s: float  # kill → every partition the dead worker owned processing again
    survivors_s: float  # kill → the survivors' own partitions' markers (before the rebalance)
    taken_by_standby: int  # of the dead worker's partitions, how many went to their standby
    new_worker_partitions: list[int]
    new_worker_restored_records: int  # changelog records behind its active partitions
    cold_start_s: float  # new worker on an empty disk: process start → its partitions processed
    settle_s: float  # then until its standby copies are current too


@dataclass(frozen=True, slots=True)
class TakeoverBenchResult:
    states: int
    partitions: int
    standby_replicas: int
    workers: int
    session_timeout_s: float
    seed_s: float
    first_start_s: float  # three workers started together → settled and processing
    cycles: list[TakeoverCycle] = field(default_factory=list)
    database: str = ""


def run_takeover_benchmark(
    base: Settings,
    states: int,
    runs: int = 1,
    progress: Callable[[str], None] | None = None,
    advance: Callable[[int], None] | None = None,
) -> TakeoverBenchResult:
    say = progress or (lambda _message: None)
    bench = isolated_run(base.model_copy(update={"table_store": "rocksdb"}), "takeover")
    settings = bench.settings
    probe = Markers(settings, states)
    group = _Group(bench, base.metrics_port + METRICS_PORT_OFFSET)
    try:
        bench.prepare(generate(7))
        changelog = f"{settings.app_id}-product_to_risk-changelog"
        ensure_changelog_topics(settings, [(changelog, settings.topic_partitions)])
        say(f"writing {states:,} product states to the changelog")
        started = time.monotonic()
        _fill_changelog(settings, states, advance)
        seed_s = time.monotonic() - started
        say(f"starting {WORKERS} workers (each restores its partitions and standby copies)")
        started = time.monotonic()
        for _ in range(WORKERS):
            group.add()
        _settle(group.live, settings, probe, say, "first start")
        first_start_s = time.monotonic() - started
        cycles = [_cycle(group, probe, say, f"run {n + 1}/{runs}") for n in range(runs)]
    finally:
        group.kill_all()
        probe.close()
        bench.clean_up()
        for state_dir in bench.workdir.glob("worker-*/"):  # the logs stay, the tables go
            shutil.rmtree(state_dir, ignore_errors=True)
    return TakeoverBenchResult(
        states=states,
        partitions=settings.topic_partitions,
        standby_replicas=settings.table_standby_replicas,
        workers=WORKERS,
        session_timeout_s=settings.consumer_session_timeout_s,
        seed_s=round(seed_s, 2),
        first_start_s=round(first_start_s, 2),
        cycles=cycles,
        database=bench.database,
    )


class _Group:
    """The run's workers: those alive (with their metrics ports) and every one ever started."""

    def __init__(self, bench: BenchRun, first_port: int) -> None:
        self.bench = bench
        self.live: list[tuple[WorkerProcess, int]] = []
        self._started: list[WorkerProcess] = []
        self._next_port = first_port

    def add(self) -> tuple[WorkerProcess, int]:
        """Start a worker on a state directory of its own, empty (a new machine)."""
        port = self._next_port
        self._next_port += 1
        worker = _worker(self.bench, len(self._started), port)
        self._started.append(worker)
        worker.start()
        self.live.append((worker, port))
        return worker, port

    def kill_all(self) -> None:
        for worker in self._started:
            worker.kill()


def _cycle(group: _Group, probe: Markers, say: Callable[[str], None], label: str) -> TakeoverCycle:
    """Kill the worker owning most partitions; time the takeover, then a newcomer's cold start."""
    settings = group.bench.settings
    before = {port: _holding_now(port, settings) for _worker_, port in group.live}
    victim, victim_port = max(group.live, key=lambda wp: len(before[wp[1]].actives))
    owned = sorted(before[victim_port].actives)
    say(f"{label}: kill -9 the worker owning partitions {owned}")
    killed_at = time.monotonic()
    victim.kill()
    group.live.remove((victim, victim_port))
    done = probe.wait_processed(
        range(settings.topic_partitions), TAKEOVER_TIMEOUT_S, lambda: _check_running(group.live)
    )
    takeover_s = max(done[p] for p in owned) - killed_at
    after = {port: _holding_now(port, settings) for _worker_, port in group.live}
    by_standby = sum(
        1
        for p in owned
        for port, held in after.items()
        if p in held.actives and p in before[port].standbys
    )
    say(f"{label}: takeover {takeover_s:.1f} s; starting a new worker on an empty disk")
    joined_at = time.monotonic()
    newcomer, _port = group.add()
    mine, restored = _cold_start(newcomer, group.live, settings, probe)
    cold_s = time.monotonic() - joined_at
    _settle(group.live, settings, probe, say, f"{label}: standby copies")
    return TakeoverCycle(
        killed_partitions=owned,
        takeover_s=round(takeover_s, 2),
        survivors_s=round(
            max((t - killed_at for p, t in done.items() if p not in owned), default=0), 2
        ),
        taken_by_standby=by_standby,
        new_worker_partitions=sorted(mine),
        new_worker_restored_records=restored,
        cold_start_s=round(cold_s, 2),
        settle_s=round(time.monotonic() - joined_at - cold_s, 2),
    )


def _worker(bench: BenchRun, index: int, port: int) -> WorkerProcess:
    """A risk-stage worker with a state directory of its own (its own disk)."""
    state_dir = bench.workdir / f"worker-{index}"
    state_dir.mkdir(parents=True, exist_ok=True)
    env = bench.worker_env(
        port,
        RECALL_STATE_DIR=str(state_dir),
        RECALL_AGENTS="risk",
        RECALL_TABLE_STANDBY_REPLICAS=str(bench.settings.table_standby_replicas),
        RECALL_CONSUMER_SESSION_TIMEOUT_S=str(bench.settings.consumer_session_timeout_s),
    )
    # Killed on purpose: a restart by the supervisor would hide the takeover being measured.
    return WorkerProcess(env, bench.workdir / f"worker-{index}.log", restart_on_crash=False)


def _holding(port: int, settings: Settings) -> Holding | None:
    """The worker's partitions from its lag gauges; None while its port does not answer."""
    metrics = scrape(port)
    return None if metrics is None else parse_holding(metrics, settings)


def parse_holding(metrics: str, settings: Settings) -> Holding:
    """Active `events.canonical` partitions and table changelog copies, from /metrics text.

    The worker exports `recall_consumer_lag` for every partition assigned to it, changelogs
    included (streams/worker.py): a source partition is owned (active); a changelog partition
    whose source partition is not owned is a standby copy, and its lag is how far that copy is
    behind.
    """
    source = settings.topic_name(EVENTS_CANONICAL.name)
    changelog = f"{settings.app_id}-product_to_risk-changelog"
    actives: set[int] = set()
    lags: dict[int, float] = {}
    for topic, partition, lag in partition_lags(metrics):
        if topic == source:
            actives.add(partition)
        elif topic == changelog:
            lags[partition] = lag
    return Holding(frozenset(actives), lags)


def _holding_now(port: int, settings: Settings) -> Holding:
    deadline = time.monotonic() + 30
    while (holding := _holding(port, settings)) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the worker on port {port} does not answer")
        time.sleep(0.25)
    return holding


def settled(holdings: list[Holding | None], settings: Settings) -> bool:
    """Every partition active on one worker, copied on `1 + standbys` workers, copies current."""
    if any(h is None for h in holdings):
        return False
    held = [h for h in holdings if h is not None]
    partitions = set(range(settings.topic_partitions))
    actives = [p for h in held for p in h.actives]
    if sorted(actives) != sorted(partitions):
        return False
    copies = min(1 + settings.table_standby_replicas, len(held))
    for p in partitions:
        if sum(1 for h in held if p in h.table_lag) < copies:
            return False
    return all(h.table_lag[p] == 0 for h in held for p in h.standbys)


def _settle(
    live: list[tuple[WorkerProcess, int]],
    settings: Settings,
    probe: Markers,
    say: Callable[[str], None],
    phase: str,
) -> None:
    """Wait until the group is settled, then until a marker on every partition is processed."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    last = ""
    while True:
        _check_running(live)
        holdings = [_holding(port, settings) for _worker_, port in live]
        if settled(holdings, settings):
            break
        behind = sum(
            lag
            for h in holdings
            if h is not None
            for p, lag in h.table_lag.items()
            if p in h.standbys
        )
        message = f"{phase}: waiting for the group to settle (standby copies {behind:,.0f} behind)"
        if message != last:
            say(message)
            last = message
        if time.monotonic() > deadline:
            raise RuntimeError(f"{phase}: the group did not settle in {SETTLE_TIMEOUT_S:.0f} s")
        time.sleep(0.5)
    probe.wait_processed(
        range(settings.topic_partitions), SETTLE_TIMEOUT_S, lambda: _check_running(live)
    )


def _cold_start(
    newcomer: WorkerProcess,
    live: list[tuple[WorkerProcess, int]],
    settings: Settings,
    probe: Markers,
) -> tuple[frozenset[int], int]:
    """Wait until the new worker owns partitions and has processed a marker on each."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        _check_running(live)
        holdings = [_holding(p, settings) for _worker_, p in live]
        mine = holdings[-1].actives if holdings[-1] is not None else frozenset()
        disjoint = all(h is not None for h in holdings) and sum(
            len(h.actives) for h in holdings if h is not None
        ) == len(set().union(*(h.actives for h in holdings if h is not None)))
        if mine and disjoint:
            probe.wait_processed(sorted(mine), SETTLE_TIMEOUT_S, lambda: _check_running(live))
            return mine, probe.changelog_records(sorted(mine))
        time.sleep(0.25)
    raise RuntimeError(f"the new worker owned no partition:\n{newcomer.log_tail()}")


def _check_running(live: list[tuple[WorkerProcess, int]]) -> None:
    for worker, _port in live:
        if not worker.running():
            raise RuntimeError(f"a worker exited:\n{worker.log_tail()}")


def result_json(result: TakeoverBenchResult) -> bytes:
    return orjson.dumps(asdict(result), option=orjson.OPT_INDENT_2)
