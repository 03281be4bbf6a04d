"""SQL repository for supervision tiers: owners, audited moves, regions per product.

An investigation's owner lives on its row (`investigations.owner`, read by lists and
statistics); a signal's is its latest move. `record` is a compare-and-set on the current owner,
plus an insert of the move keyed by its derived id, so two workers or a replay can never move
the same subject twice. Implements `recall.service.tiers.ports.TierRepository`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from recall.adapters.db.models import InvestigationRow, Manufacturer, TierMoveRow, TierRegionRow
from recall.adapters.db.upsert import insert_ignoring_conflicts
from recall.domain.investigations import InvestigationState
from recall.domain.tiers import Rule, SubjectKind
from recall.service.tiers.ports import Ownership, TierMove

_OPEN = (InvestigationState.OPENED.value, InvestigationState.ASSIGNED.value)


class SqlTierRepository:
    """Tier owners and moves over one session (one unit of work)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def firm_homes(self, credit_codes: Collection[str]) -> dict[str, str]:
        if not credit_codes:
            return {}
        query = select(Manufacturer.credit_code, Manufacturer.jurisdiction).where(
            Manufacturer.credit_code.in_(sorted(credit_codes))
        )
        return {code: home for code, home in self._session.execute(query) if home}

    def product_regions(self, product_keys: Collection[str]) -> dict[str, frozenset[str]]:
        if not product_keys:
            return {}
        query = select(TierRegionRow.product_key, TierRegionRow.region).where(
            TierRegionRow.product_key.in_(sorted(product_keys))
        )
        found: dict[str, set[str]] = {}
        for product_key, region in self._session.execute(query):
            found.setdefault(product_key, set()).add(region)
        return {key: frozenset(regions) for key, regions in found.items()}

    def add_product_regions(self, pairs: Collection[tuple[str, str]]) -> None:
        rows = [{"product_key": p, "region": r} for p, r in sorted(set(pairs))]
        if rows:
            self._session.execute(insert_ignoring_conflicts(self._session, TierRegionRow), rows)

    def owner_of(self, kind: SubjectKind, subject_id: str) -> Ownership | None:
        if kind is SubjectKind.INVESTIGATION:
            row = self._session.get(InvestigationRow, subject_id)
            if row is None or row.owner is None or row.owner_since is None:
                return None
            return Ownership(row.owner, _aware(row.owner_since))
        latest = self._session.scalars(
            select(TierMoveRow)
            .where(TierMoveRow.kind == kind.value, TierMoveRow.subject_id == subject_id)
            .order_by(TierMoveRow.at.desc(), TierMoveRow.move_id)
            .limit(1)
        ).first()
        return Ownership(latest.to_owner, _aware(latest.at)) if latest else None

    def record(self, move: TierMove) -> bool:
        return bool(self.record_all([move]))

    def record_all(self, moves: Sequence[TierMove]) -> list[TierMove]:
        applied = [move for move in moves if self._apply(move)]
        self._insert_moves(applied)
        return applied

    def _apply(self, move: TierMove) -> bool:
        """The compare-and-set on the subject's owner; False when it moved meanwhile."""
        if move.kind is SubjectKind.INVESTIGATION:
            # Owners only move up, so a move recorded before has already left its `from`
            # owner behind: the compare-and-set below refuses it without a lookup.
            row = InvestigationRow
            current = (
                row.owner.is_(None) if move.from_owner is None else row.owner == move.from_owner
            )
            result = self._session.execute(
                update(row)
                .where(row.investigation_id == move.subject_id, current)
                .values(owner=move.to_owner, owner_since=move.at)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]  # an UPDATE's
        if self._session.get(TierMoveRow, move.move_id) is not None:
            return False
        now = self.owner_of(move.kind, move.subject_id)
        return (now.owner if now else None) == move.from_owner

    def record_first_owners(self, moves: Collection[TierMove]) -> list[TierMove]:
        if any(m.from_owner is not None or m.kind is SubjectKind.INVESTIGATION for m in moves):
            raise ValueError("record_first_owners takes first assignments of signals only")
        written = self._insert_moves(moves)
        return [m for m in moves if m.move_id in written]

    def _insert_moves(self, moves: Collection[TierMove]) -> set[str]:
        """Insert the moves, skipping any already recorded; the ids inserted."""
        if not moves:
            return set()
        statement = insert_ignoring_conflicts(self._session, TierMoveRow).returning(
            TierMoveRow.move_id
        )
        rows = [_move_row(m) for m in moves]
        return set(self._session.scalars(statement, rows).all())

    def moves(self, kind: SubjectKind, subject_id: str) -> list[TierMove]:
        rows = self._session.scalars(
            select(TierMoveRow)
            .where(TierMoveRow.kind == kind.value, TierMoveRow.subject_id == subject_id)
            .order_by(TierMoveRow.at, TierMoveRow.move_id)
        )
        return [_move(row) for row in rows]

    def owners(self, kind: SubjectKind, subject_ids: Iterable[str]) -> dict[str, str]:
        ids = sorted(set(subject_ids))
        if not ids:
            return {}
        if kind is SubjectKind.INVESTIGATION:
            row = InvestigationRow
            query = select(row.investigation_id, row.owner).where(
                row.investigation_id.in_(ids), row.owner.is_not(None)
            )
            return {subject: owner for subject, owner in self._session.execute(query) if owner}
        found: dict[str, str] = {}
        for move in self._session.scalars(
            select(TierMoveRow)
            .where(TierMoveRow.kind == kind.value, TierMoveRow.subject_id.in_(ids))
            .order_by(TierMoveRow.at, TierMoveRow.move_id)
        ):
            found[move.subject_id] = move.to_owner  # the latest wins
        return found

    def open_investigation_owners(self) -> dict[str, Ownership]:
        row = InvestigationRow
        rows = self._session.execute(
            select(row.investigation_id, row.owner, row.owner_since).where(
                row.state.in_(_OPEN), row.owner.is_not(None), row.owner_since.is_not(None)
            )
        )
        return {
            investigation_id: Ownership(owner, _aware(since))
            for investigation_id, owner, since in rows
            if owner is not None and since is not None
        }

    def unplaced_open_investigations(self) -> list[str]:
        row = InvestigationRow
        query = (
            select(row.investigation_id)
            .where(row.state.in_(_OPEN), row.owner.is_(None), row.jurisdiction.is_not(None))
            .order_by(row.investigation_id)
        )
        return list(self._session.scalars(query))


def _move_row(move: TierMove) -> dict[str, object]:
    return {
        "move_id": move.move_id,
        "kind": move.kind.value,
        "subject_id": move.subject_id,
        "from_owner": move.from_owner,
        "to_owner": move.to_owner,
        "region": move.region,
        "rule": move.rule.value,
        "reason": move.reason,
        "at": move.at,
        "actor": move.actor,
    }


def _move(row: TierMoveRow) -> TierMove:
    return TierMove(
        kind=SubjectKind(row.kind),
        subject_id=row.subject_id,
        from_owner=row.from_owner,
        to_owner=row.to_owner,
        rule=Rule(row.rule),
        reason=row.reason,
        at=_aware(row.at),
        actor=row.actor,
        region=row.region,
    )


def _aware(moment: datetime) -> datetime:
    """SQLite drops the zone; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
