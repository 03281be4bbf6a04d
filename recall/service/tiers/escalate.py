"""Escalation on a timer: an investigation that waits past its tier's deadline moves one tier up.

Deterministic and idempotent: the moves due are a pure function of the stored facts and `now`
(`recall.domain.tiers.escalations`), each move is stamped with its deadline (not the tick's
time), and `TierRepository.record` applies a move only if the owner is still the one it moves
from. So a replay, a late tick or a second worker can never escalate twice; a tick before the
deadline escalates nothing.

Each move up is announced: an `escalated` alert (jurisdiction = the new owner) is queued in the
outbox in the same transaction, with an id stable per move, so it is sent once. Placing an
unplaced investigation is a first assignment and announces nothing.
"""

from __future__ import annotations

from datetime import datetime

from recall.domain.investigations import Investigation
from recall.domain.tiers import SubjectKind, TierRules, earliest_escalation, escalations
from recall.service.ports import OutputTopics, Storage, alert_record
from recall.service.tiers.alerts import investigation_escalated
from recall.service.tiers.owners import investigation_owner
from recall.service.tiers.ports import TierMove

ACTOR = "tier-timer"


def state_entered_at(investigation: Investigation) -> datetime:
    """When the investigation entered its current state (evidence and re-assignment do not
    restart the wait)."""
    entered = investigation.opened_at
    for entry in investigation.audit:
        if entry.from_state is not None and entry.from_state != entry.to_state:
            entered = entry.at
    return entered


def escalate_overdue(
    storage: Storage, now: datetime, *, rules: TierRules, topics: OutputTopics
) -> list[TierMove]:
    """Move every open investigation that waited past its deadline up, once; the moves made.

    Each move up queues its `escalated` alert on `topics.alerts`.

    Open investigations without an owner (opened before tiers existed) are placed first by the
    rules, at `now`: from then on their deadlines run like any other's.
    """
    made: list[TierMove] = []
    with storage.transaction() as tx:
        tiers = tx.tiers
        if tiers is None:
            return made
        for investigation_id in tiers.unplaced_open_investigations():
            unplaced = tx.investigations.get(investigation_id)
            if unplaced is not None:
                placed = investigation_owner(tiers, unplaced, rules=rules, at=now, actor=ACTOR)
                made += [placed] if placed else []
        for investigation_id, owned in sorted(tiers.open_investigation_owners().items()):
            earliest = earliest_escalation(owned.owner, owned.since, rules)
            if earliest is None or now < earliest:
                continue  # nothing can be due yet: not read at all (the timer's hot path)
            investigation = tx.investigations.get(investigation_id)
            if investigation is None or not investigation.is_open:
                continue
            since = max(owned.since, state_entered_at(investigation))
            state = investigation.state.value
            for due in escalations(owned.owner, state, since, now, rules):
                move = TierMove(
                    SubjectKind.INVESTIGATION,
                    investigation_id,
                    due.from_owner,
                    due.to_owner,
                    due.rule,
                    due.reason,
                    due.at,
                    ACTOR,
                    investigation.jurisdiction,
                )
                if not tiers.record(move):
                    break  # moved meanwhile: the next tick starts from the new owner
                made.append(move)
                alert = investigation_escalated(move, investigation.category)
                if alert is not None:
                    tx.outbox.add([alert_record(alert, topics)])
    return made
