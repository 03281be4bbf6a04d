"""Supervision without a broker: timers survive transient errors, escalate the rest, readiness.

Faust is replaced by small fakes: the point is the decisions (retry, back off, exit, ready),
which must hold whatever Faust does around them.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, NoReturn

import pytest
from aiokafka.errors import KafkaConnectionError, RecordTooLargeError
from sqlalchemy.exc import IntegrityError, OperationalError

from streams import supervision as sup
from streams.health import serve
from streams.metrics import WorkerMetrics
from streams.readiness import PartitionProgress, Readiness, TimerHealth, readiness
from streams.supervision import Supervision, failure_kind, watch_app
from streams.timers import run_tick, supervised_timer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FatalError(Exception):
    """Stands in for the process exit, so a test can see that it was asked for."""


def fatal(reason: str, error: BaseException) -> NoReturn:
    raise FatalError(reason) from error


def sample(metrics: WorkerMetrics, name: str, labels: dict[str, str]) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def failing(error: BaseException) -> Callable[[], Any]:
    async def fn() -> None:
        raise error

    return fn


async def ok() -> None:
    return None


def outage() -> OperationalError:
    class PsycopgOperationalError(Exception):  # what psycopg raises when the server is away
        pass

    PsycopgOperationalError.__name__ = "OperationalError"
    return OperationalError("SELECT 1", {}, PsycopgOperationalError("connection refused"))


def test_transient_error_is_counted_backs_off_and_the_next_tick_recovers() -> None:
    clock = FakeClock()
    supervision = Supervision(WorkerMetrics(), clock=clock)
    supervision.timer("refresh_registry", 1.0)

    asyncio.run(run_tick(supervision, "refresh_registry", failing(outage()), idempotent=False))
    # Transient: no escalation even though the work is marked not idempotent.
    state = supervision.timers["refresh_registry"]
    assert state.consecutive_failures == 1 and state.last_error == "OperationalError"
    labels = {"timer": "refresh_registry", "kind": "transient"}
    assert sample(supervision.metrics, "recall_timer_failures_total", labels) == 1

    calls: list[int] = []

    async def counted() -> None:
        calls.append(1)

    asyncio.run(run_tick(supervision, "refresh_registry", counted, idempotent=False))
    assert calls == [], "a tick inside the backoff must not touch the database"
    clock.now += 1.0
    asyncio.run(run_tick(supervision, "refresh_registry", counted, idempotent=False))
    assert calls == [1]
    assert state.consecutive_failures == 0 and state.last_success == clock.now
    runs = sample(supervision.metrics, "recall_timer_runs_total", {"timer": "refresh_registry"})
    assert runs == 1


def test_backoff_grows_and_is_capped() -> None:
    clock = FakeClock()
    supervision = Supervision(WorkerMetrics(), clock=clock, max_backoff_s=5.0)
    supervision.timer("publish_outbox", 1.0)
    waits = []
    for _ in range(5):
        asyncio.run(run_tick(supervision, "publish_outbox", failing(outage()), idempotent=True))
        state = supervision.timers["publish_outbox"]
        waits.append(state.next_attempt - clock.now)
        clock.now = state.next_attempt
    assert waits == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_permanent_error_in_idempotent_work_is_logged_counted_and_retried() -> None:
    clock = FakeClock()
    supervision = Supervision(WorkerMetrics(), clock=clock)
    supervision.timer("check_report_deadlines", 1.0)
    asyncio.run(
        run_tick(
            supervision,
            "check_report_deadlines",
            failing(ValueError("bad row")),
            idempotent=True,
            on_fatal=fatal,
        )
    )
    labels = {"timer": "check_report_deadlines", "kind": "permanent"}
    assert sample(supervision.metrics, "recall_timer_failures_total", labels) == 1
    clock.now += 1.0
    asyncio.run(run_tick(supervision, "check_report_deadlines", ok, idempotent=True))
    assert supervision.timers["check_report_deadlines"].runs == 1


def test_permanent_error_in_work_unsafe_to_repeat_escalates_to_exit() -> None:
    supervision = Supervision(WorkerMetrics(), clock=FakeClock())
    with pytest.raises(FatalError, match="timer once_only"):
        asyncio.run(
            run_tick(
                supervision,
                "once_only",
                failing(KeyError("x")),
                idempotent=False,
                on_fatal=fatal,
            )
        )


def test_cancellation_passes_through() -> None:
    supervision = Supervision(WorkerMetrics(), clock=FakeClock())
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(run_tick(supervision, "t", failing(asyncio.CancelledError()), idempotent=True))


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (KafkaConnectionError(), "transient"),
        (RecordTooLargeError(), "permanent"),
        (ConnectionResetError(), "transient"),
        (IntegrityError("INSERT", {}, Exception("duplicate")), "permanent"),
        (ZeroDivisionError(), "permanent"),
    ],
)
def test_failure_kind(error: BaseException, kind: str) -> None:
    assert failure_kind(error).value == kind
    assert failure_kind(outage()).value == "transient"


class FakeApp:
    """Just what `supervised_timer` and `watch_app` use of a Faust app."""

    def __init__(self) -> None:
        self.timers: dict[str, tuple[float, bool, Callable[[], Any]]] = {}
        self.crashed = False
        self.crash_reason: BaseException | None = None

    def timer(self, seconds: float, *, on_leader: bool, name: str) -> Callable[[Any], Any]:
        def register(fn: Callable[[], Any]) -> Callable[[], Any]:
            self.timers[name] = (seconds, on_leader, fn)
            return fn

        return register


def test_supervised_timer_registers_a_tick_that_never_raises() -> None:
    app = FakeApp()
    supervision = Supervision(WorkerMetrics(), clock=FakeClock())

    @supervised_timer(app, supervision, "publish_outbox", 0.2, on_leader=True)  # type: ignore[arg-type]
    async def publish_outbox() -> None:
        raise outage()

    seconds, on_leader, tick = app.timers["publish_outbox"]
    assert (seconds, on_leader) == (0.2, True)
    asyncio.run(tick())  # would raise (and crash Faust's timer actor) if unsupervised
    assert supervision.timers["publish_outbox"].interval_s == 0.2
    assert supervision.timers["publish_outbox"].failures == 1


def test_watchdog_ends_the_process_when_the_app_is_marked_crashed() -> None:
    app = FakeApp()
    called = threading.Event()
    reasons: list[str] = []

    def record(reason: str, error: BaseException) -> None:
        reasons.append(f"{reason}: {error!r}")
        called.set()

    watch_app(app, interval_s=0.01, on_fatal=record)  # type: ignore[arg-type]
    assert not called.wait(0.1), "a healthy app must not be ended"
    app.crash_reason = RuntimeError("timer died")
    app.crashed = True
    assert called.wait(10), "the watchdog did not react to a crashed app"
    assert reasons == ["the Faust app crashed: RuntimeError('timer died')"]


def test_agent_error_exits_with_code_70(monkeypatch: pytest.MonkeyPatch) -> None:
    codes: list[int] = []

    def fake_exit(code: int) -> NoReturn:
        codes.append(code)
        raise SystemExit(code)

    monkeypatch.setattr("streams.supervision.os._exit", fake_exit)

    class Agent:
        name = "track_recalls"

    with pytest.raises(SystemExit):
        asyncio.run(sup.exit_on_agent_error(Agent(), RuntimeError("bug")))
    assert codes == [sup.EXIT_CRASHED] == [70]


def _ready(**overrides: Any) -> Readiness:
    arguments: dict[str, Any] = {
        "started": True,
        "joined_group": True,
        "rebalancing": False,
        "crashed": None,
        "partitions": {},
        "timers": {},
        "now": 100.0,
        "stall_after_s": 30.0,
        "failing_timer_after": 3,
    }
    arguments.update(overrides)
    return readiness(**arguments)


def test_readiness_rules() -> None:
    assert _ready() == Readiness(True, ())
    assert _ready(started=False).reasons == ("starting",)
    assert _ready(joined_group=False).reasons == ("not yet in the consumer group",)
    assert _ready(rebalancing=True).reasons == ("rebalancing",)
    assert _ready(crashed="OperationalError()").reasons == ("crashed: OperationalError()",)
    caught_up_long_ago = PartitionProgress(position=50, highwater=50, advanced_at=0.0)
    busy_recently = PartitionProgress(position=40, highwater=50, advanced_at=80.0)
    stuck = PartitionProgress(position=40, highwater=50, advanced_at=60.0)
    assert _ready(partitions={"raw[0]": caught_up_long_ago, "raw[1]": busy_recently}).ready
    assert _ready(partitions={"raw[2]": stuck}).reasons == (
        "raw[2] stalled: lag 10, no progress for 40 s",
    )
    flaky = TimerHealth(1.0, consecutive_failures=2, last_error="OperationalError")
    failing_timer = TimerHealth(1.0, consecutive_failures=3, last_error="OperationalError")
    assert _ready(timers={"refresh_registry": flaky}).ready
    assert _ready(timers={"refresh_registry": failing_timer}).reasons == (
        "timer refresh_registry failing: 3 in a row (last OperationalError)",
    )


def test_partition_progress_starts_the_stall_clock_when_work_appears() -> None:
    clock = FakeClock()
    supervision = Supervision(WorkerMetrics(), clock=clock, stall_after_s=30.0)

    def check() -> Readiness:
        return supervision.check(started=True, joined_group=True, rebalancing=False, crashed=None)

    supervision.observe_partitions({"raw[0]": (10, 10)})  # caught up
    clock.now += 100
    supervision.observe_partitions({"raw[0]": (10, 60)})  # new records arrive
    assert check().ready, "new work is not a stall"
    clock.now += 31
    supervision.observe_partitions({"raw[0]": (10, 60)})
    assert not check().ready
    assert supervision.metrics.registry.get_sample_value("recall_worker_ready") == 0
    supervision.observe_partitions({"raw[0]": (20, 60)})  # processing resumed
    assert check().ready
    assert supervision.metrics.registry.get_sample_value("recall_worker_ready") == 1


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_http_endpoints() -> None:
    metrics = WorkerMetrics()
    metrics.timer_runs.labels("refresh_registry").inc()
    verdict = {"value": Readiness(False, ("starting",))}
    server = serve("127.0.0.1", 0, metrics.registry, lambda: verdict["value"])
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert _get(base + "/healthz") == (200, b"ok\n")
        status, body = _get(base + "/ready")
        assert (status, json.loads(body)) == (503, {"ready": False, "reasons": ["starting"]})
        verdict["value"] = Readiness(True, ())
        assert _get(base + "/ready")[0] == 200
        status, body = _get(base + "/metrics")
        assert status == 200 and b'recall_timer_runs_total{timer="refresh_registry"} 1.0' in body
        assert _get(base + "/nothing")[0] == 404
    finally:
        server.shutdown()
        server.server_close()
