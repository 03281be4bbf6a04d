"""One intake batch in one transaction: stateful recall checks, then idempotent storage.

The stateless checks (`intake.process_record`) have already run; here the records that
passed are checked against the system of record (recall notices and progress reports), and
everything — events, duplicates, dead letters, recall rows, post-recall incidents — commits
together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from recall.adapters.db.intake_store import IntakeStore, StoreOutcome
from recall.domain.intake import Reporter
from recall.service.intake import Accepted, RawRecord, Rejected, reject_record
from recall.service.recall_intake import check_and_store
from recall.service.records import dead_letter_row, event_row


@dataclass(frozen=True, slots=True)
class BatchResult:
    stored: StoreOutcome
    accepted: list[tuple[RawRecord, Accepted]]
    rejected: list[Rejected]


def store_batch(
    store: IntakeStore,
    accepted: Sequence[tuple[RawRecord, Accepted]],
    rejected: Sequence[Rejected],
    reporters: dict[str, Reporter],
    now: datetime,
) -> BatchResult:
    with store.begin() as session:
        refusals = check_and_store(session, [a.event for _, a in accepted], reporters, now)
        kept = [(r, a) for r, a in accepted if a.event_id not in refusals]
        letters = list(rejected) + [
            reject_record(r, refusals[a.event_id].reason, refusals[a.event_id].errors, now)
            for r, a in accepted
            if a.event_id in refusals
        ]
        event_rows = [row for _, a in kept if (row := event_row(a.canonical)) is not None]
        letter_rows = [row for o in letters if (row := dead_letter_row(o.dead_letter)) is not None]
        stored = store.store_intake(event_rows, letter_rows, session)
    return BatchResult(stored, kept, letters)
