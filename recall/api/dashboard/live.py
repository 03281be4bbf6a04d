"""Live updates for open dashboards: Kafka topics → server-sent events, per account scope.

One consumer per API process reads `risk.signals`, `investigations.events` and `alerts` from
their ends (no consumer group: every API process must see every record, and nothing is
committed — a dashboard that connects later reads the database for what came before). Each
record becomes one small event, sent to every open stream whose account may see it (the same
`can_see` rule as the API, on the record's region). The consumer starts with the first
stream and keeps running; if the broker is away it retries with backoff while the streams
stay open and say so (`status` events), so the page's indicator shows it.

Slow browsers never slow the consumer: each stream has a bounded queue and a stream that
falls behind is told to reload and closed, rather than buffering without end.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import structlog

from recall.config import Settings
from recall.domain.access import Principal, Scoped, can_see
from schemas.topics import ALERTS, INVESTIGATION_EVENTS, RISK_SIGNALS

log = structlog.get_logger(__name__)

QUEUE_SIZE = 200
HEARTBEAT_S = 15.0
RETRY_S = (1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One thing that happened, as a page shows it: a kind, a region and a few fields."""

    kind: str
    region: str | None
    data: dict[str, Any]
    manufacturer_code: str | None = None

    def scoped(self) -> Scoped:
        return Scoped(self.region, manufacturer_code=self.manufacturer_code)

    def sse(self) -> bytes:
        return b"event: " + self.kind.encode() + b"\ndata: " + orjson.dumps(self.data) + b"\n\n"


def to_live(topic_base: str, value: bytes) -> LiveEvent | None:
    """The live event of one record, or None when it is not one a page shows (or unreadable)."""
    try:
        record = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict):
        return None
    region = _text(record.get("jurisdiction"))
    fields = _FIELDS.get(topic_base)
    if fields is None:
        return None
    kind, keys = fields
    maker = _maker(record.get("product_key")) if kind == "signal" else None
    return LiveEvent(kind, region, {k: record.get(k) for k in keys}, maker)


_FIELDS = {
    RISK_SIGNALS.name: ("signal", ("signal_id", "product_key", "hazard", "category",
                                   "risk_level", "method", "raised_at", "jurisdiction")),
    INVESTIGATION_EVENTS.name: ("investigation", ("investigation_id", "action", "state",
                                                  "product_key", "hazard", "at", "jurisdiction")),
    ALERTS.name: ("alert", ("alert_id", "kind", "severity", "title", "subject", "at",
                            "jurisdiction")),
}  # fmt: skip
"""Per topic: the event's kind and the few fields a page shows (never the whole record)."""


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _maker(product_key: object) -> str | None:
    return product_key.split("/", 1)[0] if isinstance(product_key, str) else None


@dataclass(eq=False)  # one per open page: identity, not value
class Subscriber:
    principal: Principal
    queue: asyncio.Queue[bytes] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    overflowed: bool = False


ConsumerFactory = Callable[[Settings, list[str]], Any]


def _aiokafka_consumer(settings: Settings, topics: list[str]) -> Any:
    from aiokafka import AIOKafkaConsumer

    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="latest",
        client_id="recall-api-live",
        **settings.kafka_client_options(),
    )


class LiveHub:
    """The process's one consumer and its open streams."""

    def __init__(self, settings: Settings, consumer: ConsumerFactory = _aiokafka_consumer) -> None:
        self._settings = settings
        self._consumer_factory = consumer
        self._subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self._bases = {settings.topic_name(t.name): t.name
                       for t in (RISK_SIGNALS, INVESTIGATION_EVENTS, ALERTS)}  # fmt: skip
        self.connected = asyncio.Event()
        self.delivered = 0

    async def stream(self, principal: Principal) -> AsyncIterator[bytes]:
        """The account's event stream: status changes, its events, heartbeats."""
        subscriber = Subscriber(principal)
        self._subscribers.add(subscriber)
        self._ensure_running()
        try:
            yield b"retry: 3000\n\n"
            yield _status(self.connected.is_set())
            while True:
                try:
                    chunk = await asyncio.wait_for(subscriber.queue.get(), HEARTBEAT_S)
                except TimeoutError:
                    chunk = b": heartbeat\n\n"
                yield chunk
                if subscriber.overflowed:
                    yield b"event: reload\ndata: {}\n\n"
                    return
        finally:
            self._subscribers.discard(subscriber)

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="dashboard-live")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        attempt = 0
        while True:
            consumer = self._consumer_factory(self._settings, list(self._bases))
            try:
                await consumer.start()
                attempt = 0
                self._announce(True)
                async for record in consumer:
                    self.publish(self._bases.get(record.topic, ""), record.value)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the broker is away: say so, retry, keep the streams
                log.warning("dashboard live feed interrupted", error=type(error).__name__)
            finally:
                self._announce(False)
                with contextlib.suppress(Exception):
                    await consumer.stop()
            await asyncio.sleep(RETRY_S[min(attempt, len(RETRY_S) - 1)])
            attempt += 1

    def publish(self, topic_base: str, value: bytes | None) -> int:
        """Send one record to every stream that may see it; returns how many got it."""
        event = to_live(topic_base, value) if value else None
        if event is None:
            return 0
        chunk, scoped, sent = event.sse(), event.scoped(), 0
        for subscriber in list(self._subscribers):
            if not can_see(subscriber.principal, scoped):
                continue
            try:
                subscriber.queue.put_nowait(chunk)
                sent += 1
            except asyncio.QueueFull:
                subscriber.overflowed = True
        self.delivered += sent
        return sent

    def _announce(self, connected: bool) -> None:
        if connected == self.connected.is_set():
            return
        if connected:
            self.connected.set()
        else:
            self.connected.clear()
        for subscriber in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                subscriber.queue.put_nowait(_status(connected))


def _status(connected: bool) -> bytes:
    return b"event: status\ndata: " + orjson.dumps({"connected": connected}) + b"\n\n"
