"""Our alerts as Alertmanager's v2 API takes them (`PostableAlert`): labels, annotations, times.

Labels identify an Alertmanager alert (its fingerprint) and are what routes, grouping and
inhibition match on, so they hold only what identifies the condition and what a route needs:
`alertname` (= the kind), `kind`, `severity`, `subject`, `category`, `region` with its city and
province (`region_labels`), `system`. A moment adds its `alert_id` (two investigations opened
on one product are two alerts); a condition does not, so its firing and resolving alerts,
which have different ids, are one Alertmanager alert. Everything else is an annotation:
the bilingual title, a summary of the details, a link to the dashboard page, the alert id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from recall.domain.alert_conditions import (
    Condition,
    Semantics,
    region_labels,
    semantics_of,
    send_ends_at,
)
from schemas.risk import Alert

SYSTEM = "recall-tracker"

_PAGE_BY_KIND = {
    "recall_lagging": "recalls",
    "recall_ineffective": "recalls",
    "progress_report_overdue": "recalls",
    "referral": "recalls",
    "investigation_opened": "investigations",
    "defect_confirmed": "investigations",
    "recall_requested": "investigations",
    "station_silent": "stations",
    "station_feed_poor": "stations",
}
"""Which dashboard page shows an alert's subject; others (a regional signal) link the overview."""

_PAGE_BY_SUBJECT_KIND = {"investigation": "investigations"}
"""An `escalated` alert's page, by the kind of subject that moved (no page for a referral case:
the overview)."""


def alert_labels(alert: Alert) -> dict[str, str]:
    """The identifying labels of `alert` (same for a condition's firing and resolving alerts)."""
    found = {
        "alertname": alert.kind.value,
        "kind": alert.kind.value,
        "severity": alert.severity.value,
        "subject": alert.subject,
        "system": SYSTEM,
        **region_labels(alert.jurisdiction),
    }
    if alert.category is not None:
        found["category"] = alert.category.value
    if semantics_of(alert.kind.value) is Semantics.MOMENT:
        found["alert_id"] = alert.alert_id
    return found


def link(alert: Alert, base: str) -> str:
    """The dashboard page of the alert's subject."""
    page = _PAGE_BY_KIND.get(alert.kind.value) or _PAGE_BY_SUBJECT_KIND.get(
        alert.details.get("subject_kind", "") if alert.kind.value == "escalated" else ""
    )
    root = base.rstrip("/") + "/dashboard"
    return f"{root}/{page}/{quote(alert.subject, safe='')}" if page else f"{root}/"


def alert_annotations(alert: Alert, link_base: str) -> dict[str, str]:
    summary = "; ".join(f"{key}: {value}" for key, value in sorted(alert.details.items()))
    return {
        "title": alert.title,
        "summary": summary,
        "link": link(alert, link_base),
        "alert_id": alert.alert_id,
        "status": alert.status.value,
    }


def postable(
    alert: Alert,
    condition: Condition,
    now: datetime,
    *,
    resend_every: timedelta,
    link_base: str,
) -> dict[str, Any]:
    """One `PostableAlert`: started when the condition started, ending when the domain says
    (a resolved condition's end is in the past, which is how Alertmanager resolves it)."""
    return {
        "labels": alert_labels(alert),
        "annotations": alert_annotations(alert, link_base),
        "startsAt": _iso(condition.starts_at),
        "endsAt": _iso(send_ends_at(condition, now, resend_every)),
        "generatorURL": link(alert, link_base),
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
