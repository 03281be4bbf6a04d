"""`apply_registry_changes`: `registry.changes` → the registry tables and their audit trail.

Each change is applied in one transaction together with its audit row, keyed by the change
id, so a redelivery (a rebalance, a restart before the commit) is applied once. After a change
this worker reloads its own registry snapshot at once; every other intake worker picks it up at
its `refresh_registry` timer (RECALL_REGISTRY_REFRESH_SECONDS, 15 s by default), so a withdrawn
standard is enforced everywhere within one refresh period (docs/registry.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial

import faust
import structlog
from pydantic import ValidationError

from recall.adapters.db.registry_store import apply_change
from schemas.registry import RegistryChange
from streams.agents.ports import isolate_now
from streams.context import WorkerContext, with_retry
from streams.faust_types import Stream

log = structlog.get_logger(__name__)
STAGE = "apply_registry_changes"


def register(app: faust.App, context: WorkerContext, changes: faust.TopicT) -> None:
    metrics = context.metrics

    @app.agent(changes, name=STAGE)
    async def apply_registry_changes(stream: Stream) -> AsyncIterator[None]:
        async for event in stream.events():
            message = event.message
            try:
                change = RegistryChange.model_validate_json(message.value or b"")
            except ValidationError as error:
                await isolate_now(app, context, STAGE, message, error)
                yield None
                continue
            try:
                # Transient database errors are retried inside; nothing is lost meanwhile.
                applied = await with_retry(
                    partial(asyncio.to_thread, apply_change, context.sessions, change),
                    what="registry",
                    on_failure=metrics.db_failures.labels("registry").inc,
                    is_transient=context.storage.is_transient,
                )
            except Exception as error:  # permanent (RegistryChangeError, a data error): isolate
                await isolate_now(app, context, STAGE, message, error, subject=change.key)
                yield None
                continue
            log.info(
                "registry change applied" if applied.applied else "registry change already applied",
                change_id=applied.change_id,
                section=change.section.value,
                key=change.key,
                operation=change.operation.value,
                by=change.by,
            )
            await asyncio.to_thread(context.refresh_reporters)
            yield None
