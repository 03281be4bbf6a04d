"""What the tier stage needs from storage; `recall.adapters.db.tier_store` implements it in SQL."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from recall.domain import jurisdiction
from recall.domain.jurisdiction import Level
from recall.domain.tiers import Rule, SubjectKind


@dataclass(frozen=True, slots=True)
class TierMove:
    """One assignment or move of an owner: the audit record a regulator reads.

    ``from_owner`` is None for the first assignment. Owners only move up, so (kind, subject,
    from, to) happens at most once: the move id is derived from it, and recording the same move
    again (a replay, a second worker) changes nothing.
    """

    kind: SubjectKind
    subject_id: str
    from_owner: str | None
    to_owner: str
    rule: Rule
    reason: str
    at: datetime
    actor: str
    region: str | None = None
    """Where the subject's evidence arose (scopes who may read the move)."""

    @property
    def move_id(self) -> str:
        name = f"recall:tier-move:{self.kind}:{self.subject_id}:{self.from_owner}:{self.to_owner}"
        return str(uuid.uuid5(uuid.NAMESPACE_URL, name))

    @property
    def tier(self) -> Level:
        return jurisdiction.level(self.to_owner)


@dataclass(frozen=True, slots=True)
class Ownership:
    """Who owns a subject now and since when (the start of its wait at that owner)."""

    owner: str
    since: datetime


class TierRepository(Protocol):
    """Owners, their audited moves, and the facts the rules read, in one transaction."""

    def firm_homes(self, credit_codes: Collection[str]) -> dict[str, str]:
        """Each registered manufacturer's home jurisdiction, by credit code (unknown: absent)."""

    def product_regions(self, product_keys: Collection[str]) -> dict[str, frozenset[str]]:
        """Every region where evidence about each product arose so far (none yet: absent)."""

    def add_product_regions(self, pairs: Collection[tuple[str, str]]) -> None:
        """Remember (product key, region) pairs (idempotent)."""

    def owner_of(self, kind: SubjectKind, subject_id: str) -> Ownership | None:
        """The current owner, or None before the first assignment."""

    def record(self, move: TierMove) -> bool:
        """Apply `move` if the subject's owner is still `move.from_owner`, and audit it.

        False (nothing written) when the owner has changed meanwhile or the move is already
        recorded: the caller re-reads instead of moving twice. An investigation's row must exist.
        """

    def record_all(self, moves: Sequence[TierMove]) -> list[TierMove]:
        """`record` each move in order, the audit rows written together; the moves applied."""

    def record_first_owners(self, moves: Collection[TierMove]) -> list[TierMove]:
        """Record first assignments (`from_owner` None) of subjects that have no owner yet, in
        one write; the moves written. A move already recorded (a replay, a second worker) is
        skipped. For signals, whose owner is their latest move; the caller has checked they
        have none in this transaction."""

    def moves(self, kind: SubjectKind, subject_id: str) -> list[TierMove]:
        """The subject's moves, oldest first."""

    def owners(self, kind: SubjectKind, subject_ids: Iterable[str]) -> dict[str, str]:
        """The current owner of each subject that has one, by id (for lists)."""

    def open_investigation_owners(self) -> dict[str, Ownership]:
        """Owners of every open (opened or assigned) investigation, by its id."""

    def unplaced_open_investigations(self) -> list[str]:
        """Ids of open investigations without an owner (opened before tiers existed)."""
