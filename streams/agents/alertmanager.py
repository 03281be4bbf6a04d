"""The `alertmanager` stage: domain alerts to Alertmanager, and the domain gauges.

* `forward_alerts` (agent on `alerts`, only with `RECALL_ALERTMANAGER_URL`): each alert is read
  strictly as the contract's `Alert` (one that does not obey is isolated at once), recorded
  in SQL as a condition or moment (`recall.adapters.db.alert_conditions`, rules in
  `recall.domain.alert_conditions`), and what changed is posted to Alertmanager's v2 API.
  The record comes first: a failed post loses nothing and never stops the agent.
* `resend_alertmanager` (timer, leader only): posts every active condition and every change
  not yet delivered, with `endsAt` a few intervals ahead, as Prometheus re-sends its alerts:
  Alertmanager forgets a firing alert nobody sends again, and may have been down or restarted
  without storage.
* `read_domain_gauges` (timer, every worker): signals in the last hour, investigations
  waiting, the oldest one's age, recalls lagging, alerts firing — from SQL, cluster-wide.
  Every worker reads them rather than the leader alone: a former leader would otherwise go on
  exporting the values of its last term; the rules take `max` across workers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import faust
import structlog
from pydantic import ValidationError

from recall.adapters.alertmanager.client import (
    AlertmanagerClient,
    AlertmanagerRefusedError,
    AlertmanagerUnavailableError,
)
from recall.adapters.alertmanager.payload import postable
from recall.adapters.db import alert_conditions
from recall.adapters.db.alert_conditions import Stored
from recall.adapters.db.domain_gauges import DomainFigures, read_figures
from recall.domain.alert_conditions import SEMANTICS
from schemas.common import ProductCategory
from schemas.risk import Alert
from streams.agents.ports import isolate_now
from streams.context import WorkerContext, with_retry
from streams.faust_types import Stream
from streams.gathering import background_window
from streams.metrics import WorkerMetrics
from streams.supervision import supervision_of
from streams.timers import supervised_timer

log = structlog.get_logger(__name__)

STAGE = "forward_alerts"
BATCH = 200
WITHIN_S = 0.2
"""The floor of the stage's gather window (`streams.gathering`)."""
POST_CHUNK = 500
KEEP_ENDED = timedelta(days=7)
"""Ended and delivered conditions are forgotten this long after their end."""


class Poster(Protocol):
    async def post(self, alerts: Sequence[dict[str, Any]]) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class AlertForwarder:
    """Records alerts as conditions and posts them; the agent and the timer share one.

    After a failed post the agent stops posting for one re-send interval (`_quiet_until`), so
    an Alertmanager that hangs costs the agent one timeout per interval, not one per batch;
    the timer posts whatever is pending meanwhile.
    """

    poster: Poster
    context: WorkerContext
    clock: Callable[[], datetime] = _utcnow
    _quiet_until: float = field(default=0.0, repr=False)

    @property
    def metrics(self) -> WorkerMetrics:
        return self.context.metrics

    @property
    def resend_every(self) -> timedelta:
        return timedelta(seconds=self.context.settings.alertmanager_resend_seconds)

    async def record(self, alerts: list[Alert]) -> list[Stored]:
        """Store the alerts' effect on their conditions; transient errors are waited out."""
        settings, sessions = self.context.settings, self.context.sessions
        ttl = timedelta(seconds=settings.alertmanager_moment_ttl_seconds)
        now = self.clock()
        return await with_retry(
            lambda: asyncio.to_thread(alert_conditions.record, sessions, alerts, now, ttl),
            what="alert_conditions",
            on_failure=self.metrics.db_failures.labels("alert_conditions").inc,
            is_transient=self.context.storage.is_transient,
        )

    async def forward(self, changed: list[Stored]) -> None:
        """The agent's post of what a batch changed, unless Alertmanager failed just now.

        Never raises: the changes are in SQL already and the timer sends whatever is still
        pending, so a failure here (marking them sent, say) must not stop the agent.
        """
        if not changed or time.monotonic() < self._quiet_until:
            return
        try:
            await self.send(changed)
        except Exception as error:
            self.metrics.alertmanager_failures.labels("error").inc()
            log.warning(
                "alert forwarding failed; the re-send will deliver", error=repr(error)[:300]
            )

    async def send(self, stored: Sequence[Stored]) -> bool:
        """Post `stored` in chunks and mark them delivered; False when Alertmanager is away."""
        for start in range(0, len(stored), POST_CHUNK):
            if not await self._send_chunk(stored[start : start + POST_CHUNK]):
                return False
        return True

    async def _send_chunk(self, chunk: Sequence[Stored]) -> bool:
        now = self.clock()
        settings = self.context.settings
        payload = [
            postable(
                s.alert,
                s.condition,
                now,
                resend_every=self.resend_every,
                link_base=settings.alertmanager_link_base,
            )
            for s in chunk
        ]
        try:
            delivered = await self._post_isolating(chunk, payload)
        except AlertmanagerUnavailableError as error:
            self.metrics.alertmanager_failures.labels("unavailable").inc()
            self._quiet_until = time.monotonic() + self.resend_every.total_seconds()
            log.warning(
                "alertmanager unavailable; conditions kept for the re-send", error=str(error)
            )
            return False
        self._quiet_until = 0.0
        await asyncio.to_thread(alert_conditions.mark_sent, self.context.sessions, delivered, now)
        for s in delivered:
            self.metrics.alertmanager_sent.labels(s.condition.status).inc()
        return True

    async def _post_isolating(
        self, chunk: Sequence[Stored], payload: list[dict[str, Any]]
    ) -> list[Stored]:
        """The chunk at once; if Alertmanager refuses it, each alert alone, so one alert it
        cannot read (a bug of ours, logged) never holds back the others."""
        try:
            await self.poster.post(payload)
            return list(chunk)
        except AlertmanagerRefusedError as error:
            if len(chunk) == 1:
                self._refused(chunk[0], error)
                return []
        delivered = []
        for stored, one in zip(chunk, payload, strict=True):
            try:
                await self.poster.post([one])
                delivered.append(stored)
            except AlertmanagerRefusedError as error:
                self._refused(stored, error)
        return delivered

    def _refused(self, stored: Stored, error: AlertmanagerRefusedError) -> None:
        self.metrics.alertmanager_failures.labels("refused").inc()
        log.error(
            "alertmanager refused an alert",
            condition=stored.condition.key[:200],
            alert_id=stored.condition.alert_id,
            error=str(error)[:300],
        )

    async def resend(self) -> None:
        """Every active condition and undelivered change, then forget long-ended ones."""
        sessions, now = self.context.sessions, self.clock()
        due = await asyncio.to_thread(alert_conditions.due, sessions, now)
        if await self.send(due):
            await asyncio.to_thread(alert_conditions.purge, sessions, now - KEEP_ENDED)


def register(app: faust.App, context: WorkerContext, alerts: faust.TopicT) -> None:
    """The domain gauges always; the forwarder when an Alertmanager URL is configured."""
    settings = context.settings
    supervision = supervision_of(context)
    register_gauges(app, context)
    if not settings.alertmanager_url:
        log.info("no RECALL_ALERTMANAGER_URL: alerts are not forwarded to Alertmanager")
        return
    client = AlertmanagerClient(
        settings.alertmanager_url, timeout_s=settings.alertmanager_timeout_seconds
    )
    forwarder = AlertForwarder(client, context)

    async def set_aside(message: Any, error: BaseException, subject: str) -> None:
        await isolate_now(app, context, STAGE, message, error, subject=subject)

    @app.agent(alerts, name=STAGE)
    async def forward_alerts(stream: Stream) -> AsyncIterator[None]:
        async for batch in stream.take_events(BATCH, within=background_window(settings, WITHIN_S)):
            started = time.perf_counter()
            await forward_messages([e.message for e in batch], forwarder, set_aside)
            context.metrics.batch_seconds.labels(STAGE).observe(time.perf_counter() - started)
            yield None

    # Posting again what Alertmanager already has changes nothing there: safe to repeat.
    @supervised_timer(
        app,
        supervision,
        "resend_alertmanager",
        settings.alertmanager_resend_seconds,
        on_leader=True,
    )
    async def resend_alertmanager() -> None:
        await forwarder.resend()


SetAside = Callable[[Any, BaseException, str], Any]


async def forward_messages(
    messages: Sequence[Any], forwarder: AlertForwarder, set_aside: SetAside
) -> None:
    """Read, record and post one batch; a message that is not an `Alert` is set aside at
    once, and after a permanent store error each alert is recorded alone so only the one
    that fails again is set aside."""
    parsed: list[tuple[Alert, Any]] = []
    for message in messages:
        try:
            parsed.append((Alert.model_validate_json(message.value), message))
        except ValidationError as error:
            await set_aside(message, error, "")
    if not parsed:
        return
    try:
        changed = await forwarder.record([a for a, _ in parsed])
    except Exception:  # permanent: with_retry waited out transient ones
        changed = []
        for alert, message in parsed:
            try:
                changed += await forwarder.record([alert])
            except Exception as error:
                await set_aside(message, error, alert.alert_id)
    await forwarder.forward(changed)


def register_gauges(app: faust.App, context: WorkerContext) -> None:
    metrics = context.metrics
    supervision = supervision_of(context)

    @supervised_timer(
        app, supervision, "read_domain_gauges", context.settings.domain_gauges_seconds
    )
    async def read_domain_gauges() -> None:
        now = datetime.now(UTC)
        figures = await asyncio.to_thread(read_figures, context.sessions, now)
        publish_gauges(metrics, figures, now)


def publish_gauges(metrics: WorkerMetrics, figures: DomainFigures, now: datetime) -> None:
    """Set every gauge; known labels absent from SQL are 0 (a series that vanished would
    read as "no data" on a dashboard and in `absent()`, not as none)."""
    categories = {c.value for c in ProductCategory} | set(figures.signals_last_hour)
    for category in categories:
        metrics.signals_last_hour.labels(category).set(figures.signals_last_hour.get(category, 0))
    for state in ("opened", "assigned"):
        metrics.investigations_waiting.labels(state).set(
            figures.investigations_waiting.get(state, 0)
        )
    oldest = figures.oldest_open_at
    metrics.investigation_oldest_age.set(0 if oldest is None else (now - oldest).total_seconds())
    metrics.recalls_lagging.set(figures.recalls_lagging)
    for kind in set(SEMANTICS) | set(figures.alerts_firing):
        metrics.alerts_firing.labels(kind).set(figures.alerts_firing.get(kind, 0))
