"""What the API and CLI read about tiers: a subject's owner and its audited moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from recall.domain import jurisdiction
from recall.domain.jurisdiction import Level
from recall.domain.tiers import SubjectKind
from recall.service.ports import Storage
from recall.service.tiers.ports import TierMove


@dataclass(frozen=True, slots=True)
class OwnershipView:
    """Who owns a subject now (None: not placed yet) and every move that brought it there."""

    kind: SubjectKind
    subject_id: str
    owner: str | None
    moves: tuple[TierMove, ...]

    @property
    def tier(self) -> Level | None:
        return jurisdiction.level(self.owner) if self.owner else None

    @property
    def region(self) -> str | None:
        """Where the evidence arose (scopes who may read it)."""
        return next((m.region for m in self.moves if m.region), None)


def ownership(storage: Storage, kind: SubjectKind, subject_id: str) -> OwnershipView:
    with storage.transaction() as tx:
        tiers = tx.tiers
        if tiers is None:
            return OwnershipView(kind, subject_id, None, ())
        moves = tuple(tiers.moves(kind, subject_id))
        current = tiers.owner_of(kind, subject_id)
    return OwnershipView(kind, subject_id, current.owner if current else None, moves)


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One open investigation an administration owns, and the move that brought it there."""

    investigation_id: str
    product_key: str
    hazard: str
    state: str
    owner: str
    since: datetime
    why: str


def owned_queue(storage: Storage, owner: str) -> list[QueueItem]:
    """The open investigations `owner` itself owns (not its whole area), longest waiting first."""
    jurisdiction.validate(owner)
    items: list[QueueItem] = []
    with storage.transaction() as tx:
        tiers = tx.tiers
        if tiers is None:
            return items
        for investigation_id, owned in tiers.open_investigation_owners().items():
            if owned.owner != owner:
                continue
            investigation = tx.investigations.get(investigation_id)
            if investigation is None:
                continue
            moves = tiers.moves(SubjectKind.INVESTIGATION, investigation_id)
            items.append(
                QueueItem(
                    investigation_id,
                    investigation.product_key,
                    investigation.hazard,
                    investigation.state.value,
                    owned.owner,
                    owned.since,
                    moves[-1].reason if moves else "",
                )
            )
    return sorted(items, key=lambda i: (i.since, i.investigation_id))
