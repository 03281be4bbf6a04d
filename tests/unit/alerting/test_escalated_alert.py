"""The `escalated` alert as receivers see it: stable id per move, the new owner's region labels,
a link to the subject's page (the overview for a referral case, which has no page)."""

from __future__ import annotations

from datetime import UTC, datetime

from recall.adapters.alertmanager.payload import alert_labels, link
from recall.domain.alert_conditions import Semantics, semantics_of
from recall.domain.tiers import Rule, SubjectKind
from recall.service.tiers.alerts import (
    REFERRAL_CASE,
    Escalation,
    escalated_alert,
    investigation_escalated,
)
from recall.service.tiers.ports import TierMove
from schemas.risk import AlertSeverity

AT = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _move(from_owner: str | None, to_owner: str = "140100") -> TierMove:
    return TierMove(
        SubjectKind.INVESTIGATION, "inv-1", from_owner, to_owner, Rule.DEADLINE, "late", AT, "t"
    )


def test_one_move_is_one_alert_id_and_a_first_assignment_none() -> None:
    first, again = (
        investigation_escalated(_move("140105")),
        investigation_escalated(_move("140105")),
    )
    assert first is not None and again is not None
    assert first.alert_id == again.alert_id
    up = investigation_escalated(_move("140100", "140000"))
    assert up is not None and up.alert_id != first.alert_id
    assert investigation_escalated(_move(None)) is None
    assert first.severity is AlertSeverity.WARNING
    assert first.details["deadline"] == AT.isoformat()
    assert "市级 / city" in first.title


def test_receivers_route_it_to_the_new_owner_and_link_its_page() -> None:
    alert = investigation_escalated(_move("140105"), "appliances")
    assert alert is not None
    labels = alert_labels(alert)
    assert (labels["region"], labels["region_province"]) == ("140100", "140000")
    assert labels["alertname"] == "escalated" and labels["category"] == "appliances"
    assert semantics_of("escalated") is Semantics.MOMENT
    assert link(alert, "http://h") == "http://h/dashboard/investigations/inv-1"
    case = escalated_alert(
        Escalation(REFERRAL_CASE, "case-1", "140100", "140000", "refused_recall", "late", AT, AT)
    )
    assert case.jurisdiction == "140000"
    assert link(case, "http://h") == "http://h/dashboard/"
