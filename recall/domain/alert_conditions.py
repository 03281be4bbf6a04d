"""Which alerts are conditions that hold until resolved, and which report a moment.

Alertmanager models alerts as conditions: an alert is firing until its `endsAt` passes or a
resolved copy (same labels) arrives, and it forgets a firing alert that nobody sends again.
Our alerts are of two sorts, decided here per kind, once:

* a **condition** holds until the system says it has ended: the recall stage sends a
  resolving alert (same kind and subject, status `resolved`) when a lagging recall is back on
  track or completes, and when no progress report is overdue any more; the station-health
  stage when a silent station reports again or its feed is good again. A condition is one
  Alertmanager alert per kind and subject, sent again and again (with `endsAt` a few re-send
  intervals ahead) while it holds, so Alertmanager never lets it lapse on its own.
* a **moment** happened and is over: an investigation opened, a defect confirmed, a recall
  requested, a regional signal, a referral to enforcement, a recall judged ineffective (its
  verdict is re-raised with every new post-recall incident, and nothing later "un-judges" it).
  A moment is one Alertmanager alert per alert id, sent with `endsAt` a configured time after
  it happened, so it is shown (and routed) for that long and then resolves by itself.

A kind this module does not know is a moment: at worst it resolves by itself, it can never
fire for ever. The rules are pure (`apply`, `send_ends_at`, `region_labels`) so the forwarder,
its SQL and its tests share them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "FIRING",
    "RESEND_MARGIN",
    "RESOLVED",
    "SEMANTICS",
    "Condition",
    "Incoming",
    "Semantics",
    "apply",
    "condition_key",
    "is_active",
    "region_labels",
    "semantics_of",
    "send_ends_at",
]

FIRING = "firing"
RESOLVED = "resolved"

RESEND_MARGIN = 4
"""A firing condition is sent with `endsAt` this many re-send intervals ahead: three re-sends
can be missed (Alertmanager or the worker busy, a leader change) before it lapses."""


class Semantics(StrEnum):
    CONDITION = "condition"
    MOMENT = "moment"


SEMANTICS: dict[str, Semantics] = {
    # conditions: firing until a resolving alert of the same kind and subject arrives
    "recall_lagging": Semantics.CONDITION,  # ends: forecast back on target, or recall completed
    "progress_report_overdue": Semantics.CONDITION,  # ends: no report of the recall overdue
    "station_silent": Semantics.CONDITION,  # ends: the station reports again
    "station_feed_poor": Semantics.CONDITION,  # ends: its share of refused records is normal
    # moments: shown for the configured time after they happened, then resolved by themselves
    "regional_signal": Semantics.MOMENT,
    "investigation_opened": Semantics.MOMENT,
    "defect_confirmed": Semantics.MOMENT,
    "recall_requested": Semantics.MOMENT,
    "recall_ineffective": Semantics.MOMENT,  # a verdict, re-raised per new incident
    "referral": Semantics.MOMENT,  # a hand-over to enforcement: done once made
    "escalated": Semantics.MOMENT,  # a move one tier up: done once made (owners only move up)
}
"""Every alert kind (schemas.risk.AlertKind values) and what its alerts mean over time."""


def semantics_of(kind: str) -> Semantics:
    """The kind's semantics; an unknown kind is a moment (it can never fire for ever)."""
    return SEMANTICS.get(kind, Semantics.MOMENT)


@dataclass(frozen=True, slots=True)
class Incoming:
    """What the rules need of one alert: its id, kind, subject, status and time."""

    alert_id: str
    kind: str
    subject: str
    status: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Condition:
    """The state of one condition (or moment) as Alertmanager should see it.

    `ends_at` None means firing with no end in sight (re-sent with `send_ends_at`); a moment
    ends a fixed time after it happened, a resolved condition when it was resolved.
    """

    key: str
    kind: str
    subject: str
    alert_id: str
    status: str
    at: datetime
    starts_at: datetime
    ends_at: datetime | None


def condition_key(kind: str, subject: str, alert_id: str) -> str:
    """A condition is one per kind and subject; a moment one per alert."""
    if semantics_of(kind) is Semantics.CONDITION:
        return f"{kind}|{subject}"
    return f"{kind}|{subject}|{alert_id}"


def _order(status: str) -> int:
    return 1 if status == RESOLVED else 0  # at the same instant, resolved wins


def apply(current: Condition | None, alert: Incoming, *, moment_ttl: timedelta) -> Condition | None:
    """The condition after `alert`, or None when the alert changes nothing.

    Alerts are keyed by their own id on the topic, so a condition's firing and resolving
    alerts may be read out of order: the newer one (by `at`, resolved first on a tie) wins and
    an older one changes nothing, whatever order they arrive in. A repeat changes nothing.
    """
    key = condition_key(alert.kind, alert.subject, alert.alert_id)
    if current is not None:
        if current.key != key:
            raise ValueError(f"alert {alert.alert_id} is not about condition {current.key}")
        if (alert.at, _order(alert.status)) <= (current.at, _order(current.status)):
            return None
    if semantics_of(alert.kind) is Semantics.MOMENT:
        end = alert.at if alert.status == RESOLVED else alert.at + moment_ttl
        return Condition(
            key, alert.kind, alert.subject, alert.alert_id, alert.status, alert.at, alert.at, end
        )
    held = current is not None and current.status == FIRING
    starts = current.starts_at if held and current is not None else alert.at
    fresh = Condition(
        key, alert.kind, alert.subject, alert.alert_id, alert.status, alert.at, starts, None
    )
    if alert.status == RESOLVED:
        return replace(
            fresh, starts_at=current.starts_at if current else alert.at, ends_at=alert.at
        )
    return fresh


def is_active(condition: Condition, now: datetime) -> bool:
    """Still to be shown by Alertmanager at `now` (firing, or a moment not yet over)."""
    return condition.ends_at is None or condition.ends_at > now


def send_ends_at(condition: Condition, now: datetime, resend_every: timedelta) -> datetime:
    """The `endsAt` to send: its own end, or `RESEND_MARGIN` re-sends ahead while firing."""
    if condition.ends_at is not None:
        return condition.ends_at
    return now + resend_every * RESEND_MARGIN


def region_labels(code: str | None) -> dict[str, str]:
    """`region` (the GB/T 2260 code) with its city and province, so routes can match a
    province (`region_province="440000"` or `region=~"44.*"`) or a city; none when unknown.

    Only the prefix arithmetic: the codes were validated where the alert was decided.
    """
    if not code or len(code) != 6 or not code.isdigit():
        return {}
    return {
        "region": code,
        "region_city": code[:4] + "00",
        "region_province": code[:2] + "0000",
    }
