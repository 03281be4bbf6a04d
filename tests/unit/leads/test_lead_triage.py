"""Lead triage rules (recall/domain/leads.py): identity, states, final decisions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from recall.domain.investigations import EvidenceKind
from recall.domain.leads import (
    IllegalLeadTransition,
    Lead,
    LeadAction,
    LeadInputError,
    LeadSource,
    LeadState,
    lead_id_for,
)

AT = datetime(2024, 5, 2, 9, tzinfo=UTC)
INV = "0b7c5a52-1f7e-5e0c-9d4a-111111111111"


def lead(reference: str = "12315-1", source: LeadSource = LeadSource.COMPLAINT) -> Lead:
    return Lead.record(
        source=source,
        reference=reference,
        jurisdiction="140105",
        product_key="unknown/acme/k-9",
        hazard="fire",
        category="appliances",
        summary="smoke from the base",
        received_at=AT,
        actor="acc-taiyuan",
        at=AT,
    )


def test_identity_is_the_source_and_the_channel_reference() -> None:
    assert lead().lead_id == lead().lead_id == lead_id_for("complaint", "12315-1")
    assert lead().lead_id != lead(source=LeadSource.MEDIA).lead_id
    assert lead().lead_id != lead("12315-2").lead_id


@pytest.mark.parametrize(
    ("act", "state"),
    [
        (lambda x: x.accept(INV, actor="a", at=AT, reason="r"), LeadState.ACCEPTED),
        (lambda x: x.merge(INV, actor="a", at=AT, reason="r"), LeadState.MERGED),
        (lambda x: x.dismiss(actor="a", at=AT, reason="r"), LeadState.DISMISSED),
    ],
)
def test_every_decision_is_final(act: object, state: LeadState) -> None:
    decided = act(lead())  # type: ignore[operator]
    assert decided.state is state
    assert (decided.decided_by, decided.decided_at, decided.reason) == ("a", AT, "r")
    assert decided.allowed_actions() == ()
    for action in LeadAction:
        with pytest.raises(IllegalLeadTransition, match=f"already {state}"):
            decided.require(action)
    with pytest.raises(IllegalLeadTransition):
        decided.dismiss(actor="b", at=AT, reason="again")


def test_a_decision_needs_a_reason_and_an_aware_time() -> None:
    with pytest.raises(LeadInputError, match="reason"):
        lead().dismiss(actor="a", at=AT, reason="  ")
    with pytest.raises(LeadInputError, match="timezone"):
        lead().dismiss(actor="a", at=datetime(2024, 5, 2), reason="r")


def test_bad_values_are_refused() -> None:
    with pytest.raises(LeadInputError, match="hazard"):
        Lead.record(
            source="media",
            reference="a-1",
            jurisdiction="140105",
            product_key="unknown/acme/k-9",
            hazard="boredom",
            category="appliances",
            summary="s",
            received_at=AT,
            actor="x",
            at=AT,
        )


def test_the_lead_as_evidence_is_manual_and_named_by_the_lead() -> None:
    evidence = lead(source=LeadSource.MEDIA).as_evidence()
    assert evidence.kind is EvidenceKind.MANUAL
    assert evidence.evidence_id == lead(source=LeadSource.MEDIA).lead_id
    assert evidence.method == "lead_media"
    assert evidence.summary.startswith("媒体报道 / media report 12315-1: ")
