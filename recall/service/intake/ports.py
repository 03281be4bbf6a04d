"""What the intake stage needs from storage, and the rows it hands over.

The repository is bound to one transaction (`recall.service.ports.UnitOfWork.intake`): it
takes no session, and everything it writes commits or rolls back with the rest of the batch.
Adapters implement it (`recall.adapters.db.intake_store.SqlIntakeRepository`, and an
in-memory fake for the services' unit tests) and import these types from here.

Queries about intake (counts, the registry, per-partition accounting) are not here: no
service uses them; the CLI and the worker read them from the adapter directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypedDict

Position = tuple[str, int, int]
"""A source record's (topic, partition, offset): what makes a record's outcome idempotent."""
EventKey = tuple[str, str]
"""(reporter id, event id): ids are the stations' own, unique only within one reporter."""


class EventRow(TypedDict):
    """One accepted event as the system of record keeps it (`records.event_row`)."""

    event_id: str
    type: str
    reporter_id: str
    jurisdiction: str
    product_key: str | None
    occurred_at: datetime | None
    sent_at: datetime
    received_at: datetime
    source_topic: str
    source_partition: int
    source_offset: int
    content_hash: str
    payload: Mapping[str, Any]


class LetterRow(TypedDict):
    """One dead letter as the system of record keeps it (`records.dead_letter_row`)."""

    source_topic: str
    source_partition: int
    source_offset: int
    reason: str
    errors: list[dict[str, str]]
    reporter_id: str | None
    received_at: datetime
    original: bytes
    original_size: int | None
    original_sha256: str | None
    detail: str
    event_id: str | None
    """The canonical UUID the refused record claims, None when it claims none it could read
    (`letters.claimed_event_id`): how a reporter finds the refusal of one of its events."""


def event_position(row: EventRow | LetterRow) -> Position:
    return (row["source_topic"], row["source_partition"], row["source_offset"])


def event_key(row: EventRow) -> EventKey:
    return (row["reporter_id"], row["event_id"])


@dataclass(frozen=True, slots=True)
class StoreOutcome:
    """Where each record of a batch ended, by its source position (topic, partition, offset).

    The sets are disjoint and, with the dead letters, cover the batch: the accounting invariant
    `published = stored + dead-lettered + duplicates` is checked on them per batch.
    """

    inserted: frozenset[Position] = frozenset()
    duplicates: frozenset[Position] = frozenset()
    redelivered: frozenset[Position] = frozenset()
    conflicts: frozenset[Position] = frozenset()
    """Same reporter and event id as a stored event, different content: to be dead-lettered."""
    dead_letters: int = 0

    @property
    def forward(self) -> frozenset[Position]:
        """Events to pass downstream: new ones and redeliveries, not duplicates or conflicts."""
        return self.inserted | self.redelivered


class IntakeRepository(Protocol):
    """Events, duplicates and dead letters of one transaction.

    Both writes are idempotent, so a batch redelivered after a crash leaves no second trace.
    A value the store cannot hold raises a permanent error (`Storage.is_transient` says no);
    the caller isolates the record that caused it.
    """

    def store_events(self, rows: Sequence[EventRow]) -> StoreOutcome:
        """Store each (reporter, event id) once; classify every other row by position.

        A row whose key is stored from the same position is a redelivery (no effect); from
        another position with the same content it is a duplicate (recorded once by its
        position); with other content it is a conflict, which the caller dead-letters. Within
        one call the first row of a key is the one stored.
        """
        ...

    def store_dead_letters(self, rows: Sequence[LetterRow]) -> int:
        """Store dead letters once per source position; returns how many were new."""
        ...

    def mark_seen(self, seen: Mapping[str, datetime]) -> None:
        """Record when each registered reporter was last seen (`stations.last_seen_at`).

        Monotone: a time earlier than the one kept changes nothing, so a batch replayed or
        retried after a later one cannot move a station's last contact backwards. Reporters
        that are not registered are ignored (they have no row to keep it on).
        """
        ...
