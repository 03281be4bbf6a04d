"""CPU cost per record of the intake stage, in process: no broker, no worker, no network.

`recall bench intake` measures the stage end to end against an aiokafka ceiling, so its figure
mixes Kafka, the event loop and the stage's own work. This harness isolates the last: the same
signed, realistic station records the bench produces (`recall.tools.simulate.events`, signed
with the stations' server-side keys) run through `process_record` (parse, authenticate,
validate, admit, build the canonical record or the dead letter), then `store_batch` in batches
of the worker's size on a scratch SQLite database migrated and loaded with the sample registry,
exactly as a worker's context reads it. Each phase is timed separately, in process CPU µs per
record (wall time too); each run uses fresh records and a fresh copy of the database, so every
insert is a real insert.

    python -m recall.tools.bench.intake_cpu --events 20000 --runs 3
    python -m recall.tools.bench.intake_cpu --events 5000 --profile admit   # cProfile a phase
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import Engine

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.intake_store import IntakeStore
from recall.adapters.db.key_store import server_side_keys
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.registry_store import load_registry
from recall.config import Settings
from recall.service.intake.admission import IntakeRules, Outcome, RawRecord, process_record
from recall.service.intake.batch import store_batch
from recall.tools.bench.isolation import population
from recall.tools.registry.sample import SampleSizes, generate
from recall.tools.simulate.events import Breakage, break_event, station_event
from schemas.signing import signing_headers
from schemas.topics import INTAKE_RAW
from streams.agents.intake import INTAKE_BATCH
from streams.context import WorkerContext
from streams.metrics import WorkerMetrics
from streams.worker import tune_garbage_collector

CHINA_TZ = timezone(timedelta(hours=8))
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PhaseTimes:
    admit_us: float
    """CPU µs per record in `process_record`."""
    store_us: float
    """CPU µs per record in `store_batch` (batches of `INTAKE_BATCH`)."""
    wall_us: float
    """Wall-clock µs per record of both phases (includes waiting for a busy machine's CPU)."""
    gc_us: float
    """CPU µs per record spent in the cyclic garbage collector while the batches ran."""
    stored: int
    """Events stored: a check that the records are valid and the run did real inserts."""
    dead_letters: int


def _template(workdir: Path) -> Path:
    """A migrated SQLite database with the sample registry (and its stations' keys) loaded."""
    path = workdir / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    load_registry(
        make_session_factory(engine),
        generate(7, SampleSizes(manufacturers=300, standards=10, labs=10)),
    )
    engine.dispose()  # checkpoints the WAL into the file, so a plain copy holds everything
    return path


def _context(path: Path) -> tuple[WorkerContext, Engine]:
    settings = Settings(database_url=f"sqlite:///{path}")
    engine = make_engine(settings.sqlalchemy_url)
    sessions = make_session_factory(engine)
    context = WorkerContext(
        settings=settings, store=IntakeStore(sessions), metrics=WorkerMetrics(), sessions=sessions
    )
    context.refresh_reporters()
    return context, engine


def make_records(context: WorkerContext, n: int, broken: float, seed: int) -> list[RawRecord]:
    """`n` records as stations send them: signed, dated around now, a fraction `broken`."""
    who = population(context.sessions)
    stations, products = who.people + who.labs, who.goods
    keys = server_side_keys(context.sessions, context.settings)
    rng = random.Random(seed)
    now = datetime.now(CHINA_TZ)
    topic = context.settings.topic_name(INTAKE_RAW.name)
    kinds = list(Breakage)
    records = []
    for offset in range(n):
        station = rng.choice(stations)
        event = station_event(station, products, rng, now)
        if rng.random() < broken:
            breakage = rng.choice(kinds)
            value = break_event(event, breakage)
            signed = breakage is not Breakage.UNSIGNED
        else:
            value, signed = orjson.dumps(event), True
        headers = signing_headers(keys(station.station_id), value) if signed else []
        key = station.station_id.encode()
        records.append(RawRecord(topic, offset % 12, offset, key, value, headers))
    return records


def run_once(
    template: Path,
    workdir: Path,
    n: int,
    broken: float,
    seed: int,
    profile: str | None,
    gc_young_threshold: int = 0,
) -> PhaseTimes:
    """One run, batch by batch as the worker goes: admit a batch, store it, let it go.

    Holding every outcome of the run at once would grow the heap far past a worker's and
    make the garbage collector's full passes part of the figure. The heap still holds the
    run's input and everything imported (a worker holds more: Faust, aiokafka);
    `gc_young_threshold` > 0 sets the collector up as the worker does once started
    (`streams.worker.tune_garbage_collector`: that heap frozen, young passes rare), 0 leaves
    Python's defaults, to show what the collector costs either way.
    """
    path = workdir / f"run-{seed}-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, path)
    context, engine = _context(path)
    records = make_records(context, n, broken, seed)
    rules = context.rules
    thresholds = gc.get_threshold()
    tune_garbage_collector(gc_young_threshold)
    collections = _GcClock()
    gc.callbacks.append(collections)
    admit, store = _Clock(profile == "admit"), _Clock(profile == "store")
    stored = letters = 0
    for i in range(0, n, INTAKE_BATCH):
        batch = records[i : i + INTAKE_BATCH]
        now = datetime.now(UTC)
        items = admit.time(_admit_all, batch, rules, now)
        result = store.time(store_batch, context.storage, items, context.reporters, now)
        stored, letters = stored + result.inserted, letters + result.dead_letters
    gc.callbacks.remove(collections)
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    engine.dispose()
    for leftover in workdir.glob(f"{path.name}*"):  # the database, its WAL and shared memory
        leftover.unlink()
    admit.report()
    store.report()
    return PhaseTimes(
        admit.cpu / n * 1e6,
        store.cpu / n * 1e6,
        (admit.wall + store.wall) / n * 1e6,
        collections.cpu / n * 1e6,
        stored,
        letters,
    )


def _admit_all(
    batch: list[RawRecord], rules: IntakeRules, now: datetime
) -> list[tuple[RawRecord, Outcome]]:
    return [(record, process_record(record, rules, now)) for record in batch]


class _GcClock:
    """A `gc.callbacks` entry adding up the CPU time of every collection."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            self.cpu += time.process_time() - self._start


class _Clock:
    """Process CPU time and wall time spent in one phase, over every batch of a run.

    CPU time is what is compared: on a machine shared with other work, wall time also counts
    the time this process waited for a core. SQLite runs in this process, so its work counts.
    """

    def __init__(self, profile: bool) -> None:
        self.cpu = 0.0
        self.wall = 0.0
        self.profiler = cProfile.Profile() if profile else None

    def time(self, action: Callable[..., T], *args: Any) -> T:
        start, start_cpu = time.perf_counter(), time.process_time()
        if self.profiler is not None:
            result = self.profiler.runcall(action, *args)
        else:
            result = action(*args)
        self.cpu += time.process_time() - start_cpu
        self.wall += time.perf_counter() - start
        return result

    def report(self) -> None:
        if self.profiler is not None:
            stats = pstats.Stats(self.profiler)
            stats.sort_stats("tottime").print_stats(30)
            stats.sort_stats("cumulative").print_stats(40)


def _summary(name: str, values: list[float]) -> str:
    each = ", ".join(f"{v:.1f}" for v in values)
    return (
        f"{name:<14} median {statistics.median(values):8.1f} µs/record"
        f"  (min {min(values):.1f}, max {max(values):.1f}; runs {each})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--broken", type=float, default=0.02, help="fraction of broken records")
    parser.add_argument("--profile", choices=("admit", "store"), default=None)
    parser.add_argument(
        "--gc-young-threshold",
        type=int,
        default=Settings().gc_young_threshold,
        help="the worker's collector setting (RECALL_GC_YOUNG_THRESHOLD); 0: Python's defaults",
    )
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="recall-intake-cpu-"))
    try:
        template = _template(workdir)
        runs = [
            run_once(
                template,
                workdir,
                args.events,
                args.broken,
                seed,
                args.profile,
                args.gc_young_threshold,
            )
            for seed in range(1, args.runs + 1)
        ]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    admit = [r.admit_us for r in runs]
    store = [r.store_us for r in runs]
    total = [r.admit_us + r.store_us for r in runs]
    frozen = (
        f", heap frozen, young threshold {args.gc_young_threshold}"
        if args.gc_young_threshold > 0
        else ", Python's collector defaults"
    )
    print(
        f"{args.events} records a run, {args.broken:.0%} broken, {args.runs} runs{frozen}; CPU time"
    )
    print("stored / dead letters per run:", ", ".join(f"{r.stored}/{r.dead_letters}" for r in runs))
    print(_summary("process_record", admit))
    print(_summary("store_batch", store))
    print(_summary("total", total))
    print(_summary("of which GC", [r.gc_us for r in runs]))
    print(_summary("total (wall)", [r.wall_us for r in runs]))


if __name__ == "__main__":
    main()
