"""The envelope every station event travels in, and the union of station events.

The envelope carries what the intake needs before it looks at the payload: who sent it, for
which jurisdiction, when, and an id that makes every later effect idempotent.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BeforeValidator, Field, TypeAdapter

from schemas.common import Identifier, JurisdictionCode
from schemas.common import Strict as StrictModel
from schemas.heartbeat import StationHeartbeat
from schemas.injury import InjuryReport
from schemas.sampling import SamplingResult


def _exact_int(value: object) -> object:
    """Refuse `true` and `1.0` where the version number 1 is meant (lax mode would accept)."""
    if type(value) is not int:
        raise ValueError("schema_version must be the integer 1")
    return value


class Envelope(StrictModel):
    event_id: UUID = Field(description="Unique per event; resending the same event reuses it")
    schema_version: Annotated[Literal[1], BeforeValidator(_exact_int)] = 1
    reporter_id: Identifier = Field(description="Registered station, lab or firm id")
    jurisdiction: JurisdictionCode
    sent_at: AwareDatetime


class InjuryReportEvent(Envelope):
    type: Literal["injury_report"] = "injury_report"
    payload: InjuryReport


class SamplingResultEvent(Envelope):
    type: Literal["sampling_result"] = "sampling_result"
    payload: SamplingResult


class StationHeartbeatEvent(Envelope):
    type: Literal["station_heartbeat"] = "station_heartbeat"
    payload: StationHeartbeat


StationEvent = Annotated[
    InjuryReportEvent | SamplingResultEvent | StationHeartbeatEvent,
    Field(discriminator="type"),
]
STATION_EVENT_ADAPTER: TypeAdapter[StationEvent] = TypeAdapter(StationEvent)
MAX_EVENT_BYTES = 64 * 1024


def product_key_of(event: StationEvent) -> str | None:
    """The product whose state this event updates, or None for station-level events."""
    if isinstance(event, InjuryReportEvent | SamplingResultEvent):
        return event.payload.product.product_key
    return None
