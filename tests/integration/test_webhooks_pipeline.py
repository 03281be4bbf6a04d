"""Webhooks end to end: real broker, real worker processes, real HTTP receivers.

Receiver A is down (every POST held 1 s, then 503) while alerts are published to the
`alerts` topic. Once its deliveries are being retried — some of them mid-attempt, leased by
the worker — the worker is killed with SIGKILL. A comes back, its secret is rotated, a new
worker starts: every alert of the owner's area reaches A, each `webhook-id` accepted once in
effect (repeats are deduplicated by the receiver and counted), every signature verified
(after the rotation with the new secret alone), and nothing outside the owner's area is sent.

Receiver B never answers (a closed port): its deliveries use up their retry budget and end
as dead letters, readable through the API, and once it has been failing long enough the
next failure pauses its subscription, holding what comes after.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaProducer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import WebhookDeliveryRow, WebhookSubscriptionRow
from recall.api.app import create_api
from recall.api.auth import current_principal
from recall.domain.access import Principal, Role
from recall.tools.webhook_receiver import running, sample_alert
from recall.tools.worker_process import WorkerProcess, wait_for
from schemas.risk import Alert, AlertSeverity
from schemas.topics import ALERTS, encode
from tests.support.pipeline import Pipeline
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

CITY = Principal("acc-taiyuan", Role.REGULATOR, region="140100")
PAUSE_AFTER_S = 20.0
SETTINGS = {
    "RECALL_AGENTS": "webhooks",
    "RECALL_WEBHOOK_DISPATCH_SECONDS": "0.2",
    "RECALL_WEBHOOK_TIMEOUT_SECONDS": "2",
    "RECALL_WEBHOOK_LEASE_SECONDS": "4",
    "RECALL_WEBHOOK_MAX_ATTEMPTS": "12",
    "RECALL_WEBHOOK_BACKOFF_BASE_SECONDS": "0.2",
    "RECALL_WEBHOOK_BACKOFF_CAP_SECONDS": "1",
    "RECALL_WEBHOOK_CONCURRENCY": "32",
    "RECALL_WEBHOOK_PER_SUBSCRIPTION_CONCURRENCY": "8",
    "RECALL_WEBHOOK_PAUSE_AFTER_FAILURES": "5",
    "RECALL_WEBHOOK_PAUSE_AFTER_SECONDS": str(PAUSE_AFTER_S),
    "RECALL_WEBHOOK_SECRET_GRACE_HOURS": "1",
}


@pytest.fixture
def api(pipeline: Pipeline) -> Iterator[TestClient]:
    app = create_api(pipeline.settings, sessions=pipeline.sessions)
    app.dependency_overrides[current_principal] = lambda: CITY
    with TestClient(app, raise_server_exceptions=True) as client:
        yield client


def test_every_alert_arrives_once_in_effect_across_a_kill_and_a_dead_receiver_is_paused(
    pipeline: Pipeline, api: TestClient
) -> None:
    run = pipeline.settings.topic_prefix
    db = pipeline.sessions  # one engine for the whole test
    with running(mode="down", delay_s=1.0) as a:
        created_a = _subscribe(api, a.url, {})
        a.secrets = [created_a["secret"]]
        dead_url = f"http://127.0.0.1:{free_port()}/never"  # nothing listens there
        created_b = _subscribe(api, dead_url, {"severities": ["critical"]})
        sub_a = created_a["subscription"]["subscription_id"]
        sub_b = created_b["subscription"]["subscription_id"]

        first = _start(pipeline, "first")
        wave1 = [_alert(n, run) for n in range(20)]
        outside = [sample_alert(100 + n, "140202", run=run) for n in range(3)]
        outside.append(sample_alert(200, None, run=run))
        _publish(pipeline, wave1 + outside)

        # The fault covers the claim: A's deliveries are all queued, none delivered, all tried,
        # some being retried right now (a second attempt or later, under a lease).
        def retrying() -> bool:
            rows = _rows(db, sub_a)
            return (
                len(rows) == len(wave1)
                and all(r.attempts >= 1 for r in rows)
                and any(r.state == "delivering" and r.attempts >= 2 for r in rows)
            )

        pipeline.wait(retrying, timeout_s=90)
        first.kill()
        killed = _rows(db, sub_a)
        assert not [r for r in killed if r.state == "delivered"]
        assert [r for r in killed if r.state == "delivering"], "no attempt was cut by the kill"
        assert not [r for r in killed if r.state == "dead"]
        tried_before_kill = a.snapshot().posts
        assert tried_before_kill > 0  # A was refusing them (claims counted above, in SQL)

        a.switch(mode="up", delay_s=0.0)
        rotated = api.post(f"/webhooks/subscriptions/{sub_a}/rotate-secret").json()
        a.secrets = [rotated["secret"]]  # only the new one: every POST must carry its signature

        _start(pipeline, "second")
        wave2 = [_alert(n, run) for n in range(20, 25)]
        _publish(pipeline, wave2)
        expected = {al.alert_id for al in wave1 + wave2}
        pipeline.wait(lambda: a.accepted() >= expected, timeout_s=120)
        seen = a.snapshot()
        assert set(seen.accepted) == expected  # nothing outside the area, nothing missing
        assert len(seen.accepted) == len(expected)
        assert seen.bad_signatures == 0
        repeats = sum(seen.repeats.values())  # allowed (at least once), deduplicated, recorded
        print(f"receiver A: {len(expected)} alerts, {repeats} repeats deduplicated,"
              f" {tried_before_kill} POSTs refused before the kill")  # fmt: skip
        pipeline.wait(  # each answer is recorded at the dispatcher's next tick
            lambda: Counter(r.state for r in _rows(db, sub_a)) == {"delivered": len(expected)},
            timeout_s=30,
        )

        # B: every critical alert reaches B's queue and none is ever delivered. Each ends
        # dead (12 attempts without an answer) — unless B has been failing for longer than
        # the pause rule's time before its budget is spent (a slow restart), in which case
        # the pause holds what is left, pending.
        critical = {al.alert_id for al in wave1 + wave2 if al.severity is AlertSeverity.CRITICAL}

        def settled() -> bool:
            rows = _rows(db, sub_b)
            paused = _subscription(db, sub_b).state == "paused"
            states = {r.state for r in rows} - ({"pending", "delivering"} if paused else set())
            return len(rows) == len(critical) and states <= {"dead"}

        pipeline.wait(settled, timeout_s=120)
        last = _alert(25, run, severity=AlertSeverity.CRITICAL)
        if _subscription(db, sub_b).state != "paused":  # failing long enough: the next fails
            since = _subscription(db, sub_b).failing_since
            assert since is not None
            later = since + timedelta(seconds=PAUSE_AFTER_S + 0.5)
            wait_for(lambda: datetime.now(UTC) > later, PAUSE_AFTER_S + 5)
            _publish(pipeline, [last])
            pipeline.wait(lambda: _subscription(db, sub_b).state == "paused", timeout_s=60)
            held = [r for r in _rows(db, sub_b) if r.event_id == last.alert_id]
            assert [r.state for r in held] == ["pending"]  # held while paused, not dead
        else:
            _publish(pipeline, [last])
        shown = api.get(f"/webhooks/subscriptions/{sub_b}").json()
        assert shown["state"] == "paused" and "failed attempts in a row" in shown["paused_reason"]
        rows = _rows(db, sub_b)
        dead = {r.event_id for r in rows if r.state == "dead"}
        assert dead and dead <= critical
        assert {r.state for r in rows} <= {"dead", "pending", "delivering"}  # none delivered
        letters = api.get(f"/webhooks/subscriptions/{sub_b}/dead-letters?limit=500").json()
        assert {d["event_id"] for d in letters["items"]} == dead
        # The budget is spent (12 attempts counted); the log holds every attempt whose outcome
        # was recorded (one cut by the kill counts, but has no answer to log).
        assert all(d["attempts"] >= 12 and d["log"][-1]["error"] for d in letters["items"])
        print(f"receiver B: {len(dead)} dead letters, {len(rows) - len(dead)} held by the pause")
        pipeline.wait(lambda: last.alert_id in a.accepted(), timeout_s=60)  # A unaffected
        assert _subscription(db, sub_a).state == "active"


def _alert(n: int, run: str, severity: AlertSeverity | None = None) -> Alert:
    level = severity or (AlertSeverity.CRITICAL if n % 2 else AlertSeverity.WARNING)
    return sample_alert(n, "140105" if n % 3 else "140100", severity=level, run=run)


def _subscribe(api: TestClient, url: str, filters: dict[str, object]) -> dict[str, Any]:
    response = api.post("/webhooks/subscriptions", json={"url": url, "filters": filters})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _start(pipeline: Pipeline, name: str) -> WorkerProcess:
    worker = WorkerProcess({**pipeline.env(), **SETTINGS}, pipeline.workdir / f"{name}.log")
    worker.start()
    pipeline.workers.append(worker)
    return worker


def _publish(pipeline: Pipeline, alerts: list[Alert]) -> None:
    producer = KafkaProducer(bootstrap_servers=pipeline.settings.bootstrap_servers, acks="all")
    topic = pipeline.settings.topic_name(ALERTS.name)
    for alert in alerts:
        producer.send(topic, key=alert.alert_id.encode(), value=encode(ALERTS, alert))
    producer.flush()
    producer.close()


def _rows(db: sessionmaker[Session], subscription_id: str) -> list[WebhookDeliveryRow]:
    with db() as session:
        return list(
            session.scalars(
                select(WebhookDeliveryRow).where(
                    WebhookDeliveryRow.subscription_id == subscription_id
                )
            )
        )


def _subscription(db: sessionmaker[Session], subscription_id: str) -> WebhookSubscriptionRow:
    with db() as session:
        row = session.get(WebhookSubscriptionRow, subscription_id)
        assert row is not None
        return row
