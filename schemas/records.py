"""Records the pipeline itself writes: canonical events and dead letters.

Both carry the raw record's position (topic, partition, offset) so that every stored row and
every rejection can be traced back to the exact bytes a station sent.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field

from schemas.common import Strict
from schemas.envelope import StationEvent


class SourcePosition(Strict):
    topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)


class CanonicalEvent(Strict):
    """A validated, authenticated station event, keyed by product on `events.canonical`.

    `event` is the station's event exactly as it was signed; `product_key` is the normalised
    key (NFKC-folded, case-insensitive brand and model) that all per-product state uses.
    """

    event: StationEvent
    product_key: str | None
    received_at: AwareDatetime
    source: SourcePosition


class RejectReason(StrEnum):
    """Why the intake refused an event; one Prometheus label value each."""

    MALFORMED_JSON = "malformed_json"
    OVERSIZE = "oversize"
    SCHEMA = "schema"
    UNKNOWN_REPORTER = "unknown_reporter"
    DISABLED_REPORTER = "disabled_reporter"
    UNAUTHENTICATED = "unauthenticated"
    WRONG_JURISDICTION = "wrong_jurisdiction"
    NOT_PERMITTED = "not_permitted"
    UNKNOWN_RECALL = "unknown_recall"
    INVALID_PROGRESS = "invalid_progress"
    RECALL_CONFLICT = "recall_conflict"


class FieldError(Strict):
    field: str = Field(description="Dotted path of the offending field, '' for the whole event")
    message: str


class DeadLetter(Strict):
    """A refused event, with its original bytes, on `intake.deadletter`."""

    reason: RejectReason
    errors: tuple[FieldError, ...]
    reporter_id: str | None = Field(description="The claimed reporter, when it could be read")
    received_at: AwareDatetime
    source: SourcePosition
    original_b64: str = Field(description="The record value exactly as received, base64")
