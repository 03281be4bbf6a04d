"""`validate_intake` as a batch consumer (`streams.batch_consumer`), inside the Faust worker.

The intake stage is stateless (no table, no ordering beyond a partition's), and Faust's
per-record machinery capped it at ~2,500 events/s whatever the batch did (issue 15). So the
stage reads `intake.raw` with its own consumer, in its own group (`<app id>-intake`), and hands
whole fetched batches to `streams.agents.intake.handle_batch`: one SQL transaction, then the
canonical and dead-letter records produced and acknowledged, then the offsets committed
(docs/streams.md, "Batch consumers").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import faust

from recall.config import Settings
from streams.agents.intake import INTAKE_BATCH, STAGE, handle_batch
from streams.batch_consumer import BatchConsumer, attach
from streams.context import WorkerContext


def intake_group(settings: Settings) -> str:
    """The stage's consumer group: not Faust's (`app_id`), whose members run the other agents."""
    return f"{settings.app_id}-intake"


def intake_consumer(context: WorkerContext, topic: str, **kwargs: Any) -> BatchConsumer:
    """The stage over `topic`; `kwargs` are `BatchConsumer`'s (fake clients in unit tests)."""

    async def handle(stage: BatchConsumer, records: Sequence[Any]) -> None:
        await handle_batch(stage.send_all, context, records)
        context.metrics.received.inc(len(records))

    return BatchConsumer(
        context,
        topic,
        stage=STAGE,
        group=intake_group(context.settings),
        handle=handle,
        max_records=INTAKE_BATCH,
        gather_s=context.settings.intake_gather_s,
        **kwargs,
    )


def register(app: faust.App, context: WorkerContext, raw_topic: faust.TopicT) -> BatchConsumer:
    """Attach the stage to `app`: started and stopped with it, before table recovery."""
    (topic,) = raw_topic.topics
    return attach(app, intake_consumer(context, topic, loop=None))
