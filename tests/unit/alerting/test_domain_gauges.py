"""The domain gauges: cluster-wide figures read from SQL, exported with zeros for known labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from recall.adapters.db.domain_gauges import read_figures
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import InvestigationRow, RecallRow, RiskSignalRow
from streams.agents.alertmanager import publish_gauges
from streams.metrics import WorkerMetrics

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _investigation(n: int, state: str, days_old: float) -> InvestigationRow:
    at = NOW - timedelta(days=days_old)
    return InvestigationRow(
        investigation_id=f"i-{n}", product_key=f"p-{n}", hazard="burn", seq=1,
        category="children", jurisdiction="440305", state=state, expert_ids=[],
        opened_at=at, updated_at=at, version=1,
    )  # fmt: skip


def _signal(n: int, category: str, minutes_ago: int) -> RiskSignalRow:
    return RiskSignalRow(
        signal_id=f"s-{n}", product_key="p", hazard="burn", category=category,
        jurisdiction="440305", method="live_nb", risk_level="high",
        raised_at=NOW - timedelta(minutes=minutes_ago), record={},
    )  # fmt: skip


def _recall(n: int, state: str) -> RecallRow:
    return RecallRow(
        recall_id=f"R-{n}", kind="voluntary", product_key="p", category="children",
        firm_id="f", jurisdiction="440305", hazard="burn", risk_level="high", notice={},
        notice_event_id="e", start=NOW, target_date=NOW, state=state, sent_keys=[],
        updated_at=NOW,
    )  # fmt: skip


def test_figures_from_sql_become_gauges(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    upgrade(url)
    sessions = make_session_factory(make_engine(url))
    with sessions.begin() as session:
        session.add_all(
            [
                _investigation(1, "opened", 9.5),
                _investigation(2, "assigned", 2),
                _investigation(3, "concluded", 30),
                _signal(1, "children", 10),
                _signal(2, "children", 50),
                _signal(3, "children", 70),  # older than an hour
                _signal(4, "lighting", 5),
                _recall(1, "lagging"),
                _recall(2, "in_progress"),
            ]
        )
    figures = read_figures(sessions, NOW)
    assert figures.signals_last_hour == {"children": 2, "lighting": 1}
    assert figures.investigations_waiting == {"opened": 1, "assigned": 1}
    assert figures.oldest_open_at == NOW - timedelta(days=9.5)
    assert figures.recalls_lagging == 1

    metrics = WorkerMetrics()
    publish_gauges(metrics, figures, NOW)
    sample = metrics.registry.get_sample_value
    assert sample("recall_signals_last_hour", {"category": "children"}) == 2
    assert sample("recall_signals_last_hour", {"category": "vehicles"}) == 0
    assert sample("recall_investigations_waiting", {"state": "assigned"}) == 1
    assert sample("recall_investigation_oldest_open_age_seconds") == 9.5 * 86_400
    assert sample("recall_recalls_lagging") == 1
    assert sample("recall_alerts_firing", {"kind": "station_silent"}) == 0
