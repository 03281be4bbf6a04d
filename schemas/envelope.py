"""The envelope every station event travels in, and the union of station events.

The envelope carries what the intake needs before it looks at the payload: who sent it, for
which jurisdiction, when, and an id that makes every later effect idempotent.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BeforeValidator, Field, TypeAdapter

from schemas.common import Identifier, JurisdictionCode, WireDatetime
from schemas.common import Strict as StrictModel
from schemas.heartbeat import StationHeartbeat
from schemas.injury import InjuryReport
from schemas.recalls import RecallNotice, RecallProgressReport
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
    sent_at: WireDatetime


class InjuryReportEvent(Envelope):
    type: Literal["injury_report"] = "injury_report"
    payload: InjuryReport


class SamplingResultEvent(Envelope):
    type: Literal["sampling_result"] = "sampling_result"
    payload: SamplingResult


class StationHeartbeatEvent(Envelope):
    type: Literal["station_heartbeat"] = "station_heartbeat"
    payload: StationHeartbeat


class RecallNoticeEvent(Envelope):
    type: Literal["recall_notice"] = "recall_notice"
    payload: RecallNotice


class RecallProgressReportEvent(Envelope):
    type: Literal["recall_progress_report"] = "recall_progress_report"
    payload: RecallProgressReport


StationEvent = Annotated[
    InjuryReportEvent
    | SamplingResultEvent
    | StationHeartbeatEvent
    | RecallNoticeEvent
    | RecallProgressReportEvent,
    Field(discriminator="type"),
]
STATION_EVENT_ADAPTER: TypeAdapter[StationEvent] = TypeAdapter(StationEvent)
MAX_EVENT_BYTES = 64 * 1024


def product_key_of(event: StationEvent) -> str | None:
    """The product the event is about, or None for station-level and progress events."""
    if isinstance(event, InjuryReportEvent | SamplingResultEvent | RecallNoticeEvent):
        return event.payload.product.product_key
    return None


def partition_key_of(event: StationEvent) -> str:
    """The key of the event on `events.canonical`: state lives where its events land.

    Product events go by product (risk state); recall events by recall id, so a recall's
    notice and all its progress reports are read in order by one effectiveness agent.
    """
    if isinstance(event, RecallNoticeEvent | RecallProgressReportEvent):
        return f"recall:{event.payload.recall_id}"
    return product_key_of(event) or event.reporter_id
