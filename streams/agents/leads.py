"""`queue_media_leads` (timer): newsrooms' injury reports enter the triage queue as they land.

Part of the `investigations` stage, on the leader only (one writer), every
`lead_import_interval_s`: `recall.service.leads.commands.import_media_reports` reads the
accepted injury reports of stations of kind `media` that have no lead yet and records one
`media` lead each (reference = the event id). Why a timer over the record and not an agent on
`events.canonical`: the record already says which reports are queued (the lead's reference),
so a tick is idempotent and a missed one is caught up by the next, with no second consumer
group on the busiest topic for a handful of newsroom reports a day. The latency is one
interval (a minute by default), against triage that takes a regulator hours.
`recall leads import-media` runs the same function by hand. `clock` is injectable for tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import faust
import structlog

from recall.adapters.db.lead_store import SqlLeadStorage
from recall.service.leads.commands import MediaImport, import_media_reports
from streams.context import WorkerContext
from streams.supervision import supervision_of
from streams.timers import supervised_timer

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]
TIMER = "queue_media_leads"
BATCH = 500
"""Reports queued per tick at most: a backlog drains over several ticks, each one short."""


def queue_media_leads(storage: SqlLeadStorage, now: datetime) -> MediaImport:
    """One tick: queue what is new, say how many (and how many could not become a lead)."""
    done = import_media_reports(storage, limit=BATCH, now=now)
    if done.created or done.refused:
        log.info("media leads queued", created=done.created, refused=len(done.refused))
    return done


def register(
    app: faust.App, context: WorkerContext, clock: Clock = lambda: datetime.now(UTC)
) -> None:
    storage = SqlLeadStorage(context.sessions)

    @supervised_timer(
        app,
        supervision_of(context),
        TIMER,
        context.settings.lead_import_interval_s,
        on_leader=True,
    )
    async def queue_media_leads_timer() -> None:
        await asyncio.to_thread(queue_media_leads, storage, clock())
