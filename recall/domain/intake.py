"""Who may report what: the admission rules of information collection (信息采集).

Pure rules over registry facts, so that the same decision is made by the stream intake, the
API and the tests, and a refusal always names its reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from recall.domain.jurisdiction import covers


class Refusal(StrEnum):
    """Values match `schemas.RejectReason` so adapters can pass them through unchanged."""

    UNKNOWN_REPORTER = "unknown_reporter"
    DISABLED_REPORTER = "disabled_reporter"
    WRONG_JURISDICTION = "wrong_jurisdiction"
    NOT_PERMITTED = "not_permitted"


# Which reporter kinds may send which event types. Labs test products; firms report on their
# own recalls; every kind may send heartbeats and injury reports it witnessed (a lab's
# injury report is odd but harmless — refusing it would lose information).
_PERMITTED: dict[str, frozenset[str]] = {
    "sampling_result": frozenset({"lab", "enforcement"}),
    "recall_notice": frozenset({"firm", "enforcement"}),
    "recall_progress_report": frozenset({"firm"}),
    "injury_report": frozenset(
        {
            "hospital",
            "school",
            "traffic_police",
            "mall",
            "supermarket",
            "enforcement",
            "lab",
            "media",
        }
    ),
    "station_heartbeat": frozenset(
        {
            "hospital",
            "school",
            "traffic_police",
            "mall",
            "supermarket",
            "enforcement",
            "lab",
            "media",
            "firm",
        }
    ),
}


@dataclass(frozen=True, slots=True)
class Reporter:
    """Registry facts about one reporter, as the intake needs them."""

    reporter_id: str
    kind: str
    jurisdiction: str
    enabled: bool
    manufacturer_code: str | None = None  # for firms: the only manufacturer they speak for


@dataclass(frozen=True, slots=True)
class AdmissionRefused:
    refusal: Refusal
    detail: str


def admit(
    reporter: Reporter | None, *, reporter_id: str, event_type: str, jurisdiction: str
) -> AdmissionRefused | None:
    """None when the reporter may send this event, else why not (with what to do)."""
    if reporter is None:
        return AdmissionRefused(
            Refusal.UNKNOWN_REPORTER,
            f"reporter {reporter_id!r} is not registered; register it with `recall registry load`",
        )
    if not reporter.enabled:
        return AdmissionRefused(
            Refusal.DISABLED_REPORTER, f"reporter {reporter_id!r} is disabled in the registry"
        )
    if not covers(reporter.jurisdiction, jurisdiction):
        return AdmissionRefused(
            Refusal.WRONG_JURISDICTION,
            f"reporter {reporter_id!r} is registered for {reporter.jurisdiction}, "
            f"not for {jurisdiction}",
        )
    if reporter.kind not in _PERMITTED.get(event_type, frozenset()):
        return AdmissionRefused(
            Refusal.NOT_PERMITTED,
            f"a {reporter.kind} reporter may not send {event_type} events",
        )
    return None


@dataclass(frozen=True, slots=True)
class TimeBounds:
    """How far an event's times may stray from the moment we received it.

    Station clocks drift and reports come late, but an occurrence in year 9999 or 1970 is
    never real: admitted, it would move a product's watermark and silence its signals for good.
    `max_future` absorbs clock skew; `max_age` is how late a report may honestly arrive.
    """

    max_future: timedelta
    max_age: timedelta
    planned_horizon: timedelta = timedelta(days=3 * 366)
    """For dates a firm plans (a recall's start or target date), which lie in the future."""


@dataclass(frozen=True, slots=True)
class EventTime:
    """One time an event states, and whether it is observed (past) or planned (future)."""

    field: str
    value: datetime
    planned: bool = False


def times_out_of_bounds(
    times: Iterable[EventTime], received_at: datetime, bounds: TimeBounds
) -> list[tuple[str, str]]:
    """(field, what to fix) for each time outside its window around `received_at`."""
    problems: list[tuple[str, str]] = []
    earliest = received_at - bounds.max_age
    for time in times:
        latest = received_at + (bounds.planned_horizon if time.planned else bounds.max_future)
        if time.value > latest:
            problems.append(
                (
                    time.field,
                    f"{time.value.isoformat()} is after {latest.isoformat()}: "
                    "check the station's clock and time zone",
                )
            )
        elif time.value < earliest:
            problems.append(
                (
                    time.field,
                    f"{time.value.isoformat()} is before {earliest.isoformat()}: "
                    "older events must be reported to the regulator directly",
                )
            )
    return problems
