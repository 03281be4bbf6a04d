"""Referral cases stored straight through the case store, for the API and CLI tests."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.storage import SqlStorage
from recall.domain.cases import Grounds, ReferralCase

OPENED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def case(recall_id: str, firm: str, owner: str) -> ReferralCase:
    return ReferralCase.open(
        referral_key=f"{recall_id}/referral/missed-from/2",
        firm_code=firm,
        recall_id=recall_id,
        grounds=Grounds.MISSED_PROGRESS_REPORTS,
        evidence=("referral alert al-1", "report 2 due 2026-02-01: missing"),
        owner=owner,
        owner_why="default tier",
        at=OPENED,
        case_days=30,
    )


def seed_cases(db: sessionmaker[Session], *cases: ReferralCase) -> None:
    with SqlStorage(db).transaction() as tx:
        for c in cases:
            assert tx.cases.open_once(c)
