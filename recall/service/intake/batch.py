"""One intake batch in one transaction, with the records that break it set aside.

The stateless checks (`admission.process_record`) have already run; here the records that
passed are checked against the system of record (recall notices and progress reports, by the
recall stage's `check_and_store` on the same unit of work), and everything — events,
duplicates, dead letters, recall rows, post-recall incidents, the stations' last contact —
commits together.

Storage is reached only through the ports (`recall.service.ports.Storage`, the unit of work's
`intake` repository), so this runs on SQL in production and in memory in its unit tests.
DESIGN.md §7: a permanent storage error (a value the database refuses, an integrity or
encoding failure: `Storage.is_transient` says no) is the fault of some record, not of the
batch. The batch is split in halves until the record is alone, and that record becomes a
`storage_refused` dead letter; the others are stored. A transient error is raised for the
caller to retry the whole batch. Every record ends in exactly one of stored / dead-lettered /
duplicate / redelivered, checked here per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from recall.domain.intake import Reporter
from recall.service.intake.admission import Accepted, RawRecord, Rejected, reject_record
from recall.service.intake.ports import LetterRow, Position, StoreOutcome
from recall.service.intake.records import dead_letter_row, event_row
from recall.service.ports import Storage, UnitOfWork
from recall.service.recalls.intake import check_and_store
from schemas import RejectReason

log = structlog.get_logger(__name__)
Item = tuple[RawRecord, Accepted | Rejected]


@dataclass(slots=True)
class BatchResult:
    """Where every record of the batch ended, and what to produce for it."""

    forward: list[tuple[RawRecord, Accepted]] = field(default_factory=list)
    letters: list[Rejected] = field(default_factory=list)
    accepted: list[tuple[RawRecord, Accepted]] = field(default_factory=list)
    inserted: int = 0
    duplicates: int = 0
    redelivered: int = 0
    dead_letters: int = 0
    isolated: int = 0
    outcomes: dict[Position, str] = field(default_factory=dict)

    def absorb(self, other: BatchResult) -> None:
        self.forward += other.forward
        self.letters += other.letters
        self.accepted += other.accepted
        self.inserted += other.inserted
        self.duplicates += other.duplicates
        self.redelivered += other.redelivered
        self.dead_letters += other.dead_letters
        self.isolated += other.isolated
        self.outcomes.update(other.outcomes)


class AccountingError(RuntimeError):
    """A record of the batch ended in no outcome, or in two: a bug, never a data problem."""


def store_batch(
    storage: Storage,
    items: Sequence[Item],
    reporters: dict[str, Reporter],
    now: datetime,
) -> BatchResult:
    """Store a batch, isolating records the database refuses; raises only transient errors."""
    result = _store_isolating(storage, list(items), reporters, now)
    check_accounting([record for record, _ in items], result)
    return result


def check_accounting(records: Sequence[RawRecord], result: BatchResult) -> None:
    """Every record of the batch has exactly one outcome (the invariant of DESIGN.md §7)."""
    missing = {r.position for r in records} - result.outcomes.keys()
    if missing:
        raise AccountingError(f"{len(missing)} records of the batch have no outcome")


def _store_isolating(
    storage: Storage, items: list[Item], reporters: dict[str, Reporter], now: datetime
) -> BatchResult:
    try:
        return _store_once(storage, items, reporters, now)
    except Exception as error:
        if storage.is_transient(error):
            raise
        if len(items) == 1:
            return _store_refused(storage, items[0][0], error, now)
        log.warning(
            "batch refused by the database; isolating the record",
            error=type(error).__name__,
            records=len(items),
        )
    middle = len(items) // 2
    result = _store_isolating(storage, items[:middle], reporters, now)
    result.absorb(_store_isolating(storage, items[middle:], reporters, now))
    return result


def _store_refused(
    storage: Storage, record: RawRecord, error: Exception, now: datetime
) -> BatchResult:
    """The one record the database refuses becomes a dead letter (which must store)."""
    log.error(
        "record refused by the database; dead-lettered",
        error=type(error).__name__,
        partition=record.partition,
        offset=record.offset,
    )
    letter = reject_record(
        record,
        RejectReason.STORAGE_REFUSED,
        [{"field": "", "message": f"the system of record refused it ({type(error).__name__})"}],
        now,
    )
    try:
        result = _store_once(storage, [(record, letter)], {}, now)
    except Exception as second:
        if storage.is_transient(second):
            raise
        # Even the bounded dead letter is refused (say, a key the column cannot hold): keep
        # a letter with nothing from the record but its position.
        bare = RawRecord(record.topic, record.partition, record.offset, None, b"", ())
        letter = reject_record(bare, RejectReason.STORAGE_REFUSED, [], now)
        result = _store_once(storage, [(record, letter)], {}, now)
    result.isolated = 1
    return result


def _store_once(
    storage: Storage, items: list[Item], reporters: dict[str, Reporter], now: datetime
) -> BatchResult:
    with storage.transaction() as tx:
        return _write(tx, items, reporters, now)


def _write(
    tx: UnitOfWork, items: list[Item], reporters: dict[str, Reporter], now: datetime
) -> BatchResult:
    accepted = [(r, o) for r, o in items if isinstance(o, Accepted)]
    letters = [(r, o) for r, o in items if isinstance(o, Rejected)]
    refusals = check_and_store(tx, [a.event for _, a in accepted], reporters, now)
    kept = [(r, a) for r, a in accepted if (a.reporter_id, a.event_id) not in refusals]
    letters += [
        (r, reject_record(r, refusals[key].reason, refusals[key].errors, now))
        for r, a in accepted
        if (key := (a.reporter_id, a.event_id)) in refusals
    ]
    stored = tx.intake.store_events([event_row(r, a, now) for r, a in kept])
    tx.intake.mark_seen(_seen(kept, stored, now))
    letters += [(r, _conflict(r, a, now)) for r, a in kept if r.position in stored.conflicts]
    forward = stored.forward  # a union built per access: once, not once per record
    result = BatchResult(
        forward=[(r, a) for r, a in kept if r.position in forward],
        letters=[letter for _, letter in letters],
        accepted=[(r, a) for r, a in kept if r.position not in stored.conflicts],
        inserted=len(stored.inserted),
        duplicates=len(stored.duplicates),
        redelivered=len(stored.redelivered),
    )
    result.dead_letters = tx.intake.store_dead_letters(_letter_rows(letters, now))
    _record_outcomes(result, stored, letters)
    return result


def _seen(
    kept: list[tuple[RawRecord, Accepted]], stored: StoreOutcome, now: datetime
) -> dict[str, datetime]:
    """The reporters this batch heard from: an event stored or resent (a duplicate), every one
    signed, registered and valid — heartbeats included. Not a redelivery (its first delivery
    already counted, at its own time), not a conflict, not a refusal: a refused record's
    reporter id may be only what an unsigned record claims."""
    heard = stored.inserted | stored.duplicates
    return {a.reporter_id: now for r, a in kept if r.position in heard}


def _conflict(record: RawRecord, accepted: Accepted, now: datetime) -> Rejected:
    return reject_record(
        record,
        RejectReason.EVENT_ID_CONFLICT,
        [
            {
                "field": "event_id",
                "message": f"event id {accepted.event_id} was already used by this reporter for"
                " a different report; give every new report a new id",
            }
        ],
        now,
    )


def _letter_rows(letters: list[tuple[RawRecord, Rejected]], now: datetime) -> list[LetterRow]:
    rows = []
    for record, letter in letters:
        row = dead_letter_row(letter.dead_letter, letter.event_id)
        if row is None:  # our own letter always parses; if not, keep at least the position
            bare = RawRecord(record.topic, record.partition, record.offset, None, b"", ())
            row = dead_letter_row(
                reject_record(bare, RejectReason.INTERNAL_ERROR, [], now).dead_letter
            )
        if row is not None:
            rows.append(row)
    return rows


def _record_outcomes(
    result: BatchResult, stored: StoreOutcome, letters: list[tuple[RawRecord, Rejected]]
) -> None:
    for name, positions in (
        ("stored", stored.inserted),
        ("duplicate", stored.duplicates),
        ("redelivered", stored.redelivered),
        ("dead_lettered", frozenset(record.position for record, _ in letters)),
    ):
        for position in positions:
            if result.outcomes.setdefault(position, name) != name:
                raise AccountingError(f"the record at {position} has two outcomes")
