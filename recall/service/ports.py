"""What the services need from the outside world, declared by the services themselves.

Services depend on these interfaces; adapters implement them (`recall.adapters.db.storage`
with SQL, `tests/support/memory_storage.py` in memory for the services' unit tests). A
`Storage` hands out units of work: one transaction in which every repository of every loop
stage writes together or not at all — an investigation that orders a recall, or an intake
batch that stores a firm's recall notice with its events, commits as one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel

from recall.service.cases.ports import CaseRepository
from recall.service.intake.ports import IntakeRepository
from recall.service.investigations.ports import InvestigationRepository
from recall.service.recalls.ports import RecallRepository
from recall.service.tiers.ports import TierRepository
from schemas.risk import Alert
from schemas.topics import (
    ALERTS,
    FIRMS_CREDIT,
    INVESTIGATION_EVENTS,
    RECALL_EFFECTIVENESS,
    TopicSpec,
    encode,
)


@dataclass(frozen=True, slots=True)
class OutputTopics:
    """Runtime names of the topics the services write to through the outbox.

    The declared names by default; benchmarks and tests run with a prefix
    (`Settings.topic_name`), so the entry point passes the names it resolved.
    """

    investigations: str = INVESTIGATION_EVENTS.name
    effectiveness: str = RECALL_EFFECTIVENESS.name
    alerts: str = ALERTS.name
    credit: str = FIRMS_CREDIT.name

    @classmethod
    def resolved(cls, name: Callable[[str], str]) -> OutputTopics:
        """Every output topic under this installation's names (`Settings.topic_name`).

        One builder for every entry point, so a topic added here cannot be left at its bare
        declared name by one of them while the others prefix it."""
        return cls(**{f.name: name(str(f.default)) for f in fields(cls)})


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A record to publish once the transaction that decided it commits.

    `value` is already validated against its topic's model (`outbox_record` builds it), so
    the publisher sends bytes it never has to check. `record_id` is stable: consumers drop
    the repeats that at-least-once publishing allows.
    """

    record_id: str
    topic: str
    key: str
    value: bytes
    created_at: datetime


def outbox_record(
    spec: TopicSpec,
    topic: str,
    *,
    record_id: str,
    key: str,
    value: BaseModel | dict[str, Any],
    at: datetime,
) -> OutboxRecord:
    """An outbox record whose value obeys `spec`'s model (`OutgoingRecordError` if not).

    `topic` is the runtime name (benchmarks and tests prefix the declared ones).
    """
    return OutboxRecord(record_id, topic, key, encode(spec, value), at)


def alert_record(alert: Alert, topics: OutputTopics) -> OutboxRecord:
    """An alert's outbox record: keyed and identified by the alert id, so a decision taken
    again (a retried transaction, a timer that runs twice) queues it once."""
    return outbox_record(
        ALERTS,
        topics.alerts,
        record_id=f"alert:{alert.alert_id}",
        key=alert.alert_id,
        value=alert,
        at=alert.at,
    )


class Outbox(Protocol):
    def add(self, records: Sequence[OutboxRecord]) -> None:
        """Queue records; a record id already queued is ignored (idempotent re-decisions)."""


class UnitOfWork(Protocol):
    """One transaction's view of every repository."""

    @property
    def intake(self) -> IntakeRepository: ...

    @property
    def investigations(self) -> InvestigationRepository: ...

    @property
    def recalls(self) -> RecallRepository: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def cases(self) -> CaseRepository: ...

    @property
    def tiers(self) -> TierRepository | None:
        """Owners and their audited moves (None where a storage keeps no tiers: unit-test fakes)."""


class Storage(Protocol):
    def transaction(self) -> AbstractContextManager[UnitOfWork]:
        """Commit on normal exit, roll everything back if the block raises."""

    def is_transient(self, error: BaseException) -> bool:
        """True when retrying the same work later may succeed (outage, deadlock, timeout)."""
