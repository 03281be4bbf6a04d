"""A referral opens its case — in the deadline check's own transaction.

Why the deadline-check service and not an agent consuming referral alerts: the check already
decides each referral exactly once (its key joins the recall's `sent_keys` in the same
transaction as the alert). Opening the case in that transaction makes "referral ⇒ case"
atomic — no window where an alert exists and its case does not, no second consumer to keep
at-least-once and idempotent, and the case can cite the alert id it was opened with. The case
id is derived from the referral key and the store's referral key is unique, so a replayed
check, a restored `sent_keys` or two workers still open one case.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from recall.domain.cases import DEFAULT_CASE_DAYS, Grounds, ReferralCase, owner_for
from recall.domain.investigations.identity import manufacturer_of
from recall.domain.recalls import RecallKind, Referral
from recall.domain.vocabulary import RiskLevel
from recall.service.cases.ports import CaseRepository
from recall.service.recalls.ports import LoadedRecall

log = structlog.get_logger(__name__)


def case_of_referral(
    cases: CaseRepository,
    loaded: LoadedRecall,
    referral: Referral,
    *,
    alert_id: str,
    now: datetime,
    case_days: int = DEFAULT_CASE_DAYS,
) -> ReferralCase:
    """The case a referral opens (not stored): owner by `owner_for`, evidence cited.

    The firm is the manufacturer's credit code from the product key (what the credit record
    and the manufacturers registry are keyed by); the reporter id when the key says unknown.
    """
    spec = loaded.spec
    firm = manufacturer_of(spec.product_key) or spec.firm_id
    choice = owner_for(
        firm_home=cases.firm_home(firm),
        recall_jurisdiction=loaded.jurisdiction,
        ordered=spec.kind is RecallKind.ORDERED,
        serious=spec.risk_level is RiskLevel.SERIOUS,
    )
    grounds = Grounds.REFUSED_RECALL if referral.refused else Grounds.MISSED_PROGRESS_REPORTS
    evidence = (f"referral alert {alert_id}", *referral.reasons)
    return ReferralCase.open(
        referral_key=referral.key,
        firm_code=firm,
        recall_id=loaded.recall_id,
        grounds=grounds,
        evidence=evidence,
        owner=choice.owner,
        owner_why=choice.why,
        at=now,
        case_days=case_days,
    )


def open_case(
    cases: CaseRepository,
    loaded: LoadedRecall,
    referral: Referral,
    *,
    alert_id: str,
    now: datetime,
    case_days: int = DEFAULT_CASE_DAYS,
) -> ReferralCase | None:
    """Open the referral's case once; None when it was already open (a replay)."""
    case = case_of_referral(
        cases, loaded, referral, alert_id=alert_id, now=now, case_days=case_days
    )
    if not cases.open_once(case):
        return None
    log.info(
        "referral case opened",
        case_id=case.case_id,
        recall_id=case.recall_id,
        owner=case.owner,
        grounds=case.grounds.value,
    )
    return case
