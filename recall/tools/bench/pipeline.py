"""`recall bench pipeline`: the whole path, intake → risk → investigation, on one worker.

1. Throughput: N pre-produced events (injury reports and sampling results from registered
   stations); the rate is measured from the worker's first stored event until every event is
   stored *and* the risk agent has committed past all of them.
2. A latency-versus-load curve: at each load (by default 25%, 50% and 75% of that rate) the
   bench sends background traffic at that rate and, among it, serious sampling failures of
   distinct products on a fixed schedule (`TRIGGERS_PER_S`); each opens an investigation at
   once. Latency = investigation opened (commit time) − the triggering record's timestamp (set
   by the station's producer when it sent the record). A point starts only once the previous
   one has drained (every event stored, committed lag 0 on every inter-stage topic), so the
   points are independent: a backlog left by 75% would otherwise be billed to the next point.
3. The aiokafka ceiling (recall.tools.bench.ceiling) over the same topic, same broker, same
   run, with the worker stopped: the sustained rate is stated as a fraction of it.

A run repeats all of it on fresh topics and a fresh database; `runs` > 1 gives the spread of
p99 at each load, because one run's tail is a sample of one (see docs/benchmarks.md).
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.intake_store import IntakeStore
from recall.adapters.db.key_store import server_side_keys
from recall.adapters.db.models import InvestigationRow
from recall.adapters.kafka.producer import StationSender
from recall.config import Settings
from recall.tools.bench.ceiling import measure_ceiling
from recall.tools.bench.intake import CHINA_TZ, _window_rate
from recall.tools.bench.isolation import BenchRun, isolated_run, population
from recall.tools.bench.lag import committed_lag
from recall.tools.bench.spread import Spread, spread
from recall.tools.registry.sample import generate
from recall.tools.simulate.events import SimProduct, SimStation, sampling_result, station_event
from recall.tools.worker_process import WorkerProcess, cpu_seconds, wait_for

# Injuries spread over a year: the province's annual volume at its real per-product density
# (a burst of 20,000 injuries over 3 days would make every product look like an outbreak).
YEAR_HOURS = 365 * 24.0
DEFAULT_LOADS = (0.25, 0.5, 0.75)
# Four triggers a second: 30 s per point gives 120 triggers, so p99 is the 2nd-slowest of 120
# rather than the slowest of 30 (at fewer than 100, "p99" is just the maximum).
TRIGGERS_PER_S = 4.0
# The producer sends what is due in bursts of at most this many records, then checks the
# trigger schedule again: a trigger never waits behind a long catch-up burst.
BURST = 25
# Inter-stage topics whose committed lag must be 0 for the worker to be idle.
STAGE_TOPICS = ("events.canonical", "risk.regional", "risk.signals")
DRAIN_TIMEOUT_S = 300.0


@dataclass(frozen=True, slots=True)
class LoadPoint:
    """One point of the curve. `sent_events_per_s` is what the producer achieved (it shares the
    cores with the worker); `trigger_late_max_s` how far behind its schedule a trigger went out;
    the CPU figures are cores used during the sending phase (1.0 = one core busy)."""

    load: float
    started_at: str  # UTC, ISO 8601: to line the point up with the worker's log
    target_events_per_s: float
    sent_events_per_s: float
    triggers: int
    opened: int
    p50_s: float
    p95_s: float
    p99_s: float
    max_s: float
    trigger_late_max_s: float
    worker_cpu: float
    producer_cpu: float
    drain_s: float
    # Least-squares slope of latency over send time (s per s): > 0 means a queue grew during
    # the phase (the load was above what the worker sustained), ~0 with a high max a stall.
    latency_growth: float
    slowest: list[tuple[float, float]]  # (seconds into the phase it was sent, latency s)


@dataclass(frozen=True, slots=True)
class PipelineRun:
    events: int
    events_per_s: float
    ceiling_events_per_s: float
    ratio: float
    points: list[LoadPoint]
    database: str
    # What the loads are fractions of: the measured sustained rate, or `--rate` when given.
    load_base_events_per_s: float


@dataclass(frozen=True, slots=True)
class PipelineBenchResult:
    runs: list[PipelineRun]
    loads: list[float]
    p99_spread: list[Spread]  # one per load, in `loads` order
    events_per_s_spread: Spread
    ratio_spread: Spread


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: a reported p99 is a latency that happened)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def load_point(
    load: float,
    target_events_per_s: float,
    sent_events_per_s: float,
    triggers: int,
    samples: Sequence[tuple[float, float]],
    *,
    trigger_late_max_s: float = 0.0,
    worker_cpu: float = float("nan"),
    producer_cpu: float = float("nan"),
    drain_s: float = float("nan"),
    slowest: int = 5,
    started_at: str = "",
) -> LoadPoint:
    """Assemble a point from (seconds into the phase, latency) per opened investigation."""
    latencies = [latency for _, latency in samples]
    nan = float("nan")

    def q(value: float) -> float:
        return round(value, 4) if latencies else nan

    return LoadPoint(
        load=load,
        started_at=started_at,
        target_events_per_s=round(target_events_per_s, 1),
        sent_events_per_s=round(sent_events_per_s, 1),
        triggers=triggers,
        opened=len(latencies),
        p50_s=q(percentile(latencies, 0.5)) if latencies else nan,
        p95_s=q(percentile(latencies, 0.95)) if latencies else nan,
        p99_s=q(percentile(latencies, 0.99)) if latencies else nan,
        max_s=q(max(latencies)) if latencies else nan,
        trigger_late_max_s=round(trigger_late_max_s, 4),
        worker_cpu=round(worker_cpu, 2),
        producer_cpu=round(producer_cpu, 2),
        drain_s=round(drain_s, 2),
        latency_growth=round(growth(samples), 4),
        slowest=[
            (round(at, 2), round(latency, 4))
            for at, latency in sorted(samples, key=lambda s: s[1], reverse=True)[:slowest]
        ],
    )


def growth(samples: Sequence[tuple[float, float]]) -> float:
    """Slope of latency against send time (least squares); NaN under two distinct times."""
    if len(samples) < 2:
        return float("nan")
    xs, ys = [x for x, _ in samples], [y for _, y in samples]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    if var == 0:
        return float("nan")
    return sum((x - mean_x) * (y - mean_y) for x, y in samples) / var


def summarize(runs: Sequence[PipelineRun], loads: Sequence[float]) -> PipelineBenchResult:
    """The runs plus the spread over them of p99 at each load, of the rate and of the ratio."""
    p99s: list[Spread] = []
    for i, _ in enumerate(loads):
        values = [r.points[i].p99_s for r in runs if i < len(r.points)]
        p99s.append(spread([v for v in values if not math.isnan(v)]))
    return PipelineBenchResult(
        runs=list(runs),
        loads=list(loads),
        p99_spread=p99s,
        events_per_s_spread=spread([r.events_per_s for r in runs]),
        ratio_spread=spread([r.ratio for r in runs if not math.isnan(r.ratio)]),
    )


def trigger_schedule(seconds: float, per_second: float = TRIGGERS_PER_S) -> list[float]:
    """Send offsets (s) of a phase's triggers: evenly spaced, first one half a gap in."""
    count = int(seconds * per_second)
    return [(i + 0.5) / per_second for i in range(count)]


def _trigger(lab: SimStation, product: SimProduct, rng: random.Random) -> bytes:
    event = sampling_result(lab, product, rng, datetime.now(CHINA_TZ), fail_rate=1.0)
    event["payload"]["hazards"] = ["electric_shock"]
    event["payload"]["vulnerable_users"] = True
    return orjson.dumps(event)


@dataclass(slots=True)
class _Phase:
    """Everything the load phases share within one run."""

    bench: BenchRun
    sessions: sessionmaker[Session]
    store: IntakeStore
    sender: StationSender
    people: list[SimStation]
    labs: list[SimStation]
    goods: list[SimProduct]
    rng: random.Random
    worker: WorkerProcess
    fresh: Iterator[SimProduct]
    sent_total: int

    def drained(self) -> bool:
        settings = self.bench.settings
        return self.store.counts().events >= self.sent_total and all(
            committed_lag(settings, topic) == 0 for topic in STAGE_TOPICS
        )


def run_pipeline_benchmark(
    base: Settings,
    events: int,
    latency_seconds: float,
    progress: Callable[[str], None] | None = None,
    loads: Sequence[float] = DEFAULT_LOADS,
    runs: int = 1,
    on_run: Callable[[PipelineBenchResult], None] | None = None,
    rate: float | None = None,
) -> PipelineBenchResult:
    """`on_run` gets the summary so far after each run: a long `--runs` that is stopped
    (or fails) keeps the runs already measured. `rate` fixes what the loads are fractions
    of (events/s) instead of each run's measured sustained rate: two commits are compared
    at the same offered load, as the sustained rate moves by a third between runs."""
    say = progress or (lambda _message: None)
    results = []
    for run in range(runs):
        prefix = f"run {run + 1}/{runs}: " if runs > 1 else ""

        def tell(message: str, prefix: str = prefix) -> None:
            say(prefix + message)

        results.append(_one_run(base, events, latency_seconds, tell, loads, rate))
        if on_run is not None:
            on_run(summarize(results, loads))
    return summarize(results, loads)


def _one_run(
    base: Settings,
    events: int,
    latency_seconds: float,
    say: Callable[[str], None],
    loads: Sequence[float],
    fixed_rate: float | None = None,
) -> PipelineRun:
    bench = isolated_run(base, "pipe")
    settings = bench.settings
    sessions = bench.prepare(generate(7))
    who = population(sessions)
    people, labs, goods = who.people, who.labs, who.goods
    rng = random.Random(3)
    say(f"producing {events:,} events")
    sender = StationSender(settings, keys=server_side_keys(sessions, settings), linger_ms=50)
    now = datetime.now(CHINA_TZ)
    for _ in range(events):
        station = rng.choice(people)
        sender.send(
            station.station_id, orjson.dumps(station_event(station, goods, rng, now, YEAR_HOURS))
        )
    sender.flush()
    store = IntakeStore(sessions)
    worker = WorkerProcess(bench.worker_env(base.metrics_port + 2), bench.workdir / "worker.log")
    worker.start()
    points: list[LoadPoint] = []
    try:
        say("measuring throughput")
        samples = _track_processed(settings, store, events, worker)
        rate = _window_rate(samples, events)
        load_base = fixed_rate or rate
        phase = _Phase(
            bench, sessions, store, sender, people, labs, goods, rng, worker,
            _fresh_products(sessions, goods, rng), events,
        )  # fmt: skip
        for load in loads:
            say(f"latency at {load:.0%} load ({load_base * load:,.0f} events/s)")
            points.append(_load_point(phase, load, load_base, latency_seconds))
        worker.stop()
        say("measuring the aiokafka ceiling on the same topic")
        ceiling_rate = _window_rate(measure_ceiling(settings, events), events)
    finally:
        worker.stop()
        sender.close()
        bench.clean_up()
    return PipelineRun(
        events=events,
        events_per_s=round(rate, 1),
        ceiling_events_per_s=round(ceiling_rate, 1),
        ratio=round(rate / ceiling_rate, 3),
        points=points,
        database=bench.database,
        load_base_events_per_s=round(load_base, 1),
    )


def _track_processed(
    settings: Settings, store: IntakeStore, total: int, worker: WorkerProcess
) -> list[tuple[float, int]]:
    """(time, events stored and assessed) samples; 'assessed' = risk agent committed past them,
    and the signals it raised have been turned into investigations."""
    samples: list[tuple[float, int]] = []

    def done() -> bool:
        stored = store.counts().events
        # Stored but not yet through risk assessment (per product, then per region).
        behind = committed_lag(settings, "events.canonical") + committed_lag(
            settings, "risk.regional"
        )
        samples.append((time.monotonic(), max(0, min(stored, total) - behind)))
        finished = stored >= total and behind == 0
        return (finished and committed_lag(settings, "risk.signals") == 0) or not worker.running()

    if not wait_for(done, 900, interval_s=0.5) or not worker.running():
        raise RuntimeError(f"the pipeline did not finish:\n{worker.log_tail()}")
    return samples


def _fresh_products(
    sessions: sessionmaker[Session], goods: list[SimProduct], rng: random.Random
) -> Iterator[SimProduct]:
    """Products with no electric-shock investigation yet, each used once: a trigger on a product
    that has one would only attach evidence (no opening to time)."""
    with sessions() as session:
        busy = set(
            session.scalars(
                select(InvestigationRow.product_key).where(
                    InvestigationRow.hazard == "electric_shock"
                )
            )
        )
    candidates = [g for g in goods if g.product_key not in busy]
    rng.shuffle(candidates)
    return iter(candidates)


def _load_point(phase: _Phase, load: float, rate: float, seconds: float) -> LoadPoint:
    """Send `load` × `rate` events/s for `seconds` with triggers on schedule, then wait for
    every investigation and for the worker to drain."""
    target = rate * load
    schedule = trigger_schedule(seconds)
    products = [p for _, p in zip(schedule, phase.fresh, strict=False)]
    schedule = schedule[: len(products)]
    total = max(int(target * seconds), len(schedule))
    sender, rng, worker = phase.sender, phase.rng, phase.worker
    late_max, sent, fired = 0.0, 0, 0
    cpu_worker, cpu_self = cpu_seconds(worker.pid), time.process_time()
    wall_start, started = time.time(), time.monotonic()
    while (sent < total or fired < len(schedule)) and worker.running():
        elapsed = time.monotonic() - started
        while fired < len(schedule) and schedule[fired] <= elapsed:
            lab = rng.choice(phase.labs)
            sender.send(lab.station_id, _trigger(lab, products[fired], rng))
            late_max = max(late_max, elapsed - schedule[fired])
            fired, sent = fired + 1, sent + 1
        due = min(total, int(target * elapsed) + 1, sent + BURST)
        while sent < due:
            station = rng.choice(phase.people)
            event = station_event(station, phase.goods, rng, datetime.now(CHINA_TZ), YEAR_HOURS)
            sender.send(station.station_id, orjson.dumps(event))
            sent += 1
        upcoming = [sent / target if sent < total else seconds]
        if fired < len(schedule):
            upcoming.append(schedule[fired])
        wait = min(upcoming) - (time.monotonic() - started)
        if wait > 0:
            time.sleep(min(wait, 0.01))  # pacing to a send schedule, not waiting for a result
    sender.flush()
    sending_s = time.monotonic() - started
    worker_cpu = (cpu_seconds(worker.pid) - cpu_worker) / sending_s
    producer_cpu = (time.process_time() - cpu_self) / sending_s
    phase.sent_total += sent
    keys = {p.product_key for p in products[:fired]}

    def rows() -> list[InvestigationRow]:
        with phase.sessions() as session:
            found = session.scalars(
                select(InvestigationRow).where(InvestigationRow.hazard == "electric_shock")
            ).all()
        return [r for r in found if r.product_key in keys]

    wait_for(lambda: len(rows()) >= fired or phase.drained() or not worker.running(), 120)
    if not wait_for(lambda: phase.drained() or not worker.running(), DRAIN_TIMEOUT_S, 0.5):
        raise RuntimeError(f"the worker did not drain after {load:.0%} load")
    if not worker.running():
        raise RuntimeError(f"the worker stopped at {load:.0%} load:\n{worker.log_tail()}")
    drain_s = time.monotonic() - started - sending_s
    samples = []
    for row in rows():
        if row.trigger_sent_at is not None:
            sent_at, opened = _utc(row.trigger_sent_at), _utc(row.opened_at)
            samples.append((sent_at.timestamp() - wall_start, (opened - sent_at).total_seconds()))
    return load_point(
        load,
        target,
        sent / sending_s,
        fired,
        samples,
        trigger_late_max_s=late_max,
        worker_cpu=worker_cpu,
        producer_cpu=producer_cpu,
        drain_s=drain_s,
        started_at=datetime.fromtimestamp(wall_start, UTC).isoformat(timespec="milliseconds"),
    )


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def result_json(result: PipelineBenchResult) -> bytes:
    return orjson.dumps(asdict(result), option=orjson.OPT_INDENT_2)
