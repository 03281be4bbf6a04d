"""`check_station_health` (timer): every station's silence and feed judged, changes alerted.

On the leader only (one judge, one set of alerts), every `station_health_seconds`. The check
is idempotent (verdicts and alerts in one transaction, alert ids fixed by the episode), so a
failed tick is retried by the supervision on a later one. `clock` is injectable for tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import faust

from recall.adapters.db.station_health import SqlHealthReads, SqlHealthStorage
from recall.config import Settings
from recall.domain.station_health import FeedRule, SilenceRule
from recall.service.ports import OutputTopics
from recall.service.stations.health import CadenceBook, CheckReport, HealthRules, check_stations
from streams.context import WorkerContext
from streams.metrics import WorkerMetrics
from streams.supervision import supervision_of
from streams.timers import supervised_timer

Clock = Callable[[], datetime]


def health_rules(settings: Settings) -> HealthRules:
    """The check's rules from the settings (docs/station-health.md explains each)."""
    return HealthRules(
        silence=SilenceRule(
            alpha=settings.station_silence_alpha,
            min_silence=timedelta(seconds=settings.station_silence_min_seconds),
            cold_timeout=timedelta(seconds=settings.station_silence_cold_seconds),
            min_history=timedelta(days=settings.station_min_history_days),
            min_events=settings.station_min_history_events,
        ),
        feed=FeedRule(
            poor_share=settings.station_feed_poor_share,
            ok_share=settings.station_feed_ok_share,
            min_records=settings.station_feed_min_records,
        ),
        history_weeks=settings.station_history_weeks,
        feed_window=timedelta(seconds=settings.station_feed_window_seconds),
    )


class StationHealthCheck:
    """One check per call, with the cadences it learned kept between calls."""

    def __init__(self, context: WorkerContext, clock: Clock) -> None:
        self.reads = SqlHealthReads(context.sessions)
        self.storage = SqlHealthStorage(context.sessions)
        self.topics = OutputTopics.resolved(context.settings.topic_name)
        self.rules = health_rules(context.settings)
        self.metrics = context.metrics
        self.clock = clock
        self.book = CadenceBook()

    def __call__(self) -> CheckReport:
        report = check_stations(
            self.reads, self.storage, self.topics, self.clock(), self.rules, self.book
        )
        export(self.metrics, report)
        return report


def export(metrics: WorkerMetrics, report: CheckReport) -> None:
    for station in report.stations:
        name = station.station_id
        metrics.station_silent.labels(name).set(1 if station.silent else 0)
        if station.last_seen_age_s is not None:
            metrics.station_last_seen_age.labels(name).set(station.last_seen_age_s)
        metrics.station_rejected_share.labels(name).set(station.rejected_share or 0.0)
        metrics.station_expected_events.labels(name).set(station.expected_events)


def register(
    app: faust.App, context: WorkerContext, clock: Clock = lambda: datetime.now(UTC)
) -> None:
    check = StationHealthCheck(context, clock)

    @supervised_timer(
        app,
        supervision_of(context),
        "check_station_health",
        context.settings.station_health_seconds,
        on_leader=True,
    )
    async def check_station_health() -> None:
        await asyncio.to_thread(check)
