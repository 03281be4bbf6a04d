"""The Alertmanager forwarder over SQLite and a fake Alertmanager: what is recorded, posted,
re-sent, kept through an outage, and how a refused alert is isolated."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.alertmanager.client import (
    AlertmanagerRefusedError,
    AlertmanagerUnavailableError,
)
from recall.adapters.db import alert_conditions
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import AlertConditionRow
from recall.config import Settings
from schemas.risk import Alert, AlertKind, AlertSeverity, AlertStatus
from streams.agents.alertmanager import AlertForwarder, forward_messages
from streams.context import WorkerContext
from streams.metrics import WorkerMetrics

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
LAG = {"reason": "slow", "target_rate": "0.90", "forecast": "0.3 [0.2, 0.4]"}
OPENED = {"method": "live_nb", "evidence": "e-1", "category": "children"}


class FakeAlertmanager:
    """Keeps what was posted; can be down, or refuse alerts whose subject it is told to."""

    def __init__(self) -> None:
        self.posts: list[list[dict[str, Any]]] = []
        self.down = False
        self.refuse_subject: str | None = None

    async def post(self, alerts: Sequence[dict[str, Any]]) -> None:
        if self.down:
            raise AlertmanagerUnavailableError("ConnectError")
        if any(a["labels"]["subject"] == self.refuse_subject for a in alerts):
            raise AlertmanagerRefusedError("HTTP 400: bad")
        self.posts.append(list(alerts))

    def last(self) -> dict[str, dict[str, Any]]:
        """The latest post of each label set, by subject and kind."""
        seen: dict[str, dict[str, Any]] = {}
        for post in self.posts:
            for alert in post:
                seen[f"{alert['labels']['kind']}|{alert['labels']['subject']}"] = alert
        return seen


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    url = f"sqlite:///{tmp_path / 'am.db'}"
    upgrade(url)
    return make_session_factory(make_engine(url))


def _forwarder(
    sessions: sessionmaker[Session], am: FakeAlertmanager, clock: list[datetime]
) -> AlertForwarder:
    settings = Settings(alertmanager_url="http://am", alertmanager_resend_seconds=60)
    context = WorkerContext(
        settings=settings, store=cast(Any, None), metrics=WorkerMetrics(), sessions=sessions
    )
    return AlertForwarder(am, context, clock=lambda: clock[0])


def _alert(
    alert_id: str,
    kind: AlertKind = AlertKind.RECALL_LAGGING,
    *,
    status: AlertStatus = AlertStatus.FIRING,
    minutes: int = 0,
    subject: str = "R-1",
) -> Alert:
    return Alert(
        alert_id=alert_id,
        severity=AlertSeverity.WARNING,
        kind=kind,
        title="召回进度滞后 / Recall lagging",
        subject=subject,
        jurisdiction="440305",
        at=T0 + timedelta(minutes=minutes),
        details=LAG if kind is AlertKind.RECALL_LAGGING else OPENED,
        status=status,
        category="children",
    )


class _Message:
    def __init__(self, value: bytes) -> None:
        self.value, self.topic, self.partition, self.offset = value, "alerts", 0, 0


async def _forward(forwarder: AlertForwarder, *alerts: Alert | bytes) -> list[Any]:
    aside: list[Any] = []

    async def set_aside(message: Any, error: BaseException, subject: str) -> None:
        aside.append(message.value)

    messages = [
        _Message(a if isinstance(a, bytes) else a.model_dump_json().encode()) for a in alerts
    ]
    await forward_messages(messages, forwarder, set_aside)
    return aside


def test_a_condition_is_posted_with_labels_and_resolved(sessions: sessionmaker[Session]) -> None:
    am, clock = FakeAlertmanager(), [T0]
    forwarder = _forwarder(sessions, am, clock)
    asyncio.run(_forward(forwarder, _alert("a1")))
    posted = am.last()["recall_lagging|R-1"]
    assert posted["labels"] == {
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
    assert posted["startsAt"] == "2026-11-30T08:00:00Z"
    assert posted["endsAt"] == "2026-11-30T08:04:00Z"  # four re-sends ahead
    assert posted["annotations"]["link"] == "http://127.0.0.1:8000/dashboard/recalls/R-1"
    assert "reason: slow" in posted["annotations"]["summary"]

    clock[0] = T0 + timedelta(minutes=30)
    asyncio.run(_forward(forwarder, _alert("a2", status=AlertStatus.RESOLVED, minutes=30)))
    resolved = am.last()["recall_lagging|R-1"]
    assert resolved["labels"] == posted["labels"]  # the same Alertmanager alert
    assert resolved["startsAt"] == posted["startsAt"]
    assert resolved["endsAt"] == "2026-11-30T08:30:00Z"
    assert alert_conditions.firing_by_kind(sessions, clock[0]) == {}


def test_firing_conditions_are_resent_until_resolved(sessions: sessionmaker[Session]) -> None:
    am, clock = FakeAlertmanager(), [T0]
    forwarder = _forwarder(sessions, am, clock)
    asyncio.run(_forward(forwarder, _alert("a1"), _alert("m1", AlertKind.INVESTIGATION_OPENED)))
    clock[0] = T0 + timedelta(minutes=10)
    asyncio.run(forwarder.resend())
    resent = {a["labels"]["kind"]: a for a in am.posts[-1]}
    assert resent["recall_lagging"]["endsAt"] == "2026-11-30T08:14:00Z"
    assert resent["investigation_opened"]["endsAt"] == "2026-11-30T14:00:00Z"  # 6 h moment
    assert resent["investigation_opened"]["labels"]["alert_id"] == "m1"
    asyncio.run(_forward(forwarder, _alert("a2", status=AlertStatus.RESOLVED, minutes=11)))
    clock[0] = T0 + timedelta(minutes=20)
    asyncio.run(forwarder.resend())
    assert [a["labels"]["kind"] for a in am.posts[-1]] == ["investigation_opened"]


def test_an_outage_loses_nothing_and_the_resend_delivers(sessions: sessionmaker[Session]) -> None:
    am, clock = FakeAlertmanager(), [T0]
    forwarder = _forwarder(sessions, am, clock)
    am.down = True
    asyncio.run(_forward(forwarder, _alert("a1")))
    asyncio.run(_forward(forwarder, _alert("a2", status=AlertStatus.RESOLVED, minutes=1)))
    asyncio.run(forwarder.resend())
    assert am.posts == []
    metrics = forwarder.context.metrics.registry
    assert metrics.get_sample_value("recall_alertmanager_failures_total", {"kind": "unavailable"})
    am.down = False
    clock[0] = T0 + timedelta(minutes=5)
    asyncio.run(forwarder.resend())  # the resolution was never delivered: it is sent now
    assert am.last()["recall_lagging|R-1"]["endsAt"] == "2026-11-30T08:01:00Z"
    asyncio.run(forwarder.resend())  # delivered and ended: nothing more to send
    assert len(am.posts) == 1


def test_out_of_order_resolution_wins(sessions: sessionmaker[Session]) -> None:
    am, clock = FakeAlertmanager(), [T0]
    forwarder = _forwarder(sessions, am, clock)
    asyncio.run(_forward(forwarder, _alert("a2", status=AlertStatus.RESOLVED, minutes=5)))
    asyncio.run(_forward(forwarder, _alert("a1")))  # older: changes nothing, posts nothing
    assert len(am.posts) == 1
    assert alert_conditions.firing_by_kind(sessions, T0) == {}


def test_bad_records_and_refused_alerts_are_isolated(sessions: sessionmaker[Session]) -> None:
    am, clock = FakeAlertmanager(), [T0]
    forwarder = _forwarder(sessions, am, clock)
    am.refuse_subject = "R-BAD"
    aside = asyncio.run(
        _forward(forwarder, b'{"alert_id": 1}', _alert("a1"), _alert("b1", subject="R-BAD"))
    )
    assert aside == [b'{"alert_id": 1}']
    assert list(am.last()) == ["recall_lagging|R-1"]  # the good one got through alone
    registry = forwarder.context.metrics.registry
    assert registry.get_sample_value("recall_alertmanager_failures_total", {"kind": "refused"}) == 1


def test_a_failure_after_the_post_never_reaches_the_agent(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    am, clock = FakeAlertmanager(), [T0]
    forwarder = _forwarder(sessions, am, clock)

    def database_away(*args: object) -> None:
        raise ConnectionError("database restarting")

    with monkeypatch.context() as patched:
        patched.setattr(alert_conditions, "mark_sent", database_away)
        asyncio.run(_forward(forwarder, _alert("a1")))  # does not raise
    registry = forwarder.context.metrics.registry
    assert registry.get_sample_value("recall_alertmanager_failures_total", {"kind": "error"}) == 1
    asyncio.run(forwarder.resend())  # still pending: sent again, now marked
    assert len(am.posts) == 2
    with sessions() as session:
        [row] = session.scalars(select(AlertConditionRow)).all()
    assert row.sent_at == T0
