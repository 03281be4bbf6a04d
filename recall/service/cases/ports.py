"""What the referral-case stage needs from storage (`recall.adapters.db.case_store` in SQL,
`tests/support/fakes/cases.py` in memory)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from recall.domain.cases import CaseState, ReferralCase
from schemas.cases import FirmCreditRecorded


class ConcurrentCaseUpdateError(RuntimeError):
    """Someone else changed the case since it was loaded (its audit grew); run the command
    again. The message is the case id."""


class CaseNotFoundError(LookupError):
    """No case with this id (or not one the caller may see: the API answers 404 for both)."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"no referral case {case_id!r}")
        self.case_id = case_id


class CaseRepository(Protocol):
    def get(self, case_id: str) -> ReferralCase | None:
        """The case with this id, or None."""

    def open_once(self, case: ReferralCase) -> bool:
        """Insert a new case unless one with its referral key exists; True when inserted.

        The store's unique referral key makes this hold even for two workers at once."""

    def save(self, case: ReferralCase, *, previous_version: int) -> None:
        """Update the case; `ConcurrentCaseUpdateError` when its stored audit length is not
        `previous_version`."""

    def cases(
        self, *, owner_prefix: str | None, states: Collection[CaseState], limit: int
    ) -> list[ReferralCase]:
        """Cases whose owner starts with `owner_prefix` (None: all), most recently changed
        first; `states` filters (empty: all)."""

    def overdue(self, now: datetime) -> list[ReferralCase]:
        """Open cases whose deadline is before `now`."""

    def firm_home(self, firm_code: str) -> str | None:
        """The firm's home jurisdiction from the manufacturers registry, or None."""

    def record_credit(self, record: FirmCreditRecorded) -> bool:
        """Store a credit record unless its case already has one; True when stored."""

    def credit_records(self, firm_code: str) -> list[FirmCreditRecorded]:
        """The firm's credit records, oldest first."""
