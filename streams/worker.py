"""Run one stream worker: migrate, declare topics, serve metrics, then run the Faust app.

Everything a worker needs is prepared here, in order, with a clear error if a dependency is
missing — so `recall worker` on a fresh machine either works or says what to fix.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import faust
import structlog

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.intake_store import IntakeStore
from recall.adapters.db.migrate import upgrade
from recall.adapters.kafka.admin import ensure_changelog_topics, ensure_topics
from recall.config import Settings
from streams import loop_lag
from streams.app import create_app
from streams.batch_consumer import batch_consumers
from streams.context import WorkerContext
from streams.health import ReadinessCheck, serve
from streams.metrics import WorkerMetrics
from streams.readiness import Readiness
from streams.supervision import Supervision, supervise_agents, supervision_of, watch_app
from streams.table_store import changelog_topics
from streams.timers import supervised_timer

log = structlog.get_logger(__name__)


def build_context(settings: Settings) -> WorkerContext:
    upgrade(settings.sqlalchemy_url)
    ensure_topics(settings)
    sessions = make_session_factory(make_engine(settings.sqlalchemy_url))
    context = WorkerContext(
        settings=settings, store=IntakeStore(sessions), metrics=WorkerMetrics(), sessions=sessions
    )
    context.refresh_reporters()
    return context


def add_housekeeping(app: faust.App, context: WorkerContext) -> None:
    supervision = supervision_of(context)
    app.add_dependency(loop_lag.LoopLagProbe(context.metrics.loop_lag))  # from the start

    # Reading the registry again is idempotent: a failed refresh keeps the previous cache.
    @supervised_timer(
        app, supervision, "refresh_registry", context.settings.registry_refresh_seconds
    )
    async def refresh_registry() -> None:
        await asyncio.to_thread(context.refresh_reporters)

    reported: set[tuple[str, str]] = set()
    sources = source_topics(app)

    # Every second, not every five: readiness needs to see a stalled partition soon.
    @supervised_timer(app, supervision, "measure_consumer_lag", 1.0)
    async def measure_consumer_lag() -> None:
        consumer: Any = app.consumer
        read_offsets = getattr(consumer, "_read_offset", {})
        committed = getattr(consumer, "_committed_offset", {})
        assignment = consumer.assignment()
        assigned = {(tp.topic, str(tp.partition)) for tp in assignment}
        for labels in reported - assigned:  # partitions lost in a rebalance: no stale values
            context.metrics.consumer_lag.remove(*labels)
        reported.clear()
        reported.update(assigned)
        progress: dict[str, tuple[int, int]] = {}
        for tp in assignment:
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            position = read_offsets.get(tp)
            lag = highwater - (position + 1 if position is not None else 0)
            context.metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, lag))
            if tp.topic in sources:
                done = committed.get(tp)
                progress[f"{tp.topic}[{tp.partition}]"] = (done or 0, highwater)
        for stage in batch_consumers(app):  # intake.raw: its own consumer, Kafka's offsets
            for (topic, partition), state in stage.progress().items():
                reported.add((topic, str(partition)))
                if state.highwater is not None:
                    lag = max(0, state.highwater - state.read)
                    context.metrics.consumer_lag.labels(topic, str(partition)).set(lag)
                    progress[f"{topic}[{partition}]"] = (state.committed, state.highwater)
        supervision.observe_partitions(progress)


def consumption_probe(app: faust.App, supervision: Supervision) -> Callable[[], Awaitable[None]]:
    """What the watchdog runs on the loop each second: how far each assigned partition has got.

    For the agents' topics that is the committed (processed and acknowledged) offset, so an
    agent stuck inside a batch shows as no progress even while the fetcher reads ahead; for
    the other partitions (table changelogs) the read position, so a table recovery counts as
    progress. Records wait when an agent topic's high-water mark is past its committed offset.
    """
    sources = source_topics(app)

    async def probe() -> None:
        any_app: Any = app
        consumer: Any = any_app._consumer
        positions: dict[str, int] = {}
        backlog = False
        for stage in batch_consumers(app):  # committed is Kafka's next offset here
            for (topic, partition), state in stage.progress().items():
                positions[f"{topic}[{partition}]"] = state.committed
                waiting = state.highwater is not None and state.highwater > state.committed
                backlog = backlog or waiting
        if consumer is None:  # not created yet: nothing assigned, nothing waiting
            supervision.observe_consumption(positions, backlog=backlog)
            return
        read_offsets = getattr(consumer, "_read_offset", {})
        committed = getattr(consumer, "_committed_offset", {})
        for tp in consumer.assignment():
            source = tp.topic in sources
            position = committed.get(tp) if source else read_offsets.get(tp)
            positions[f"{tp.topic}[{tp.partition}]"] = -1 if position is None else position
            highwater = consumer.highwater(tp)
            if source and highwater is not None:
                backlog = backlog or highwater > (position if position is not None else -1) + 1
        supervision.observe_consumption(positions, backlog)

    return probe


def source_topics(app: faust.App) -> set[str]:
    """The topics the agents and batch consumers consume: must keep moving for `/ready`.

    Table changelogs and Faust's leader topic are assigned too but are not consumed by an
    agent after recovery, so their positions never move and must not count as stalls.
    """
    names: set[str] = {stage.topic for stage in batch_consumers(app)}
    for agent in app.agents.values():
        channel: Any = agent.channel
        names.update(getattr(channel, "topics", ()))
    return names


def readiness_check(app: faust.App, supervision: Supervision) -> ReadinessCheck:
    """`/ready` as a function of the running app (read from the HTTP thread: flags only)."""

    def check() -> Readiness:
        any_app: Any = app
        return supervision.check(
            started=bool(any_app.started),
            joined_group=any_app.rebalancing_count > 0,
            rebalancing=bool(any_app.rebalancing),
            crashed=repr(any_app.crash_reason) if any_app.crashed else None,
        )

    return check


class SpinnerlessWorker(faust.Worker):
    """Faust's worker without its terminal spinner.

    To spin on every log record the spinner sets the root logger to DEBUG, so every debug call
    in Faust, mode and aiokafka builds a LogRecord even when nothing prints it: on a restart
    with 200,000 product states that was a third of the changelog replay.
    """

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        self.spinner = None
        super().on_setup_root_logger(logger, level)


def tune_garbage_collector(young_threshold: int) -> None:
    """Keep the cyclic collector off the start-up heap and out of the per-record path.

    With Python's defaults (a young collection every 700 allocations, an older one every 10
    of those, a full one every 10 of the older) the collector took ~55 µs of the intake's
    ~290 µs CPU per record: validation allocates a few hundred objects per record, and every
    full pass walked the whole
    imported heap (Faust, aiokafka, SQLAlchemy, pydantic's schemas). Freezing that heap once
    started moves it out of every pass for good, and a young threshold of 50,000 makes the
    passes rare: almost all of a batch's objects are freed by reference counting anyway; only
    garbage in reference cycles waits longer for a pass (docs/benchmarks.md, "Intake CPU per
    record"). 0 keeps the defaults.
    """
    if young_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, max(middle, 20), max(old, 100))


def run_worker(settings: Settings, *, loglevel: str = "warn") -> None:
    context = build_context(settings)
    app = create_app(context)
    ensure_changelog_topics(settings, changelog_topics(app))
    add_housekeeping(app, context)
    supervise_agents(app)  # after every agent is registered: an agent crash exits the process
    serve(
        settings.metrics_host,
        settings.metrics_port,
        context.metrics.registry,
        readiness_check(app, supervision_of(context)),
    )
    supervision = supervision_of(context)
    watch_app(app, supervision, consumption_probe(app, supervision))
    log.info(
        "worker starting",
        brokers=settings.bootstrap_servers,
        database=settings.masked().get("database_url") or "sqlite (local)",
        metrics=f"{settings.metrics_host}:{settings.metrics_port}",
        reporters=len(context.reporters),
    )
    worker = SpinnerlessWorker(app, loglevel=loglevel, quiet=True)
    tune_garbage_collector(settings.gc_young_threshold)
    worker.execute_from_commandline()
