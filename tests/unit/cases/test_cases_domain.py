"""The ReferralCase aggregate and its owner rule: pure, no I/O, a test clock throughout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from recall.domain.cases import (
    CaseAction,
    CaseError,
    CaseOutcome,
    CaseState,
    Grounds,
    IllegalCaseTransition,
    Penalty,
    ReferralCase,
    case_id_for,
    owner_for,
)
from recall.domain.jurisdiction import Level

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def opened(
    owner: str = "140105", days: int = 30, key: str = "R-1/referral/missed-from/2"
) -> ReferralCase:
    return ReferralCase.open(
        referral_key=key,
        firm_code="91140105MA0L000001",
        recall_id="R-1",
        grounds=Grounds.MISSED_PROGRESS_REPORTS,
        evidence=("referral alert a-1", "report 2 due 2026-02-01: missing"),
        owner=owner,
        owner_why="default tier",
        at=T0,
        case_days=days,
    )


def assigned(case: ReferralCase | None = None) -> ReferralCase:
    return (case or opened()).assign("执法二队 team 2", actor="acc-county", at=T0, reason="ours")


# --- owner rule -----------------------------------------------------------------------------


def test_default_owner_is_the_firms_home_county() -> None:
    choice = owner_for(
        firm_home="140105", recall_jurisdiction="140200", ordered=False, serious=False
    )
    assert (choice.owner, choice.tier) == ("140105", Level.COUNTY)
    assert "firm's home" in choice.why


@pytest.mark.parametrize(("ordered", "serious"), [(True, False), (False, True), (True, True)])
def test_an_ordered_recall_or_serious_risk_goes_to_the_city(ordered: bool, serious: bool) -> None:
    choice = owner_for(
        firm_home="140105", recall_jurisdiction="140105", ordered=ordered, serious=serious
    )
    assert (choice.owner, choice.tier) == ("140100", Level.CITY)
    assert "one tier above" in choice.why


def test_a_municipal_district_goes_to_the_municipality_not_a_placeholder_city() -> None:
    choice = owner_for(
        firm_home="110105", recall_jurisdiction="110105", ordered=True, serious=False
    )
    assert (choice.owner, choice.tier) == ("110000", Level.PROVINCE)


def test_an_unknown_firm_falls_back_to_the_recalls_jurisdiction() -> None:
    choice = owner_for(firm_home=None, recall_jurisdiction="140203", ordered=False, serious=False)
    assert choice.owner == "140203"
    assert "not in the registry" in choice.why


def test_a_city_home_is_never_moved_down_or_up_by_default() -> None:
    choice = owner_for(firm_home="140100", recall_jurisdiction="140105", ordered=True, serious=True)
    assert (choice.owner, choice.tier) == ("140100", Level.CITY)


# --- lifecycle ------------------------------------------------------------------------------


def test_open_names_owner_deadline_and_audits_why() -> None:
    case = opened()
    assert case.state is CaseState.OPENED
    assert case.deadline == T0 + timedelta(days=30)
    assert case.case_id == case_id_for("R-1/referral/missed-from/2")
    assert case.audit[0].action is CaseAction.OPEN
    assert case.audit[0].to_state is CaseState.OPENED
    assert case.allowed_actions() == (CaseAction.ASSIGN, CaseAction.ESCALATE)


def test_the_same_referral_always_names_the_same_case_and_another_a_different_one() -> None:
    assert opened().case_id == opened().case_id
    assert opened(key="R-1/referral/refusal").case_id != opened().case_id


def test_assign_then_penalise_records_who_when_why_and_the_penalty() -> None:
    later = T0 + timedelta(days=5)
    penalty = Penalty(decision_no="晋市监罚〔2026〕12号", fine_yuan=50_000, measures="没收违法所得")
    done = assigned().penalise(penalty, actor="acc-county", at=later, reason="未按期报告")
    assert done.state is CaseState.PENALISED
    assert done.outcome is CaseOutcome.PENALISED
    assert done.penalty == penalty
    assert [a.action for a in done.audit] == [
        CaseAction.OPEN,
        CaseAction.ASSIGN,
        CaseAction.PENALISE,
    ]
    last = done.audit[-1]
    assert (last.actor, last.at, last.reason) == ("acc-county", later, "未按期报告")
    assert (last.from_state, last.to_state) == (CaseState.ASSIGNED, CaseState.PENALISED)
    assert done.allowed_actions() == ()
    assert done.assignee == "执法二队 team 2"  # who handled it stays on the record


def test_rectified_and_closed_without_action_are_outcomes() -> None:
    assert assigned().rectified(actor="a", at=T0, reason="reports resumed").outcome is (
        CaseOutcome.RECTIFIED
    )
    closed = assigned().close(actor="a", at=T0, reason="不予处罚: first offence, corrected")
    assert closed.state is CaseState.CLOSED_WITHOUT_ACTION
    assert closed.outcome_reason == "不予处罚: first offence, corrected"


def test_an_outcome_before_assignment_is_refused_naming_the_allowed_actions() -> None:
    with pytest.raises(IllegalCaseTransition) as refused:
        opened().rectified(actor="a", at=T0, reason="r")
    assert "allowed actions: assign, escalate" in str(refused.value)
    assert refused.value.allowed == ("assign", "escalate")


def test_nothing_happens_to_a_case_after_its_outcome() -> None:
    done = assigned().close(actor="a", at=T0, reason="withdrawn")
    with pytest.raises(IllegalCaseTransition, match="none \\(the outcome is final\\)"):
        done.assign("x", actor="a", at=T0, reason="again")
    assert done.escalate_if_overdue(T0 + timedelta(days=365)) is done


def test_closing_needs_a_reason_and_a_penalty_a_decision_number() -> None:
    with pytest.raises(CaseError, match="reason"):
        assigned().close(actor="a", at=T0, reason="  ")
    with pytest.raises(CaseError, match="decision number"):
        Penalty(decision_no="", fine_yuan=1)
    with pytest.raises(CaseError, match="fine_yuan"):
        Penalty(decision_no="No. 1", fine_yuan=-1)


def test_naive_times_are_refused() -> None:
    with pytest.raises(CaseError, match="timezone-aware"):
        opened().assign("x", actor="a", at=datetime(2026, 1, 1), reason="r")


# --- escalation with a test clock -----------------------------------------------------------


def test_escalation_happens_after_the_deadline_not_at_or_before_it() -> None:
    case = opened()
    deadline = case.deadline
    assert case.escalate_if_overdue(deadline - timedelta(seconds=1)) is case
    assert case.escalate_if_overdue(deadline) is case  # at the deadline: still on time
    up = case.escalate_if_overdue(deadline + timedelta(microseconds=1))
    assert up.owner == "140100"
    assert up.tier is Level.CITY
    entry = up.audit[-1]
    assert entry.action is CaseAction.ESCALATE
    assert (entry.actor, entry.owner) == ("system:case-deadlines", "140100")
    assert "escalated from 140105 (county) to 140100 (city)" in entry.reason


def test_escalation_happens_only_once_per_missed_deadline() -> None:
    now = opened().deadline + timedelta(hours=1)
    once = opened().escalate_if_overdue(now)
    assert once.escalate_if_overdue(now) is once
    assert once.escalate_if_overdue(now + timedelta(days=29)) is once
    assert once.escalations == 1
    assert once.deadline == now + timedelta(days=30)


def test_an_assigned_case_escalates_back_to_opened_for_the_new_owner() -> None:
    case = assigned()
    up = case.escalate_if_overdue(case.deadline + timedelta(days=1))
    assert (up.state, up.assignee, up.owner) == (CaseState.OPENED, None, "140100")


def test_a_province_case_has_nowhere_to_escalate() -> None:
    case = opened(owner="140000")
    assert CaseAction.ESCALATE not in case.allowed_actions()
    assert case.escalate_if_overdue(case.deadline + timedelta(days=100)) is case


def test_repeated_deadlines_walk_county_city_province_then_stop() -> None:
    case, now = opened(), T0
    owners = []
    for _ in range(4):
        now = case.deadline + timedelta(minutes=1)
        case = case.escalate_if_overdue(now)
        owners.append(case.owner)
    assert owners == ["140100", "140000", "140000", "140000"]
    assert case.escalations == 2
