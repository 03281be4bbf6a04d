"""The station-health check: every station's silence and feed judged, changes announced.

Run by the worker's `stations` timer every minute or so (`check_stations`). Cadences are
learned from the last `history_weeks` of hourly counts once per hour (`CadenceBook`: the
rates of an hour of the week cannot change within the hour, and one grouped query an hour
is cheap where one a minute is not). Each run then reads who was last heard from when and
the feed counts of the last `feed_window`, judges every station (recall.domain.station_health),
and in one transaction stores the verdicts and queues the alerts of the changes: a silence
fires once and resolves once, when the station is heard from again; a poor feed likewise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import structlog

from recall.domain.station_health import (
    HOURS_PER_WEEK,
    Cadence,
    Change,
    FeedRule,
    FeedVerdict,
    SilenceRule,
    SilenceVerdict,
    epoch_hour,
    feed_change,
    judge_feed,
    judge_silence,
    learn_cadence,
    silence_change,
    utc_hour,
)
from recall.service.ports import OutboxRecord, OutputTopics, alert_record
from recall.service.stations.alerts import alert_id, feed_alert, silence_alert
from recall.service.stations.ports import (
    FeedCounts,
    HealthReads,
    HealthState,
    HealthStorage,
    StationFacts,
)
from schemas.risk import Alert, AlertKind, AlertStatus

log = structlog.get_logger(__name__)
FIRM = "firm"
OUR_OWN_FAILURES = frozenset({"internal_error", "storage_refused", "processing_error"})
"""Refusals that are the system's fault, not the feed's: left out of its quality."""


@dataclass(frozen=True, slots=True)
class HealthRules:
    silence: SilenceRule = field(default_factory=SilenceRule)
    feed: FeedRule = field(default_factory=FeedRule)
    history_weeks: int = 4
    feed_window: timedelta = timedelta(hours=6)


@dataclass
class CadenceBook:
    """The learned cadences, relearned when the hour changes."""

    hour: int | None = None
    cadences: dict[str, Cadence] = field(default_factory=dict)

    def at(self, reads: HealthReads, now: datetime, weeks: int) -> dict[str, Cadence]:
        hour = epoch_hour(now)
        if hour != self.hour:
            end = utc_hour(hour)
            found = reads.history(end - timedelta(hours=weeks * HOURS_PER_WEEK), end)
            self.cadences = {
                station_id: learn_cadence(h.counts, h.first_hour, hour)
                for station_id, h in found.items()
            }
            self.hour = hour
            log.info("station cadences learned", stations=len(self.cadences), hour=end)
        return self.cadences


@dataclass(frozen=True, slots=True)
class StationReport:
    """One station's verdicts of this run, for the metrics."""

    station_id: str
    silent: bool
    last_seen_age_s: float | None
    rejected_share: float | None
    expected_events: float


@dataclass
class CheckReport:
    stations: list[StationReport] = field(default_factory=list)
    fired: list[AlertKind] = field(default_factory=list)
    resolved: list[AlertKind] = field(default_factory=list)


def check_stations(
    reads: HealthReads,
    storage: HealthStorage,
    topics: OutputTopics,
    now: datetime,
    rules: HealthRules,
    book: CadenceBook,
) -> CheckReport:
    """Judge every station at `now`; store the verdicts and queue the alerts of changes."""
    cadences = book.at(reads, now, rules.history_weeks)
    stations = reads.stations()
    feeds = reads.feed(now - rules.feed_window, now)
    report = CheckReport()
    with storage.transaction() as tx:
        states = tx.health.states()
        saved: list[HealthState] = []
        records: list[OutboxRecord] = []
        for station in stations:
            before = states.get(station.station_id, HealthState(station.station_id))
            after, alerts = _judge(station, before, cadences, feeds, now, rules, report)
            saved.append(after)
            records += [alert_record(alert, topics) for alert in alerts]
        tx.health.save(saved)
        tx.outbox.add(records)
    if report.fired or report.resolved:
        log.info("station health changed", fired=report.fired, resolved=report.resolved)
    return report


def _judge(
    station: StationFacts,
    before: HealthState,
    cadences: dict[str, Cadence],
    feeds: dict[str, FeedCounts],
    now: datetime,
    rules: HealthRules,
    report: CheckReport,
) -> tuple[HealthState, list[Alert]]:
    silence = judge_silence(
        cadences.get(station.station_id),
        station.last_seen_at,
        now,
        rules.silence,
        enabled=station.enabled,
        reports_on_a_cadence=station.kind != FIRM,
    )
    counts = feeds.get(station.station_id, FeedCounts())
    rejected = {r: n for r, n in counts.rejected.items() if r not in OUR_OWN_FAILURES}
    feed = judge_feed(
        counts.accepted, rejected, was_poor=before.feed_poor and station.enabled, rule=rules.feed
    )
    if not station.enabled:  # switched off: neither silence nor refusals are news
        feed = replace(feed, poor=False)
    after = replace(
        before,
        learned=silence.learned,
        expected_events=silence.expected,
        probability=silence.probability,
        rejected_share=feed.share,
        updated_at=now,
    )
    alerts: list[Alert] = []
    after = _silence_step(station, after, silence, now, alerts, report)
    after = _feed_step(station, after, feed, now, rules, alerts, report)
    age = (now - station.last_seen_at).total_seconds() if station.last_seen_at else None
    report.stations.append(
        StationReport(station.station_id, after.silent, age, feed.share, silence.expected)
    )
    return after, alerts


def _silence_step(
    station: StationFacts,
    state: HealthState,
    verdict: SilenceVerdict,
    now: datetime,
    alerts: list[Alert],
    report: CheckReport,
) -> HealthState:
    change = silence_change(state.silent_since, station.last_seen_at, verdict)
    if not station.enabled and state.silent_since is not None:
        change = Change.RESOLVE  # switched off while silent: the silence is no longer news
    if change is Change.FIRE and station.last_seen_at is not None:
        since = station.last_seen_at
        alerts.append(silence_alert(station, verdict, since, now, AlertStatus.FIRING))
        report.fired.append(AlertKind.STATION_SILENT)
        firing = alert_id(station.station_id, AlertKind.STATION_SILENT, since, AlertStatus.FIRING)
        return replace(state, silent_since=since, silent_alert_id=firing)
    if change is Change.RESOLVE and state.silent_since is not None:
        since = state.silent_since
        alerts.append(silence_alert(station, verdict, since, now, AlertStatus.RESOLVED))
        report.resolved.append(AlertKind.STATION_SILENT)
        return replace(state, silent_since=None, silent_alert_id=None)
    return state


def _feed_step(
    station: StationFacts,
    state: HealthState,
    verdict: FeedVerdict,
    now: datetime,
    rules: HealthRules,
    alerts: list[Alert],
    report: CheckReport,
) -> HealthState:
    change = feed_change(state.feed_poor, verdict)
    window = int(rules.feed_window.total_seconds())
    if change is Change.FIRE:
        alerts.append(feed_alert(station, verdict, window, now, now, AlertStatus.FIRING))
        report.fired.append(AlertKind.STATION_FEED_POOR)
        firing = alert_id(station.station_id, AlertKind.STATION_FEED_POOR, now, AlertStatus.FIRING)
        return replace(state, feed_since=now, feed_alert_id=firing)
    if change is Change.RESOLVE and state.feed_since is not None:
        since = state.feed_since
        alerts.append(feed_alert(station, verdict, window, since, now, AlertStatus.RESOLVED))
        report.resolved.append(AlertKind.STATION_FEED_POOR)
        return replace(state, feed_since=None, feed_alert_id=None)
    return state
