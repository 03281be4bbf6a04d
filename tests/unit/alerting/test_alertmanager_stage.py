"""The `alertmanager` stage as Faust runs it (in memory): registered by its URL, a bad record
dead-lettered, an unreachable Alertmanager never stopping the agent nor losing the alert."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import AlertConditionRow
from schemas.topics import ALERTS
from streams.agents import alertmanager
from tests.support.ports import free_port
from tests.unit.alerting.test_forwarder import _alert
from tests.unit.streams.faust_support import harness, put_all, run


def test_without_a_url_only_the_gauges_run(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = harness(tmp_path, ALERTS, alertmanager, agents="alertmanager")
        assert "forward_alerts" not in app.app.agents
        app.timer("read_domain_gauges")
        with pytest.raises(LookupError):
            app.timer("resend_alertmanager")

    run(scenario)


def test_alertmanager_down_loses_nothing_and_bad_records_are_set_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECALL_ALERTMANAGER_URL", f"http://127.0.0.1:{free_port()}")  # closed
    monkeypatch.setenv("RECALL_ALERTMANAGER_TIMEOUT_SECONDS", "1")
    url = f"sqlite:///{tmp_path / 'am.db'}"
    upgrade(url)
    sessions = make_session_factory(make_engine(url))

    async def scenario() -> None:
        app = harness(tmp_path, ALERTS, alertmanager, agents="alertmanager", sessions=sessions)
        good = _alert("a1").model_dump_json().encode()
        await put_all(app.agent("forward_alerts"), [(b"x", b"not json", 0), (b"a1", good, 1)])
        [letter] = app.dead_letters()
        assert letter.stage == "forward_alerts"
        assert app.metric("recall_alertmanager_failures_total", kind="unavailable") == 1
        await app.timer("resend_alertmanager")()  # still down: counted, not raised
        assert app.metric("recall_timer_runs_total", timer="resend_alertmanager") == 1
        assert app.metric("recall_alertmanager_failures_total", kind="unavailable") == 2

    run(scenario)
    with sessions() as session:
        [row] = session.scalars(select(AlertConditionRow)).all()
    assert (row.kind, row.subject, row.status, row.sent_at) == (
        "recall_lagging",
        "R-1",
        "firing",
        None,
    )
