"""`recall bench webhooks`: deliveries/s to a local receiver, and whether a slow receiver
slows the pipeline.

Two measurements, each repeated (`runs`) on fresh isolated topics and database:

- **Deliveries/s.** A worker running the `webhooks` stage alone; `alerts` alerts published
  to the `alerts` topic, one subscription to a local receiver that verifies every signature
  (`recall.tools.webhook_receiver`); the rate of first acceptances between 10% and 90%.
- **Intake with and without a slow receiver.** The `recall bench intake` machinery (the same
  signed events, produced first, counted as stored rows, rate between 10% and 90%) with a
  worker running `intake` *and* `webhooks` in one process, while alerts keep the dispatcher
  busy (the dispatcher with its default settings, as deployed). "With": a subscription
  whose receiver takes 2 s per POST, so every slot it may use is held the whole run;
  "without": no subscription. Besides the rate, the worker's CPU time per event. The runs
  alternate (without, with, …) so a machine getting busier or quieter does not favour one
  side. The ratio with ÷ without of the medians is the figure that must not drop: no
  receiver is ever awaited on the intake path.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import orjson
from kafka import KafkaProducer
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.intake_store import IntakeStore
from recall.adapters.db.webhook_store import SqlWebhookStore
from recall.config import Settings
from recall.domain.webhooks import Filters
from recall.service.webhooks import subscriptions
from recall.service.webhooks.subscriptions import Owner
from recall.tools.bench.intake import _track, _window_rate, produce_events
from recall.tools.bench.isolation import isolated_run
from recall.tools.registry.sample import SampleSizes, generate
from recall.tools.webhook_receiver import Receiver, running, sample_alert
from recall.tools.worker_process import WorkerProcess, cpu_seconds
from schemas.topics import ALERTS, encode

SLOW_S = 2.0
BUSY_ALERTS = 400  # far more than a 2 s receiver takes in one run: it stays busy throughout
REGISTRY = SampleSizes(manufacturers=300, standards=10, labs=10, experts=10)
DISPATCH = {
    "RECALL_WEBHOOK_DISPATCH_SECONDS": "0.05",
    "RECALL_WEBHOOK_TIMEOUT_SECONDS": "5",
    "RECALL_WEBHOOK_CONCURRENCY": "64",
    "RECALL_WEBHOOK_PER_SUBSCRIPTION_CONCURRENCY": "16",
}


@dataclass(frozen=True, slots=True)
class Spread:
    runs: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.runs) if self.runs else float("nan")

    @property
    def low(self) -> float:
        return min(self.runs, default=float("nan"))

    @property
    def high(self) -> float:
        return max(self.runs, default=float("nan"))


@dataclass(frozen=True, slots=True)
class WebhookBenchResult:
    deliveries_per_s: Spread
    intake_without: Spread
    intake_with_slow: Spread
    cpu_without: Spread  # µs of the intake worker's CPU per event
    cpu_with_slow: Spread
    slow_deliveries: tuple[int, ...]  # how many the slow receiver accepted during each run
    events: int
    alerts: int
    database: str

    @property
    def ratio(self) -> float:
        """Intake with a slow receiver ÷ without (medians): ≥ ~1 means it did not drop."""
        return round(self.intake_with_slow.median / self.intake_without.median, 3)

    @property
    def cpu_ratio(self) -> float:
        """The worker's CPU per event with ÷ without (medians): ≤ ~1 means no extra cost."""
        return round(self.cpu_with_slow.median / self.cpu_without.median, 3)


Progress = Callable[[str], None]


def run_webhook_benchmark(
    base: Settings, *, events: int, alerts: int, runs: int, progress: Progress | None = None
) -> WebhookBenchResult:
    say = progress or (lambda _: None)
    deliveries: list[float] = []
    for n in range(runs):
        say(f"deliveries run {n + 1}/{runs}")
        deliveries.append(_deliveries_run(base, alerts))
    without: list[IntakeRun] = []
    with_slow: list[IntakeRun] = []
    for n in range(runs):
        say(f"intake run {n + 1}/{runs} without a slow receiver")
        without.append(_intake_run(base, events, slow=False))
        say(f"intake run {n + 1}/{runs} with a slow ({SLOW_S:g} s) receiver")
        with_slow.append(_intake_run(base, events, slow=True))
    return WebhookBenchResult(
        deliveries_per_s=Spread(tuple(deliveries)),
        intake_without=Spread(tuple(r.events_per_s for r in without)),
        intake_with_slow=Spread(tuple(r.events_per_s for r in with_slow)),
        cpu_without=Spread(tuple(r.cpu_us_per_event for r in without)),
        cpu_with_slow=Spread(tuple(r.cpu_us_per_event for r in with_slow)),
        slow_deliveries=tuple(r.slow_accepted for r in with_slow),
        events=events,
        alerts=alerts,
        database=with_slow[-1].database if with_slow else "",
    )


def _deliveries_run(base: Settings, alerts: int) -> float:
    bench = isolated_run(base, "benchwh")
    sessions = bench.prepare(generate(7, SampleSizes(manufacturers=5, standards=2, labs=2)))
    with running() as receiver:
        _subscribe(sessions, receiver)
        _publish_alerts(bench.settings, alerts, bench.settings.topic_prefix)
        env = bench.worker_env(base.metrics_port + 5, RECALL_AGENTS="webhooks", **DISPATCH)
        worker = WorkerProcess(env, bench.workdir / "worker.log")
        worker.start()
        try:
            samples = _track(lambda: len(receiver.accepted()), alerts, 300, worker.running)
        finally:
            worker.stop()
            bench.clean_up()
        if samples[-1][1] < alerts:
            raise RuntimeError(f"{samples[-1][1]} of {alerts} delivered:\n{worker.log_tail()}")
        if receiver.snapshot().bad_signatures:
            raise RuntimeError("the receiver refused signatures")
    return round(_window_rate(samples, alerts), 1)


def _intake_run(base: Settings, events: int, *, slow: bool) -> IntakeRun:
    bench = isolated_run(base, "benchwhi")
    sessions = bench.prepare(generate(7, REGISTRY))
    with running(delay_s=SLOW_S) as receiver:
        if slow:
            _subscribe(sessions, receiver)
        produce_events(bench.settings, sessions, events, None)
        _publish_alerts(bench.settings, BUSY_ALERTS, bench.settings.topic_prefix)
        store = IntakeStore(sessions)
        # The dispatcher as deployed (default settings): the slow receiver holds its 4 slots.
        env = bench.worker_env(base.metrics_port + 6, RECALL_AGENTS="intake,webhooks")
        worker = WorkerProcess(env, bench.workdir / "worker.log")
        worker.start()
        cpu: list[tuple[int, float]] = []  # (stored events, the worker's CPU seconds)

        def count() -> int:
            stored = store.counts().events
            cpu.append((stored, cpu_seconds(worker.pid)))
            return stored

        try:
            samples = _track(count, events, 600, worker.running)
        finally:
            worker.stop()
            bench.clean_up()
        if samples[-1][1] < events:
            raise RuntimeError(f"stored {samples[-1][1]} of {events}:\n{worker.log_tail()}")
        taken = len(receiver.accepted())
    rate = round(_window_rate(samples, events), 1)
    return IntakeRun(rate, _cpu_per_event(cpu, events), taken, bench.database)


@dataclass(frozen=True, slots=True)
class IntakeRun:
    events_per_s: float
    cpu_us_per_event: float  # the worker process's CPU time per stored event (10%–90%)
    slow_accepted: int
    database: str


def _cpu_per_event(samples: list[tuple[int, float]], total: int) -> float:
    """Microseconds of the worker's CPU per event between the 10% and 90% marks: unlike a
    rate, hardly moved by other processes competing for the machine's cores."""
    low = next((s for s in samples if s[0] >= 0.1 * total), None)
    high = next((s for s in samples if s[0] >= 0.9 * total), None)
    if low is None or high is None or high[0] <= low[0]:
        return float("nan")
    return round((high[1] - low[1]) / (high[0] - low[0]) * 1e6, 1)


def _subscribe(sessions: sessionmaker[Session], receiver: Receiver) -> None:
    made = subscriptions.create(
        SqlWebhookStore(sessions),
        owner=Owner("bench", None),  # a national owner: every alert of the run
        url=receiver.url,
        description="bench",
        filters=Filters(),
        now=datetime.now(UTC),
    )
    receiver.secrets = [made.secret]


def _publish_alerts(settings: Settings, n: int, run: str) -> None:
    producer = KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        acks="all",
        linger_ms=20,
        **settings.kafka_client_options(),
    )
    topic = settings.topic_name(ALERTS.name)
    started = time.monotonic()
    for i in range(n):
        alert = sample_alert(i, "140105", run=run)
        producer.send(topic, key=alert.alert_id.encode(), value=encode(ALERTS, alert))
    producer.flush(timeout=max(30.0, time.monotonic() - started + 30))
    producer.close()


def result_json(result: WebhookBenchResult) -> bytes:
    document = asdict(result) | {"ratio": result.ratio, "cpu_ratio": result.cpu_ratio}
    return orjson.dumps(document, option=orjson.OPT_INDENT_2)
