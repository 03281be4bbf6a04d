"""CloudEvents headers for the records the outbox publisher sends (`publish_outbox`).

An outbox row holds the runtime topic name (prefixed in tests and benchmarks) and the value
bytes, already validated against the topic's model when the row was queued. The headers are
made at publish time rather than stored with the row: that needs no new column or
migration, old pending rows get them too, and the cost is small on this low-volume path
(about 60 µs a record on the 2-core test machine: one `model_validate_json` plus the SDK's
binding; alerts, investigation events and effectiveness updates, never the intake's rate).
"""

from __future__ import annotations

import structlog
from pydantic import BaseModel, ValidationError

from schemas.cloudevents import kafka_headers
from schemas.recalls import RecallEffectivenessUpdated
from schemas.risk import Alert, InvestigationEvent
from schemas.topics import (
    ALERTS,
    INVESTIGATION_EVENTS,
    RECALL_EFFECTIVENESS,
    OutgoingRecordError,
    TopicSpec,
)
from streams.context import TopicNames

log = structlog.get_logger(__name__)

Headers = list[tuple[str, bytes]]


class OutboxHeaders:
    """Headers of one outbox record by its runtime topic; `None` for a topic without them."""

    def __init__(self, topics: TopicNames) -> None:
        self._specs: dict[str, tuple[TopicSpec, type[BaseModel]]] = {
            topics.investigations: (INVESTIGATION_EVENTS, InvestigationEvent),
            topics.effectiveness: (RECALL_EFFECTIVENESS, RecallEffectivenessUpdated),
            topics.alerts: (ALERTS, Alert),
        }

    def __call__(self, topic: str, record_id: str, value: bytes) -> Headers | None:
        """The record's binary-mode headers; its outbox `record_id` is the CloudEvents id of
        an effectiveness update (which carries no id of its own, `schemas.cloudevents`).

        A value that no longer reads as its model (a row queued by an older release whose
        model has since changed) is published without headers and logged, rather than
        blocking the outbox behind it: the value is what consumers relied on before.
        """
        entry = self._specs.get(topic)
        if entry is None:
            return None
        spec, model = entry
        try:
            record = model.model_validate_json(value)
            return kafka_headers(spec, record, record_id=record_id)
        except (ValidationError, OutgoingRecordError, ValueError) as error:
            log.error(
                "outbox record published without CloudEvents headers",
                topic=topic,
                record_id=record_id[:120],
                error=type(error).__name__,
            )
            return None
