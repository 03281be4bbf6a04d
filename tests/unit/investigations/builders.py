"""Builders for investigation tests: one investigation at every lifecycle position."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recall.domain.investigations import (
    Decision,
    Evidence,
    EvidenceKind,
    Investigation,
    RiskLevel,
)

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
USCC = "91140100MA0L2K3M4N"
PRODUCT = f"{USCC}/Acme/K-1"
HAZARD = "electric_shock"

POSITIONS = ("opened", "assigned", "defect_confirmed", "no_defect", "recall_requested")


def evidence(
    evidence_id: str = "sig-1",
    *,
    kind: EvidenceKind = EvidenceKind.SIGNAL,
    risk: RiskLevel | None = RiskLevel.HIGH,
    hours: float = 0,
) -> Evidence:
    return Evidence(
        evidence_id=evidence_id,
        kind=kind,
        summary=f"{kind} {evidence_id}",
        occurred_at=T0 + timedelta(hours=hours),
        risk_level=risk,
        observed=7.0,
        expected=1.5,
        statistic=4.2,
        threshold=3.0,
        method="ears_c2",
        window="2024-02-23/2024-03-01",
    )


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def opened(seq: int = 1) -> Investigation:
    return Investigation.open(
        product_key=PRODUCT,
        hazard=HAZARD,
        seq=seq,
        category="appliances",
        jurisdiction="140105",
        evidence=evidence(),
        actor="agent:open_investigations",
        at=at(1),
        reason="EARS C2 signal above threshold",
    )


def build(position: str) -> Investigation:
    """An investigation at `position`, reached only through legal operations."""
    inv = opened()
    if position == "opened":
        return inv
    inv = inv.assign(["E1", "E2"], actor="user:li", at=at(2), reason="panel by category")
    if position == "assigned":
        return inv
    if position == "no_defect":
        return inv.conclude(Decision.NO_DEFECT, actor="user:li", at=at(3), reason="tests passed")
    inv = inv.conclude(
        Decision.DEFECT_CONFIRMED,
        actor="user:li",
        at=at(3),
        reason="insulation fails GB 4706.1 clause 13",
        risk_level=RiskLevel.SERIOUS,
        hazard_description="live parts reachable through vent",
    )
    if position == "defect_confirmed":
        return inv
    assert position == "recall_requested"
    return inv.request_recall(actor="user:wang", at=at(4), reason="serious risk")
