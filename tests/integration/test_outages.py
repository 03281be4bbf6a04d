"""Outages mid-stream: a database that goes away and comes back, a broker killed and restarted.

Each test uses its own PostgreSQL cluster or broker so the outage cannot disturb other tests.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from recall.adapters.broker import local
from recall.config import Settings
from tests.support.broker import local_broker_settings
from tests.support.events import valid_events
from tests.support.pipeline import Pipeline
from tests.support.postgres import new_cluster

pytestmark = pytest.mark.integration


def _send(pipeline: Pipeline, records: list[tuple[str, bytes]]) -> None:
    sender = pipeline.sender()
    for reporter, value in records:
        sender.send(reporter, value)
    sender.flush()
    sender.close()


def test_database_outage_stalls_then_drains_without_loss(
    broker_settings: Settings, tmp_path: Path
) -> None:
    cluster = new_cluster(Path(tempfile.mkdtemp(prefix="recall-outage-pg-")))
    cluster.start()
    try:
        pipeline = Pipeline.create(broker_settings, cluster.url, tmp_path)
        try:
            first, second = (
                valid_events(pipeline.registry, 400, seed=21)[:200],
                valid_events(pipeline.registry, 400, seed=21)[200:],
            )
            pipeline.start_worker()
            _send(pipeline, first)
            pipeline.wait_counts(events=200, dead_letters=0, duplicates=0)
            cluster.stop()  # the system of record goes away mid-stream
            _send(pipeline, second)
            worker = pipeline.workers[0]
            pipeline.wait(
                lambda: "store write failed; retrying" in worker.log_tail(200), timeout_s=60
            )
            assert worker.running(), "a database outage must stall the worker, not kill it"
            cluster.restart()
            counts = pipeline.wait_counts(events=400, dead_letters=0, duplicates=0, timeout_s=120)
            assert counts.events == 400
            assert counts.duplicates == 0 and counts.dead_letters == 0
        finally:
            pipeline.close()
    finally:
        cluster.stop_if_running()


def test_broker_killed_and_restarted_loses_nothing(tmp_path: Path, database_url: str) -> None:
    broker = local_broker_settings(tmp_path / "broker", heap="384m")
    local.start(broker, timeout_s=180)
    try:
        pipeline = Pipeline.create(broker, database_url, tmp_path / "work")
        try:
            records = valid_events(pipeline.registry, 3000, seed=33)
            pipeline.start_worker()
            _send(pipeline, records[:1500])
            pipeline.wait(lambda: pipeline.counts().events >= 300, timeout_s=90)
            local.kill(broker)  # SIGKILL: no clean shutdown, unflushed segments
            local.start(broker, timeout_s=180)
            _send(pipeline, records[1500:])
            counts = pipeline.wait_counts(events=3000, dead_letters=0, duplicates=0, timeout_s=240)
            assert counts.events == 3000
            assert counts.duplicates == 0, "redelivery after a broker crash is not duplication"
        finally:
            pipeline.close()
    finally:
        local.stop(broker)
