"""An in-memory `IntakeRepository` with the SQL store's semantics, for the services' unit tests.

Events are keyed by (reporter id, event id), duplicates and dead letters by source position,
exactly like `recall.adapters.db.intake_store.SqlIntakeRepository` (whose own test on SQLite
holds the two to the same cases) — down to a record delivered twice within one batch, which
both report as stored and redelivered, so that the batch splits. `refuse_events` and
`refuse_letters_from` make it refuse a row the way a database refuses a value it cannot hold:
with a permanent error, raised before anything of the call is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from recall.service.intake.ports import (
    EventKey,
    EventRow,
    LetterRow,
    Position,
    StoreOutcome,
    event_key,
    event_position,
)


class RefusedByStoreError(ValueError):
    """A permanent error: the store cannot hold this row (a check constraint, say)."""


@dataclass
class MemoryIntakeRepository:
    events: dict[EventKey, EventRow] = field(default_factory=dict)
    duplicates: dict[Position, EventKey] = field(default_factory=dict)
    dead_letters: dict[Position, LetterRow] = field(default_factory=dict)
    refuse_events: set[str] = field(default_factory=set)
    """Event ids whose rows are refused."""
    refuse_letters_from: set[str] = field(default_factory=set)
    """Reporter ids whose dead letters are refused (a letter with no reporter always stores)."""
    last_seen: dict[str, datetime] = field(default_factory=dict)
    """`stations.last_seen_at`, for every reporter (the fake has no registry to check)."""

    def store_events(self, rows: Sequence[EventRow]) -> StoreOutcome:
        refused = [r["event_id"] for r in rows if r["event_id"] in self.refuse_events]
        if refused:
            raise RefusedByStoreError(f"event {refused[0]} refused")
        inserted: set[Position] = set()
        kinds: dict[str, set[Position]] = {"dup": set(), "again": set(), "conflict": set()}
        for row in rows:
            key, position = event_key(row), event_position(row)
            stored = self.events.get(key)
            if stored is None:
                self.events[key] = row
                inserted.add(position)
            elif event_position(stored) == position:
                kinds["again"].add(position)
            elif stored["content_hash"] != row["content_hash"]:
                kinds["conflict"].add(position)
            else:
                kinds["dup"].add(position)
                self.duplicates.setdefault(position, key)
        return StoreOutcome(
            inserted=frozenset(inserted),
            duplicates=frozenset(kinds["dup"]),
            redelivered=frozenset(kinds["again"]),
            conflicts=frozenset(kinds["conflict"]),
        )

    def store_dead_letters(self, rows: Sequence[LetterRow]) -> int:
        refused = [r for r in rows if r["reporter_id"] in self.refuse_letters_from]
        if refused:
            raise RefusedByStoreError(f"dead letter from {refused[0]['reporter_id']} refused")
        new = 0
        for row in rows:
            if event_position(row) not in self.dead_letters:
                self.dead_letters[event_position(row)] = row
                new += 1
        return new

    def mark_seen(self, seen: Mapping[str, datetime]) -> None:
        for reporter_id, at in seen.items():
            if reporter_id not in self.last_seen or self.last_seen[reporter_id] < at:
                self.last_seen[reporter_id] = at
