"""Domain alerts reach a real Alertmanager (the Debian package's binary), grouped and resolved.

A `recall worker` running only the `alertmanager` stage reads the `alerts` topic of a real
Kafka broker and keeps its conditions in PostgreSQL; Alertmanager is started on a free port
with a test configuration whose receiver is a small HTTP server in this test. Alertmanager is
started only after the alerts were published, so the first posts fail and the re-send timer
has to deliver what the database kept. Every wait is on a condition with a deadline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer
from sqlalchemy import func, select

from recall.adapters.db.models import AlertConditionRow
from recall.tools.worker_process import WorkerProcess, wait_for
from schemas.risk import Alert, AlertKind, AlertSeverity, AlertStatus
from schemas.topics import ALERTS, encode
from tests.support.pipeline import Pipeline
from tests.support.ports import free_port

pytestmark = pytest.mark.integration
BINARY = "/usr/bin/prometheus-alertmanager"
LAG = {"reason": "forecast below target", "target_rate": "0.90", "forecast": "0.4 [0.3, 0.5]"}
SILENT = {"last_seen_at": "", "silent_for": "7200", "expected_events": "12", "probability": "1e-6"}


class Receiver:
    """Alertmanager's webhook receiver: keeps every notification body it is sent."""

    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        lock, notifications = threading.Lock(), self.notifications

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    notifications.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, status: str) -> list[tuple[str, str, str]]:
        """(group key labels, subject, alert status) of every alert notified with `status`."""
        return [
            (n["groupLabels"]["alertname"], a["labels"]["subject"], a["status"])
            for n in list(self.notifications)
            for a in n["alerts"]
            if a["status"] == status
        ]


def _config(receiver_url: str) -> str:
    return f"""
route:
  receiver: hook
  group_by: [alertname, region]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: {receiver_url}
        send_resolved: true
"""


class Alertmanager:
    def __init__(self, workdir: Path, receiver: Receiver) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = workdir / "alertmanager.yml"
        self.config.write_text(_config(receiver.url))
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.workdir / "alertmanager.log").open("wb")
        self.process = subprocess.Popen(
            [
                BINARY,
                f"--config.file={self.config}",
                f"--storage.path={self.workdir / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",  # one instance, no gossip port
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        assert wait_for(self._ready, 30), (self.workdir / "alertmanager.log").read_text()

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=5) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()


@pytest.fixture
def alertmanager(tmp_path: Path, receiver: Receiver) -> Iterator[Alertmanager]:
    assert shutil.which(BINARY), "Alertmanager is missing: `make test` installs it (Debian)"
    am = Alertmanager(tmp_path, receiver)
    yield am
    am.stop()


def _alert(
    alert_id: str,
    kind: AlertKind,
    subject: str,
    region: str,
    at: datetime,
    status: AlertStatus = AlertStatus.FIRING,
) -> Alert:
    lagging = kind is AlertKind.RECALL_LAGGING
    return Alert(
        alert_id=alert_id,
        severity=AlertSeverity.WARNING if lagging else AlertSeverity.CRITICAL,
        kind=kind,
        title="召回进度滞后 / Recall lagging" if lagging else "站点静默 / Station silent",
        subject=subject,
        jurisdiction=region,
        at=at,
        details=LAG if lagging else SILENT,
        status=status,
        category="children" if lagging else None,
    )


def _publish(pipeline: Pipeline, alerts: list[Alert]) -> None:
    producer = KafkaProducer(bootstrap_servers=pipeline.settings.bootstrap_servers, acks="all")
    topic = pipeline.settings.topic_name(ALERTS.name)
    for alert in alerts:
        producer.send(topic, key=alert.alert_id.encode(), value=encode(ALERTS, alert))
    producer.flush()
    producer.close()


def _start_worker(pipeline: Pipeline, am: Alertmanager) -> WorkerProcess:
    env = {
        **pipeline.env(),
        "RECALL_AGENTS": "alertmanager",
        "RECALL_ALERTMANAGER_URL": am.url,
        "RECALL_ALERTMANAGER_RESEND_SECONDS": "2",
        "RECALL_ALERTMANAGER_TIMEOUT_SECONDS": "2",
    }
    worker = WorkerProcess(env, pipeline.workdir / "worker-am.log")
    worker.start()
    pipeline.workers.append(worker)
    return worker


def _active(am: Alertmanager) -> dict[str, dict[str, Any]]:
    """Alertmanager's active alerts by subject."""
    return {a["labels"]["subject"]: a for a in am.get("/api/v2/alerts?active=true")}


def _metrics(pipeline: Pipeline) -> dict[str, float]:
    """The worker's /metrics, as {series: value}."""
    url = f"http://127.0.0.1:{pipeline.settings.metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return {
        series: float(value)
        for series, _, value in (line.rpartition(" ") for line in text.splitlines())
        if series and not series.startswith("#")
    }


def _ends(alert: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(alert["endsAt"])


def _groups(am: Alertmanager) -> dict[tuple[str, str], set[str]]:
    return {
        (g["labels"]["alertname"], g["labels"]["region"]): {
            a["labels"]["subject"] for a in g["alerts"]
        }
        for g in am.get("/api/v2/alerts/groups")
    }


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_alertmanager_receives_groups_and_resolves_domain_alerts(
    pipeline: Pipeline, alertmanager: Alertmanager, receiver: Receiver
) -> None:
    now = datetime.now(UTC)
    firing = [
        _alert("a-1", AlertKind.RECALL_LAGGING, "R-1", "440305", now),
        _alert("a-2", AlertKind.RECALL_LAGGING, "R-2", "440305", now),
        _alert("a-3", AlertKind.STATION_SILENT, "S-1", "140105", now),
    ]
    _start_worker(pipeline, alertmanager)
    _publish(pipeline, firing)

    def recorded() -> bool:  # Alertmanager is not up yet: the conditions wait in SQL
        with pipeline.sessions() as session:
            return session.scalar(select(func.count()).select_from(AlertConditionRow)) == 3

    pipeline.wait(recorded, 120)

    def failed_to_post() -> bool:  # the fault covers a real attempt, not a lucky start order
        failures = 'recall_alertmanager_failures_total{kind="unavailable"}'
        return _metrics(pipeline).get(failures, 0) >= 1

    pipeline.wait(failed_to_post, 60)
    alertmanager.start()

    pipeline.wait(lambda: set(_active(alertmanager)) == {"R-1", "R-2", "S-1"}, 60)
    active = _active(alertmanager)
    assert active["R-1"]["labels"] == {
        "alertname": "recall_lagging",
        "kind": "recall_lagging",
        "severity": "warning",
        "subject": "R-1",
        "system": "recall-tracker",
        "category": "children",
        "region": "440305",
        "region_city": "440300",
        "region_province": "440000",
    }
    assert active["S-1"]["labels"]["severity"] == "critical"
    assert "category" not in active["S-1"]["labels"]
    assert active["R-1"]["annotations"]["title"] == "召回进度滞后 / Recall lagging"
    assert _groups(alertmanager) == {
        ("recall_lagging", "440305"): {"R-1", "R-2"},
        ("station_silent", "140105"): {"S-1"},
    }
    # They got there by the re-send after failed posts (counted above, before Alertmanager
    # started). The worker counts a post once Alertmanager has answered it, which may be just
    # after Alertmanager shows the alerts: wait for the count, do not race it.
    pipeline.wait(
        lambda: _metrics(pipeline).get('recall_alertmanager_sent_total{status="firing"}', 0) >= 3,
        30,
    )

    # Grouped notifications: both recalls of the county in one notification.
    def notified_together() -> bool:
        return any(
            n["groupLabels"] == {"alertname": "recall_lagging", "region": "440305"}
            and {a["labels"]["subject"] for a in n["alerts"]} == {"R-1", "R-2"}
            for n in list(receiver.notifications)
        )

    pipeline.wait(notified_together, 30)
    pipeline.wait(lambda: ("station_silent", "S-1", "firing") in receiver.alerts("firing"), 30)

    # Firing conditions are re-sent: their endsAt keeps moving ahead.
    first_end = _ends(active["R-2"])
    pipeline.wait(lambda: _ends(_active(alertmanager)["R-2"]) > first_end, 30)

    later = now + timedelta(seconds=1)
    _publish(
        pipeline,
        [
            _alert("r-1", AlertKind.RECALL_LAGGING, "R-1", "440305", later, AlertStatus.RESOLVED),
            _alert("r-3", AlertKind.STATION_SILENT, "S-1", "140105", later, AlertStatus.RESOLVED),
        ],
    )
    pipeline.wait(lambda: set(_active(alertmanager)) == {"R-2"}, 60)
    pipeline.wait(lambda: ("recall_lagging", "R-1", "resolved") in receiver.alerts("resolved"), 30)
    pipeline.wait(
        lambda: any(
            n["status"] == "resolved" and n["groupLabels"]["alertname"] == "station_silent"
            for n in list(receiver.notifications)
        ),
        30,
    )
    assert ("recall_lagging", "R-2", "resolved") not in receiver.alerts("resolved")
