"""What a station (and the regulators of its area) may read about refused records.

A station whose events are refused must learn why: the reason, the field errors and where
the record sat on the topic. The original bytes are never shown here, even redacted and
bounded: they are kept for replay by operators, not for reading over the API. A regulator
sees the letters of the stations registered in its area; a letter whose reporter is not a
registered station has no region and is seen by no account (only by operators, in SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from recall.domain.access import Principal, Role, Scoped, region_prefix
from recall.service.intake.ports import Position
from recall.service.paging import Page, PageRequest

SORTS = ("received_at",)


@dataclass(frozen=True, slots=True)
class DeadLetterFilter:
    """The principal's scope (`station_id`, `scope_prefix` of the station's region) and the
    reader's filters (`reason`, `reporter_id`)."""

    station_id: str | None = None
    scope_prefix: str | None = None
    reason: str | None = None
    reporter_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeadLetterView:
    """A refused record as a station reads it: never its bytes.

    `region` is the jurisdiction of the registered station that sent it (None: unregistered).
    """

    position: Position
    reporter_id: str | None
    region: str | None
    reason: str
    errors: tuple[tuple[str, str], ...]  # (field, message), bounded and redacted at intake
    received_at: datetime


class DeadLetterReads(Protocol):
    def dead_letter_page(
        self, where: DeadLetterFilter, request: PageRequest
    ) -> Page[DeadLetterView]:
        """Letters matching `where`, in the requested order, after `request.after`."""
        ...


def scope_of(principal: Principal) -> DeadLetterFilter | None:
    """A station reads its own letters, a regulator those of its area's stations."""
    if principal.role is Role.STATION:
        return DeadLetterFilter(station_id=principal.station_id)
    if principal.role is Role.REGULATOR:
        return DeadLetterFilter(scope_prefix=region_prefix(principal))
    return None


def scoped(letter: DeadLetterView) -> Scoped:
    return Scoped(region=letter.region, station_id=letter.reporter_id)


def narrowed(
    scope: DeadLetterFilter, *, reason: str | None, reporter_id: str | None
) -> DeadLetterFilter:
    return DeadLetterFilter(
        station_id=scope.station_id,
        scope_prefix=scope.scope_prefix,
        reason=reason,
        reporter_id=reporter_id,
    )


def dead_letter_page(
    reads: DeadLetterReads, where: DeadLetterFilter, request: PageRequest
) -> Page[DeadLetterView]:
    """One page of letters; the sort must be one of `SORTS`."""
    if request.sort not in SORTS:
        raise ValueError(f"dead letters sort by {SORTS}, not {request.sort!r}")
    return reads.dead_letter_page(where, request)
