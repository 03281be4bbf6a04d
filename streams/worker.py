"""Run one stream worker: migrate, declare topics, serve metrics, then run the Faust app.

Everything a worker needs is prepared here, in order, with a clear error if a dependency is
missing — so `recall worker` on a fresh machine either works or says what to fix.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
import structlog
from prometheus_client import start_http_server

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.intake_store import IntakeStore
from recall.adapters.db.migrate import upgrade
from recall.adapters.kafka.admin import ensure_topics
from recall.config import Settings
from streams.app import create_app
from streams.context import WorkerContext
from streams.faust_types import timer
from streams.metrics import WorkerMetrics

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
    @timer(app, context.settings.registry_refresh_seconds)
    async def refresh_registry() -> None:
        await asyncio.to_thread(context.refresh_reporters)

    reported: set[tuple[str, str]] = set()

    @timer(app, 5.0)
    async def measure_consumer_lag() -> None:
        consumer: Any = app.consumer
        read_offsets = getattr(consumer, "_read_offset", {})
        assigned = {(tp.topic, str(tp.partition)) for tp in consumer.assignment()}
        for labels in reported - assigned:  # partitions lost in a rebalance: no stale values
            context.metrics.consumer_lag.remove(*labels)
        reported.clear()
        reported.update(assigned)
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            position = read_offsets.get(tp)
            lag = highwater - (position + 1 if position is not None else 0)
            context.metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, lag))


class SpinnerlessWorker(faust.Worker):
    """Faust's worker without its terminal spinner.

    To spin on every log record the spinner sets the root logger to DEBUG, so every debug call
    in Faust, mode and aiokafka builds a LogRecord even when nothing prints it: on a restart
    with 200,000 product states that was a third of the changelog replay.
    """

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        self.spinner = None
        super().on_setup_root_logger(logger, level)


def run_worker(settings: Settings, *, loglevel: str = "warn") -> None:
    context = build_context(settings)
    start_http_server(settings.metrics_port, registry=context.metrics.registry)
    app = create_app(context)
    add_housekeeping(app, context)
    log.info(
        "worker starting",
        brokers=settings.bootstrap_servers,
        database=settings.masked().get("database_url") or "sqlite (local)",
        metrics_port=settings.metrics_port,
        reporters=len(context.reporters),
    )
    worker = SpinnerlessWorker(app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()
