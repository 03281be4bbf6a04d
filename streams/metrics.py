"""Prometheus metrics of a worker, held in one object so tests can use a private registry."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LOOP_LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass
class WorkerMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.received = Counter(
            "recall_events_received", "Raw records read from intake.raw", registry=r
        )
        self.accepted = Counter(
            "recall_events_accepted", "Events that passed validation", ["type"], registry=r
        )
        self.rejected = Counter(
            "recall_events_rejected", "Records dead-lettered, by reason", ["reason"], registry=r
        )
        self.duplicates = Counter(
            "recall_events_duplicate", "Resent event ids dropped before storage", registry=r
        )
        self.redelivered = Counter(
            "recall_events_redelivered",
            "Records seen again after a restart (no effect, by design)",
            registry=r,
        )
        self.persisted = Counter(
            "recall_rows_persisted", "Rows written to the system of record", ["table"], registry=r
        )
        self.db_failures = Counter(
            "recall_db_write_failures", "Failed database writes (retried)", ["table"], registry=r
        )
        self.latency = Histogram(
            "recall_pipeline_latency_seconds",
            "From the record's broker timestamp to the end of a stage",
            ["stage"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_seconds = Histogram(
            "recall_batch_processing_seconds",
            "Time to process one batch in an agent",
            ["agent"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.loop_lag = Histogram(
            "recall_event_loop_lag_seconds",
            "How late the worker's event loop woke a 100 ms sleeper: every stage shares the loop,"
            " so this is how long a stage waited behind another's work (streams/loop_lag.py)",
            buckets=LOOP_LAG_BUCKETS,
            registry=r,
        )
        self.signals = Counter(
            "recall_signals_raised", "Signals raised, by method", ["method"], registry=r
        )
        self.investigations_opened = Counter(
            "recall_investigations_opened", "Defect investigations opened", registry=r
        )
        self.intake_outcomes = Counter(
            "recall_intake_outcomes",
            "Intake records by final outcome (stored, dead_lettered, duplicate, redelivered);"
            " their sum equals recall_events_received",
            ["outcome"],
            registry=r,
        )
        self.outbox_published = Counter(
            "recall_outbox_published", "Records published from the outbox", registry=r
        )
        self.consumer_lag = Gauge(
            "recall_consumer_lag",
            "Records behind the partition's high-water mark",
            ["topic", "partition"],
            registry=r,
        )
        # Station health (docs/station-health.md), set by the `stations` timer each run.
        self.station_silent = Gauge(
            "recall_station_silent",
            "1 while the station is judged silent against its learned cadence, else 0",
            ["station"],
            registry=r,
        )
        self.station_last_seen_age = Gauge(
            "recall_station_last_seen_age_seconds",
            "Seconds since the station's last accepted record (event or heartbeat)",
            ["station"],
            registry=r,
        )
        self.station_rejected_share = Gauge(
            "recall_station_rejected_share",
            "Share of the station's records refused over the feed window (0 when none)",
            ["station"],
            registry=r,
        )
        self.station_expected_events = Gauge(
            "recall_station_expected_events",
            "Records the station's learned cadence expected since its last contact",
            ["station"],
            registry=r,
        )
        # Live disproportionality (docs/risk-model.md "Disproportionality, live").
        self.disproportionality_pairs = Gauge(
            "recall_disproportionality_pairs",
            "Product x hazard pairs the last live disproportionality run stored (>= 3 reports),"
            " and of those the signals (>= 1 of PRR, ROR, IC)",
            ["kind"],
            registry=r,
        )
        # Supervision (DESIGN.md §7, docs/streams.md "Failures and supervision").
        self.timer_runs = Counter(
            "recall_timer_runs", "Timer runs that completed without error", ["timer"], registry=r
        )
        self.timer_failures = Counter(
            "recall_timer_failures",
            "Timer runs that raised, by error kind (transient, permanent)",
            ["timer", "kind"],
            registry=r,
        )
        self.timer_last_success = Gauge(
            "recall_timer_last_success_timestamp_seconds",
            "Unix time of the timer's last successful run",
            ["timer"],
            registry=r,
        )
        self.records_isolated = Counter(
            "recall_records_isolated",
            "Records set aside by an agent after a permanent processing error (dead-lettered)",
            ["agent"],
            registry=r,
        )
        self.ready = Gauge(
            "recall_worker_ready", "1 when the last readiness check passed, else 0", registry=r
        )
        # Webhooks (docs/webhooks.md): attempts by outcome, their time, the queue, pauses.
        self.webhook_deliveries = Counter(
            "recall_webhook_deliveries",
            "Webhook attempts settled, by outcome: delivered, retry, dead, lease_lost",
            ["outcome"],
            registry=r,
        )
        self.webhook_attempt_seconds = Histogram(
            "recall_webhook_attempt_seconds",
            "Time of one webhook POST, until the receiver's status or the error",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.webhook_pending = Gauge(
            "recall_webhook_pending",
            "Webhook deliveries waiting (pending, or leased to a worker), all subscriptions",
            registry=r,
        )
        self.webhook_paused_subscriptions = Gauge(
            "recall_webhook_paused_subscriptions",
            "Webhook subscriptions paused (by their owner or after failing too long)",
            registry=r,
        )
        # Alertmanager forwarding and the domain gauges (docs/alerting.md).
        self.alertmanager_sent = Counter(
            "recall_alertmanager_sent",
            "Alerts Alertmanager accepted (first sends and re-sends), by status",
            ["status"],
            registry=r,
        )
        self.alertmanager_failures = Counter(
            "recall_alertmanager_failures",
            "Posts to Alertmanager that failed, by kind (unavailable: retried; refused: dropped)",
            ["kind"],
            registry=r,
        )
        self.signals_last_hour = Gauge(
            "recall_signals_last_hour",
            "Signals raised in the last hour, by product category (read from SQL, cluster-wide)",
            ["category"],
            registry=r,
        )
        self.investigations_waiting = Gauge(
            "recall_investigations_waiting",
            "Investigations not concluded, by state (opened, assigned), cluster-wide",
            ["state"],
            registry=r,
        )
        self.investigation_oldest_age = Gauge(
            "recall_investigation_oldest_open_age_seconds",
            "Age of the oldest investigation not concluded (0 when none), cluster-wide",
            registry=r,
        )
        self.recalls_lagging = Gauge(
            "recall_recalls_lagging", "Recalls in the lagging state, cluster-wide", registry=r
        )
        self.alerts_firing = Gauge(
            "recall_alerts_firing",
            "Alert conditions and moments firing as Alertmanager is told, by kind",
            ["kind"],
            registry=r,
        )
