"""Use cases people drive on an investigation: assign a panel, conclude, request a recall.

Each runs in one transaction: load the aggregate, apply the domain operation, save it with the
version check (the audit length when loaded), and queue every new audit entry (plus an alert
for a confirmed defect or a recall request) in the outbox. So a crash loses neither the
decision nor its announcement, and a concurrent change by the stream agent makes the save fail
(`ConcurrentUpdateError`) instead of being overwritten. Refusals are the domain's own errors.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from recall.domain.experts import (
    DEFAULT_PANEL_SIZE,
    Expert,
    Impartiality,
    Panel,
    firm_home,
    select_panel,
)
from recall.domain.investigations import Action, Decision, Investigation, RiskLevel
from recall.service.investigations.ports import InvestigationRepository, PanelRecord
from recall.service.investigations.queries import load
from recall.service.investigations.records import decision_alert, save_and_announce
from recall.service.ports import OutputTopics, Storage
from recall.service.recalls.ordered import order_recall
from schemas.risk import AlertKind

__all__ = ["Assignment", "assign_experts", "conclude", "request_recall"]


@dataclass(frozen=True, slots=True)
class Assignment:
    """The assigned investigation and the panel decision, with its reasons."""

    investigation: Investigation
    panel: Panel


def assign_experts(
    storage: Storage,
    investigation_id: str,
    *,
    actor: str,
    topics: OutputTopics,
    size: int = DEFAULT_PANEL_SIZE,
    impartiality: Impartiality | None = None,
) -> Assignment:
    """Choose a panel by the policy (no expert linked to the manufacturer) and assign it.

    `impartiality` (from the settings; None: local-first only) prefers out-of-area experts
    when the manufacturer is local (异地专家). The panel's composition is audited
    (`PanelRecord`) in the same transaction as the assignment.
    """
    now = datetime.now(UTC)
    with storage.transaction() as tx:
        current = load(tx.investigations, investigation_id)
        if Action.ASSIGN not in current.allowed_actions():
            # Refuse the transition before choosing: "cannot assign" says more than "no panel".
            current.assign((), actor=actor, at=now, reason="refused")  # raises the refusal
        firm = current.manufacturer_id
        home = firm_home(firm, tx.investigations.manufacturer_home(firm) if firm else None)
        panel = select_panel(
            expert_pool(tx.investigations, exclude=investigation_id),
            category=current.category,
            investigated_firms=[firm] if firm else [],
            jurisdiction=current.jurisdiction,
            size=size,
            home=home,
            impartiality=impartiality,
        )
        reason = "panel by policy: " + "; ".join(c.explain() for c in panel.chosen)
        if panel.rule != "local_first":
            reason += f"; rule {panel.rule} (异地专家: the manufacturer is local, home {home})"
        if panel.fallback:
            reason += f"; fallback: {panel.fallback}"
        updated = current.assign(panel.expert_ids, actor=actor, at=now, reason=reason)
        save_and_announce(tx, updated, previous_version=len(current.audit), topics=topics)
        tx.investigations.record_panel(
            panel_record(updated.investigation_id, len(current.audit), now, actor, panel, home)
        )
    return Assignment(updated, panel)


def panel_record(
    investigation_id: str, position: int, at: datetime, actor: str, panel: Panel, home: str | None
) -> PanelRecord:
    """The audited composition of `panel`: every expert considered and why."""
    return PanelRecord(
        investigation_id=investigation_id,
        position=position,
        at=at,
        actor=actor,
        rule=panel.rule,
        home=home,
        fallback=panel.fallback,
        composition={
            "chosen": [{"expert_id": c.expert_id, "why": c.explain()} for c in panel.chosen],
            "passed_over": [
                {"expert_id": c.expert_id, "why": c.explain()} for c in panel.passed_over
            ],
            "excluded": [
                {"expert_id": e.expert_id, "reasons": [r.value for r in e.reasons]}
                for e in panel.exclusions
            ],
        },
    )


def conclude(
    storage: Storage,
    investigation_id: str,
    *,
    decision: Decision,
    reason: str,
    actor: str,
    topics: OutputTopics,
    risk_level: RiskLevel | None = None,
    hazard_description: str | None = None,
) -> Investigation:
    """Record the panel's decision; a confirmed defect also raises an alert."""
    now = datetime.now(UTC)
    with storage.transaction() as tx:
        current = load(tx.investigations, investigation_id)
        updated = current.conclude(
            decision,
            actor=actor,
            at=now,
            reason=reason,
            risk_level=risk_level,
            hazard_description=hazard_description,
        )
        confirmed = updated.decision is Decision.DEFECT_CONFIRMED
        title = "缺陷已确认 / Defect confirmed"
        alerts = [decision_alert(updated, AlertKind.DEFECT_CONFIRMED, title)] if confirmed else []
        save_and_announce(
            tx, updated, previous_version=len(current.audit), topics=topics, alerts=alerts
        )
    return updated


def request_recall(
    storage: Storage,
    investigation_id: str,
    *,
    reason: str,
    actor: str,
    topics: OutputTopics,
) -> Investigation:
    """Order the manufacturer to recall (only after a confirmed defect); raises an alert.

    The ordered recall (责令召回) is created in the same transaction, so a requested recall
    always exists in the recall register with its reporting schedule running.
    """
    now = datetime.now(UTC)
    with storage.transaction() as tx:
        current = load(tx.investigations, investigation_id)
        updated = current.request_recall(actor=actor, at=now, reason=reason)
        alert = decision_alert(updated, AlertKind.RECALL_REQUESTED, "已要求召回 / Recall requested")
        save_and_announce(
            tx, updated, previous_version=len(current.audit), topics=topics, alerts=[alert]
        )
        order_recall(tx, updated, actor=actor, now=now)
    return updated


def expert_pool(investigations: InvestigationRepository, *, exclude: str) -> list[Expert]:
    """The registry with each expert's load: the open investigations they sit on.

    `exclude` (the investigation being assigned) does not count: re-assigning a panel must
    not rank its own members as busier than they are.
    """
    load_by_expert: Counter[str] = Counter()
    for investigation_id, expert_ids in investigations.open_panels().items():
        if investigation_id != exclude:
            load_by_expert.update(expert_ids)
    return [
        replace(expert, load=load_by_expert[expert.expert_id])
        for expert in investigations.experts()
    ]
