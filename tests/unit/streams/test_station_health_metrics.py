"""The `stations` stage's gauges: exact names and labels (Grafana panels and Prometheus rules
are built on them), and its rules from the settings."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import CollectorRegistry

from recall.config import Settings
from recall.service.stations.health import CheckReport, StationReport
from streams.agents.stations import export, health_rules
from streams.metrics import WorkerMetrics


def test_each_station_s_verdict_is_a_gauge() -> None:
    metrics = WorkerMetrics(CollectorRegistry())
    report = CheckReport(
        stations=[
            StationReport("ER-1", True, 7200.0, 0.25, 41.5),
            StationReport("NEW-1", False, None, None, 0.0),
        ]
    )
    export(metrics, report)
    value = metrics.registry.get_sample_value
    assert value("recall_station_silent", {"station": "ER-1"}) == 1
    assert value("recall_station_silent", {"station": "NEW-1"}) == 0
    assert value("recall_station_last_seen_age_seconds", {"station": "ER-1"}) == 7200
    assert value("recall_station_last_seen_age_seconds", {"station": "NEW-1"}) is None
    assert value("recall_station_rejected_share", {"station": "ER-1"}) == 0.25
    assert value("recall_station_rejected_share", {"station": "NEW-1"}) == 0
    assert value("recall_station_expected_events", {"station": "ER-1"}) == 41.5


def test_the_rules_come_from_the_settings() -> None:
    rules = health_rules(
        Settings(
            station_silence_alpha=1e-3,
            station_silence_min_seconds=60,
            station_history_weeks=2,
            station_feed_window_seconds=3600,
            station_feed_poor_share=0.5,
        )
    )
    assert rules.silence.alpha == 1e-3 and rules.silence.min_silence == timedelta(minutes=1)
    assert rules.history_weeks == 2 and rules.feed_window == timedelta(hours=1)
    assert rules.feed.poor_share == 0.5 and rules.feed.ok_share == 0.1
