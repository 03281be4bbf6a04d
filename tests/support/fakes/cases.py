"""An in-memory `CaseRepository` for the services' unit tests (same rules as the SQL one)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from recall.domain.cases import CaseState, ReferralCase
from recall.service.cases.ports import ConcurrentCaseUpdateError
from schemas.cases import FirmCreditRecorded


@dataclass
class MemoryCaseRepository:
    stored: dict[str, ReferralCase] = field(default_factory=dict)
    homes: dict[str, str] = field(default_factory=dict)
    credit: dict[str, FirmCreditRecorded] = field(default_factory=dict)

    def get(self, case_id: str) -> ReferralCase | None:
        return self.stored.get(case_id)

    def open_once(self, case: ReferralCase) -> bool:
        if any(c.referral_key == case.referral_key for c in self.stored.values()):
            return False
        self.stored[case.case_id] = case
        return True

    def save(self, case: ReferralCase, *, previous_version: int) -> None:
        current = self.stored.get(case.case_id)
        if current is None or len(current.audit) != previous_version:
            raise ConcurrentCaseUpdateError(case.case_id)
        self.stored[case.case_id] = case

    def cases(
        self, *, owner_prefix: str | None, states: Collection[CaseState], limit: int
    ) -> list[ReferralCase]:
        found = [
            c
            for c in self.stored.values()
            if (owner_prefix is None or c.owner.startswith(owner_prefix))
            and (not states or c.state in states)
        ]
        return sorted(found, key=lambda c: c.updated_at, reverse=True)[:limit]

    def overdue(self, now: datetime) -> list[ReferralCase]:
        return [c for c in self.stored.values() if c.is_overdue(now)]

    def firm_home(self, firm_code: str) -> str | None:
        return self.homes.get(firm_code)

    def record_credit(self, record: FirmCreditRecorded) -> bool:
        if any(r.case_id == record.case_id for r in self.credit.values()):
            return False
        self.credit[record.record_id] = record
        return True

    def credit_records(self, firm_code: str) -> list[FirmCreditRecorded]:
        return sorted((r for r in self.credit.values() if r.firm == firm_code), key=lambda r: r.at)
