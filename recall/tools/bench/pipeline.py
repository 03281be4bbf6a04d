"""`recall bench pipeline`: the whole path, intake → risk → investigation, on one worker.

1. Throughput: N pre-produced events (injury reports and sampling results from registered
   stations); the rate is measured from the worker's first stored event until every event is
   stored *and* the risk agent has committed past all of them.
2. Latency at half that load: the bench sends background traffic at 50% of the measured rate
   and, among it, serious sampling failures of distinct products; each opens an investigation
   at once. Latency = investigation opened (commit time) − the triggering record's timestamp
   (set by the station's producer when it sent the record). Percentiles over all triggers.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
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
from recall.tools.bench.intake import CHINA_TZ, _window_rate
from recall.tools.bench.isolation import isolated_run, population
from recall.tools.registry.sample import generate
from recall.tools.simulate.events import SimProduct, SimStation, sampling_result, station_event
from recall.tools.worker_process import WorkerProcess, wait_for

# Injuries spread over a year: the province's annual volume at its real per-product density
# (a burst of 20,000 injuries over 3 days would make every product look like an outbreak).
YEAR_HOURS = 365 * 24.0


@dataclass(frozen=True, slots=True)
class PipelineBenchResult:
    events: int
    events_per_s: float
    latency_load_events_per_s: float
    triggers: int
    investigations_opened: int
    latency_p50_s: float
    latency_p95_s: float
    latency_p99_s: float
    latency_max_s: float
    database: str


def _trigger(lab: SimStation, product: SimProduct, rng: random.Random) -> bytes:
    event = sampling_result(lab, product, rng, datetime.now(CHINA_TZ), fail_rate=1.0)
    event["payload"]["hazards"] = ["electric_shock"]
    event["payload"]["vulnerable_users"] = True
    return orjson.dumps(event)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run_pipeline_benchmark(
    base: Settings,
    events: int,
    latency_seconds: float,
    progress: Callable[[str], None] | None = None,
) -> PipelineBenchResult:
    say = progress or (lambda _message: None)
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
    try:
        say("measuring throughput")
        samples = _track_processed(settings, store, events, worker)
        rate = _window_rate(samples, events)
        say(f"measuring latency at half load ({rate / 2:,.0f} events/s)")
        latencies, triggers = _latency_run(
            settings, sessions, sender, people, labs, goods, rng, rate / 2, latency_seconds, worker
        )
    finally:
        worker.stop()
        sender.close()
        bench.clean_up()
    return PipelineBenchResult(
        events=events,
        events_per_s=round(rate, 1),
        latency_load_events_per_s=round(rate / 2, 1),
        triggers=triggers,
        investigations_opened=len(latencies),
        latency_p50_s=round(statistics.median(latencies), 4) if latencies else float("nan"),
        latency_p95_s=round(_percentile(latencies, 0.95), 4) if latencies else float("nan"),
        latency_p99_s=round(_percentile(latencies, 0.99), 4) if latencies else float("nan"),
        latency_max_s=round(max(latencies), 4) if latencies else float("nan"),
        database=bench.database,
    )


def _track_processed(
    settings: Settings, store: IntakeStore, total: int, worker: WorkerProcess
) -> list[tuple[float, int]]:
    """(time, events stored and assessed) samples; 'assessed' = risk agent committed past them,
    and the signals it raised have been turned into investigations."""
    from recall.tools.bench.lag import committed_lag

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


def _latency_run(
    settings: Settings,
    sessions: sessionmaker[Session],
    sender: StationSender,
    people: list[SimStation],
    labs: list[SimStation],
    goods: list[SimProduct],
    rng: random.Random,
    rate: float,
    seconds: float,
    worker: WorkerProcess,
) -> tuple[list[float], int]:
    # Products with an electric-shock investigation from the throughput phase would only get
    # evidence attached (no new opening to time): trigger on the others.
    with sessions() as session:
        busy = set(
            session.scalars(
                select(InvestigationRow.product_key).where(
                    InvestigationRow.hazard == "electric_shock"
                )
            )
        )
    candidates = [g for g in goods if g.product_key not in busy]
    fresh = rng.sample(candidates, min(len(candidates), int(seconds * 4) + 1))
    every = max(1, int(rate / 4))  # about four triggers per second
    started, sent, triggers = time.monotonic(), 0, 0
    total = int(rate * seconds)
    while sent < total and worker.running():
        if sent % every == 0 and triggers < len(fresh):
            lab = rng.choice(labs)
            sender.send(lab.station_id, _trigger(lab, fresh[triggers], rng))
            triggers += 1
        else:
            station = rng.choice(people)
            sender.send(
                station.station_id,
                orjson.dumps(
                    station_event(station, goods, rng, datetime.now(CHINA_TZ), YEAR_HOURS)
                ),
            )
        sent += 1
        ahead = sent / rate - (time.monotonic() - started)
        if ahead > 0.002:
            time.sleep(ahead)  # pacing to the requested rate
    sender.flush()
    keys = {p.product_key for p in fresh[:triggers]}

    def rows() -> list[InvestigationRow]:
        with sessions() as session:
            found = session.scalars(
                select(InvestigationRow).where(InvestigationRow.hazard == "electric_shock")
            ).all()
        return [r for r in found if r.product_key in keys]

    wait_for(lambda: len(rows()) >= triggers or not worker.running(), 120)
    latencies = []
    for row in rows():
        if row.trigger_sent_at is not None:
            opened = row.opened_at if row.opened_at.tzinfo else row.opened_at.replace(tzinfo=UTC)
            sent_at = (
                row.trigger_sent_at
                if row.trigger_sent_at.tzinfo
                else row.trigger_sent_at.replace(tzinfo=UTC)
            )
            latencies.append((opened - sent_at).total_seconds())
    return latencies, triggers


def result_json(result: PipelineBenchResult) -> bytes:
    return orjson.dumps(asdict(result), option=orjson.OPT_INDENT_2)
