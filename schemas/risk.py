"""Records the risk and investigation stages publish: signals, scores, investigation events, alerts.

Every record carries a stable id so consumers can drop the repeats that at-least-once delivery
allows, and every signal and score carries its explanation (DESIGN.md §4).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from schemas.common import Strict, WireDatetime, WireFloat


class SignalRaised(Strict):
    """A statistically or rule-detected reason for concern about one product and hazard."""

    signal_id: str
    product_key: str
    hazard: str
    category: str
    jurisdiction: str
    method: str = Field(description="live_nb, severe_cluster, fatal_case or sampling_failure")
    risk_level: str
    day: str = Field(description="Event-time day (China time) the signal is about")
    observed: WireFloat
    expected: WireFloat
    threshold: WireFloat
    statistic: WireFloat
    window: str
    explanation: tuple[str, ...]
    trigger_event_id: str
    raised_at: WireDatetime
    trigger_sent_at: WireDatetime | None = None


class RiskScoreUpdated(Strict):
    product_key: str
    score: WireFloat = Field(ge=0, le=100)
    risk_level: str | None
    explanation: tuple[str, ...]
    updated_at: WireDatetime


class InvestigationState(StrEnum):
    """Where an investigation stands; `concluded` is refined by its decision."""

    OPENED = "opened"
    ASSIGNED = "assigned"
    CONCLUDED = "concluded"
    RECALL_REQUESTED = "recall_requested"


class InvestigationAction(StrEnum):
    """What happened to an investigation; every one is an `InvestigationEvent`."""

    OPEN = "open"
    ATTACH_EVIDENCE = "attach_evidence"
    ASSIGN = "assign"
    CONCLUDE = "conclude"
    REQUEST_RECALL = "request_recall"


class InvestigationEvent(Strict):
    """One transition of a defect investigation (opened, evidence attached, assigned, …)."""

    record_id: str
    investigation_id: str
    action: InvestigationAction
    product_key: str
    hazard: str
    state: InvestigationState
    actor: str
    at: WireDatetime
    reason: str
    evidence_id: str | None = None


class AlertSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertKind(StrEnum):
    """Why an alert was raised; receivers route on it (one name per reason, everywhere)."""

    REGIONAL_SIGNAL = "regional_signal"
    INVESTIGATION_OPENED = "investigation_opened"
    DEFECT_CONFIRMED = "defect_confirmed"
    RECALL_REQUESTED = "recall_requested"
    RECALL_LAGGING = "recall_lagging"
    RECALL_INEFFECTIVE = "recall_ineffective"
    PROGRESS_REPORT_OVERDUE = "progress_report_overdue"
    REFERRAL = "referral"


class Alert(Strict):
    """Anything that must reach a person or another system (webhooks, Alertmanager, chat)."""

    alert_id: str
    severity: AlertSeverity
    kind: AlertKind
    title: str = Field(description="Bilingual: 中文 / English")
    subject: str
    jurisdiction: str | None
    at: WireDatetime
    details: dict[str, str] = Field(default_factory=dict)
