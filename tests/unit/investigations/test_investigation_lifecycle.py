"""Lifecycle of the Investigation aggregate: every state x action pair, audit trail, rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from recall.domain.errors import DomainError
from recall.domain.investigations import (
    Action,
    Decision,
    IllegalInvestigationTransition,
    Investigation,
    InvestigationInputError,
    InvestigationState,
    RiskLevel,
    investigation_id_for,
)

from .builders import HAZARD, POSITIONS, PRODUCT, USCC, at, build, evidence, opened

ACTIONS = (Action.ATTACH_EVIDENCE, Action.ASSIGN, Action.CONCLUDE, Action.REQUEST_RECALL)

# The specification of issue 3, written out by hand: what each position allows.
ALLOWED: dict[str, set[Action]] = {
    "opened": {Action.ATTACH_EVIDENCE, Action.ASSIGN},
    "assigned": {Action.ATTACH_EVIDENCE, Action.ASSIGN, Action.CONCLUDE},
    "defect_confirmed": {Action.REQUEST_RECALL},
    "no_defect": set(),
    "recall_requested": set(),
}
STATE_AFTER = {
    Action.ATTACH_EVIDENCE: None,  # unchanged
    Action.ASSIGN: InvestigationState.ASSIGNED,
    Action.CONCLUDE: InvestigationState.CONCLUDED,
    Action.REQUEST_RECALL: InvestigationState.RECALL_REQUESTED,
}


def perform(inv: Investigation, action: Action) -> Investigation:
    """Apply `action` with valid arguments, so only the state can make it fail."""
    when = at(10)
    if action is Action.ATTACH_EVIDENCE:
        return inv.attach_evidence(evidence("new-1", hours=5), actor="agent:x", at=when)
    if action is Action.ASSIGN:
        return inv.assign(["E3", "E4"], actor="user:li", at=when, reason="reassign")
    if action is Action.CONCLUDE:
        return inv.conclude(Decision.NO_DEFECT, actor="user:li", at=when, reason="fine")
    return inv.request_recall(actor="user:li", at=when, reason="recall")


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_state_action_pair(position: str, action: Action) -> None:
    inv = build(position)
    if action in ALLOWED[position]:
        after = perform(inv, action)
        assert after.state is (STATE_AFTER[action] or inv.state)
        assert len(after.audit) == len(inv.audit) + 1
        assert after.audit[-1].action is action
        assert after.audit[-1].from_state is inv.state
        assert after.audit[-1].to_state is after.state
    else:
        with pytest.raises(IllegalInvestigationTransition) as caught:
            perform(inv, action)
        message = str(caught.value)
        assert f"cannot {action}" in message
        assert f"it is {inv.state}" in message
        listed = ", ".join(a for a in ACTIONS if a in ALLOWED[position]) or "none"
        assert f"allowed actions: {listed}" in message
        assert caught.value.allowed == tuple(a for a in ACTIONS if a in ALLOWED[position])
        assert isinstance(caught.value, DomainError)


@pytest.mark.parametrize("position", POSITIONS)
def test_allowed_actions_match_specification(position: str) -> None:
    assert set(build(position).allowed_actions()) == ALLOWED[position]


def test_no_defect_refusal_explains_how_to_reopen() -> None:
    with pytest.raises(IllegalInvestigationTransition, match=r"concluded \(no_defect\)") as caught:
        build("no_defect").request_recall(actor="user:li", at=at(9), reason="try")
    assert "next seq" in str(caught.value)


def test_full_path_audit_trail() -> None:
    inv = build("recall_requested")
    trail = [(a.action, a.actor, a.at, a.from_state, a.to_state, a.reason) for a in inv.audit]
    s = InvestigationState
    assert trail == [
        (Action.OPEN, "agent:open_investigations", at(1), None, s.OPENED,
         "EARS C2 signal above threshold"),
        (Action.ASSIGN, "user:li", at(2), s.OPENED, s.ASSIGNED, "panel by category"),
        (Action.CONCLUDE, "user:li", at(3), s.ASSIGNED, s.CONCLUDED,
         "insulation fails GB 4706.1 clause 13"),
        (Action.REQUEST_RECALL, "user:wang", at(4), s.CONCLUDED, s.RECALL_REQUESTED,
         "serious risk"),
    ]  # fmt: skip
    assert inv.conclusion is not None
    assert inv.conclusion.risk_level is RiskLevel.SERIOUS
    assert inv.conclusion.hazard_description == "live parts reachable through vent"
    assert inv.decision is Decision.DEFECT_CONFIRMED
    assert inv.opened_at == at(1)
    assert inv.concluded_at == at(3)
    assert inv.expert_ids == ("E1", "E2")


def test_operations_never_mutate_the_original() -> None:
    before = opened()
    after = before.assign(["E1"], actor="user:li", at=at(2), reason="r")
    assert before.state is InvestigationState.OPENED
    assert before.expert_ids == ()
    assert len(before.audit) == 1
    assert after.state is InvestigationState.ASSIGNED


def test_attach_evidence_is_idempotent_by_id() -> None:
    inv = opened()
    once = inv.attach_evidence(evidence("inj-7", hours=2), actor="agent:x", at=at(2))
    again = once.attach_evidence(evidence("inj-7", hours=2), actor="agent:x", at=at(3))
    other_content_same_id = once.attach_evidence(
        evidence("inj-7", risk=RiskLevel.LOW, hours=9), actor="agent:y", at=at(4)
    )
    assert again is once
    assert other_content_same_id is once
    assert [e.evidence_id for e in once.evidence] == ["sig-1", "inj-7"]
    assert len(once.audit) == 2
    entry = once.audit[-1]
    assert (entry.action, entry.from_state, entry.to_state) == (
        Action.ATTACH_EVIDENCE,
        InvestigationState.OPENED,
        InvestigationState.OPENED,
    )
    assert entry.reason == "signal inj-7"
    assert opened().attach_evidence(evidence("sig-1"), actor="a", at=at(2)).audit == inv.audit


def test_reassign_replaces_the_panel_and_is_audited() -> None:
    inv = build("assigned").assign(["E9"], actor="user:li", at=at(5), reason="E1 unavailable")
    assert inv.expert_ids == ("E9",)
    assert inv.audit[-1].from_state is inv.audit[-1].to_state is InvestigationState.ASSIGNED


@pytest.mark.parametrize("panel", [[], ["E1", "E1"], [" "]])
def test_assign_refuses_empty_or_duplicate_panels(panel: list[str]) -> None:
    with pytest.raises(InvestigationInputError):
        opened().assign(panel, actor="user:li", at=at(2), reason="r")


@pytest.mark.parametrize(
    ("decision", "risk", "description", "reason"),
    [
        (Decision.DEFECT_CONFIRMED, None, "live parts exposed", "r"),
        (Decision.DEFECT_CONFIRMED, RiskLevel.HIGH, None, "r"),
        (Decision.DEFECT_CONFIRMED, RiskLevel.HIGH, "  ", "r"),
        (Decision.DEFECT_CONFIRMED, RiskLevel.HIGH, "x", ""),
        (Decision.NO_DEFECT, None, None, "   "),
        (Decision.NO_DEFECT, RiskLevel.LOW, None, "r"),
        (Decision.NO_DEFECT, None, "something", "r"),
    ],
)
def test_conclude_requires_grounds(
    decision: Decision, risk: RiskLevel | None, description: str | None, reason: str
) -> None:
    inv = build("assigned")
    with pytest.raises(InvestigationInputError):
        inv.conclude(
            decision,
            actor="user:li",
            at=at(3),
            reason=reason,
            risk_level=risk,
            hazard_description=description,
        )
    assert inv.state is InvestigationState.ASSIGNED


def test_naive_datetime_and_blank_actor_are_refused() -> None:
    with pytest.raises(InvestigationInputError, match="timezone-aware"):
        opened().assign(["E1"], actor="user:li", at=datetime(2024, 3, 1, 10), reason="r")
    with pytest.raises(InvestigationInputError, match="actor"):
        opened().assign(["E1"], actor=" ", at=at(2), reason="r")


@pytest.mark.parametrize(
    "changes",
    [
        {"hazard": "Fire"},
        {"category": "toys"},
        {"jurisdiction": "000000"},
        {"seq": 0},
        {"product_key": ""},
    ],
)
def test_open_validates_identity_fields(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "product_key": PRODUCT,
        "hazard": HAZARD,
        "seq": 1,
        "category": "appliances",
        "jurisdiction": "140105",
    }
    fields.update(changes)
    with pytest.raises(DomainError):
        Investigation.open(
            **fields,  # type: ignore[arg-type]  # deliberately wrong values
            evidence=evidence(),
            actor="a",
            at=at(1),
            reason="r",
        )


def test_rehydration_checks_invariants() -> None:
    inv = build("assigned")
    with pytest.raises(InvestigationInputError, match="conclusion"):
        replace(inv, state=InvestigationState.CONCLUDED)
    with pytest.raises(InvestigationInputError, match="expert_ids"):
        replace(inv, expert_ids=())
    with pytest.raises(InvestigationInputError, match="unique"):
        replace(inv, evidence=(evidence("a"), evidence("a")))
    no_defect = build("no_defect")
    with pytest.raises(InvestigationInputError):
        replace(no_defect, state=InvestigationState.RECALL_REQUESTED)
    assert replace(inv) == inv


def test_derived_identity() -> None:
    first, second = opened(1), opened(2)
    assert first.investigation_id == investigation_id_for(PRODUCT, HAZARD, 1)
    assert first.previous_id is None
    assert second.previous_id == first.investigation_id
    assert first.manufacturer_id == USCC
    assert first.is_open
    assert not build("no_defect").is_open
    assert first.concluded_at is None
