"""Reads of cases and credit records, scoped by the caller's area (a code prefix)."""

from __future__ import annotations

from collections.abc import Collection

from recall.domain.cases import CaseState, ReferralCase
from recall.domain.jurisdiction import significant_prefix
from recall.service.cases.ports import CaseNotFoundError
from recall.service.ports import Storage
from schemas.cases import FirmCreditRecorded


def list_cases(
    storage: Storage, *, scope: str | None, states: Collection[CaseState] = (), limit: int = 50
) -> list[ReferralCase]:
    """Cases owned inside `scope` (a GB/T 2260 code; None: everywhere)."""
    prefix = significant_prefix(scope) if scope else None
    with storage.transaction() as tx:
        return tx.cases.cases(owner_prefix=prefix, states=states, limit=limit)


def get_case(storage: Storage, case_id: str) -> ReferralCase:
    with storage.transaction() as tx:
        found = tx.cases.get(case_id)
    if found is None:
        raise CaseNotFoundError(case_id)
    return found


def credit_records(storage: Storage, firm_code: str) -> list[FirmCreditRecorded]:
    with storage.transaction() as tx:
        return tx.cases.credit_records(firm_code)
