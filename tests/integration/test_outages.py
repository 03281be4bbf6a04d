"""Outages mid-stream: a database that goes away and comes back, a broker killed and restarted.

Each test uses its own PostgreSQL cluster or broker so the outage cannot disturb other tests.
The database tests do not hope that a timer fires inside the outage: they read the worker's
own metrics and wait until every timer that touches the database has failed in it.
"""

from __future__ import annotations

import json
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from recall.adapters.broker import local
from recall.adapters.kafka.producer import StationSender
from recall.config import Settings
from tests.support.broker import local_broker_settings
from tests.support.events import valid_events
from tests.support.pipeline import Pipeline
from tests.support.postgres import PostgresCluster, new_cluster

pytestmark = pytest.mark.integration

# Every timer of a worker running all stages (streams/worker.py, streams/agents/*.py), and the
# ones among them that read or write the database.
TIMERS = ("refresh_registry", "check_report_deadlines", "publish_outbox", "measure_consumer_lag")
DB_TIMERS = ("refresh_registry", "check_report_deadlines", "publish_outbox", "dispatch_webhooks")
"""Timers that read SQL often enough to fail, each of them, inside the outage."""
SLOW_DB_TIMERS = ("webhook_gauges", "read_domain_gauges", "check_station_health")
"""Timers that read SQL too, less often: they may be failing too, but need not fire in it."""
RECOVERY_BOUND_S = 60.0

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _send(
    pipeline: Pipeline, records: list[tuple[str, bytes]], sender: StationSender | None = None
) -> None:
    """Send and flush; pass a `sender` made earlier when the database (its keys) is down."""
    sender = sender or pipeline.sender()
    for reporter, value in records:
        sender.send(reporter, value)
    sender.flush()
    sender.close()


def _get(pipeline: Pipeline, path: str) -> tuple[int, bytes]:
    url = f"http://127.0.0.1:{pipeline.settings.metrics_port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _samples(pipeline: Pipeline) -> Samples:
    """The worker's metrics now, or nothing while its port is not yet open."""
    try:
        status, body = _get(pipeline, "/metrics")
    except OSError:
        return {}
    assert status == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def _timer_runs(samples: Samples, timer: str) -> float:
    return samples.get(("recall_timer_runs_total", (("timer", timer),)), 0.0)


def _timer_failures(samples: Samples, timer: str, kind: str = "transient") -> float:
    return samples.get(("recall_timer_failures_total", (("kind", kind), ("timer", timer))), 0.0)


def _readiness(pipeline: Pipeline) -> tuple[int, dict[str, object]]:
    try:
        status, body = _get(pipeline, "/ready")
    except OSError:
        return 0, {}
    return status, json.loads(body)


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster of this test's own, so stopping it disturbs no other test."""
    own = new_cluster(Path(tempfile.mkdtemp(prefix="recall-outage-pg-")))
    own.start()
    try:
        yield own
    finally:
        own.stop_if_running()


def _ready_with_every_timer_run(pipeline: Pipeline) -> Samples:
    """Wait until the worker is ready and each timer has run once; return its metrics then."""

    def settled() -> bool:
        samples = _samples(pipeline)
        ran = all(_timer_runs(samples, timer) >= 1 for timer in TIMERS)
        return ran and _readiness(pipeline)[0] == 200

    pipeline.wait(settled, timeout_s=90)
    return _samples(pipeline)


def test_database_outage_covers_every_timer_then_drains_without_loss(
    broker_settings: Settings, tmp_path: Path, cluster: PostgresCluster
) -> None:
    pipeline = Pipeline.create(broker_settings, cluster.url, tmp_path)
    try:
        records = valid_events(pipeline.registry, 400, seed=21)
        worker = pipeline.start_worker()
        _send(pipeline, records[:200])
        pipeline.wait_counts(events=200, dead_letters=0, duplicates=0)
        before = _ready_with_every_timer_run(pipeline)

        sender = pipeline.sender()  # it reads the station keys from the database
        cluster.stop()  # the system of record goes away mid-stream
        _send(pipeline, records[200:], sender)

        def every_db_timer_failed_in_the_outage() -> bool:
            now = _samples(pipeline)
            return all(
                _timer_failures(now, timer) > _timer_failures(before, timer) for timer in DB_TIMERS
            ) and _timer_runs(now, "measure_consumer_lag") > _timer_runs(
                before, "measure_consumer_lag"
            )

        pipeline.wait(every_db_timer_failed_in_the_outage, timeout_s=60)
        # The same timers failing three times in a row make the worker report "not ready".
        pipeline.wait(lambda: _readiness(pipeline)[0] == 503, timeout_s=60)
        status, body = _readiness(pipeline)
        assert worker.running(), "a database outage must stall the worker, not kill it"
        assert worker.restarts == 0, "nor make it exit and be restarted"
        # Still 503: the database is still down, so the timers are still failing in a row.
        assert status == 503, body
        failing = [r for r in body["reasons"] if str(r).startswith("timer ")]  # type: ignore[attr-defined]
        assert failing and all(str(r).split()[1] in DB_TIMERS + SLOW_DB_TIMERS for r in failing), (
            body
        )

        cluster.restart()
        restarted = time.monotonic()
        counts = pipeline.wait_counts(
            events=400, dead_letters=0, duplicates=0, timeout_s=RECOVERY_BOUND_S
        )
        recovery_s = time.monotonic() - restarted
        print(f"\ndatabase outage: 200 held-back events stored {recovery_s:.1f} s after restart")
        assert counts.events + counts.dead_letters + counts.duplicates == 400
        assert (counts.events, counts.dead_letters, counts.duplicates) == (400, 0, 0)
        assert pipeline.assert_every_record_accounted() == 400
        assert recovery_s < RECOVERY_BOUND_S

        # And the worker is whole again: every timer succeeds, /ready says 200.
        after_outage = _samples(pipeline)
        pipeline.wait(
            lambda: (
                all(
                    _timer_runs(_samples(pipeline), t) > _timer_runs(after_outage, t)
                    for t in DB_TIMERS
                )
                and _readiness(pipeline)[0] == 200
            ),
            timeout_s=60,
        )
        assert worker.running()
    finally:
        pipeline.close()


def test_worker_killed_during_database_outage_loses_and_duplicates_nothing(
    broker_settings: Settings, tmp_path: Path, cluster: PostgresCluster
) -> None:
    pipeline = Pipeline.create(broker_settings, cluster.url, tmp_path)
    try:
        records = valid_events(pipeline.registry, 400, seed=22)
        first = pipeline.start_worker()
        _send(pipeline, records[:200])
        pipeline.wait_counts(events=200, dead_letters=0, duplicates=0)
        before = _ready_with_every_timer_run(pipeline)

        sender = pipeline.sender()
        cluster.stop()
        _send(pipeline, records[200:], sender)

        def intake_retrying_a_batch() -> bool:
            now = _samples(pipeline)
            key = ("recall_db_write_failures_total", (("table", "intake"),))
            return now.get(key, 0.0) > before.get(key, 0.0)

        # The worker holds an uncommitted batch it cannot store: kill it there.
        pipeline.wait(intake_retrying_a_batch, timeout_s=60)
        first.kill()
        assert not first.running()

        cluster.restart()
        restarted = time.monotonic()
        pipeline.start_worker()  # the supervisor's part: a fresh process re-reads the batch
        counts = pipeline.wait_counts(
            events=400, dead_letters=0, duplicates=0, timeout_s=RECOVERY_BOUND_S + 60
        )
        recovery_s = time.monotonic() - restarted
        print(f"\nkill -9 in a database outage: all stored {recovery_s:.1f} s after restart")
        assert counts.events + counts.dead_letters + counts.duplicates == 400
        assert (counts.events, counts.dead_letters, counts.duplicates) == (400, 0, 0)
        # A cold start (new process, group rejoin, RocksDB reopen) is inside the bound too.
        assert recovery_s < RECOVERY_BOUND_S + 60
    finally:
        pipeline.close()


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
            assert pipeline.assert_every_record_accounted() == 3000
        finally:
            pipeline.close()
    finally:
        local.stop(broker)
