"""Records the pipeline itself writes: canonical events and dead letters.

Both carry the raw record's position (topic, partition, offset) so that every stored row and
every rejection can be traced back to the exact bytes a station sent.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from schemas.common import Strict, WireBool, WireDatetime, WireInt
from schemas.envelope import StationEvent


class SourcePosition(Strict):
    topic: str
    partition: WireInt = Field(ge=0)
    offset: WireInt = Field(ge=0)


class CanonicalEvent(Strict):
    """A validated, authenticated station event, keyed by product on `events.canonical`.

    `event` is the station's event as validated: the strict model's own serialisation (text
    NFKC-normalised, times as ISO-8601), not the raw bytes, so nothing downstream ever sees a
    value the contract did not admit. `product_key` is the normalised key (case-insensitive
    brand and model) that all per-product state uses.
    """

    event: StationEvent
    product_key: str | None
    received_at: WireDatetime
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
    EVENT_TIME = "event_time_out_of_range"
    EVENT_ID_CONFLICT = "event_id_conflict"
    UNKNOWN_PRODUCT_KIND = "unknown_product_kind"
    KIND_NOT_IN_CATEGORY = "kind_not_in_category"
    UNKNOWN_STANDARD = "unknown_standard"
    STANDARD_WITHDRAWN = "standard_withdrawn"
    STANDARD_NOT_IN_FORCE = "standard_not_in_force"
    UNKNOWN_LAB = "unknown_lab"
    LAB_NOT_ACCREDITED = "lab_not_accredited"
    LAB_OUT_OF_SCOPE = "lab_out_of_scope"
    LAB_NOT_REPORTER = "lab_not_reporter"
    UNKNOWN_MANUFACTURER = "unknown_manufacturer"
    """The registry checks (recall.domain.registry, docs/registry.md)."""
    STORAGE_REFUSED = "storage_refused"
    INTERNAL_ERROR = "internal_error"
    PROCESSING_ERROR = "processing_error"
    """A later stage (risk, investigations, recalls) could not process a stored event."""


class FieldError(Strict):
    field: str = Field(description="Dotted path of the offending field, '' for the whole event")
    message: str


class DeadLetter(Strict):
    """A refused event, with its original bytes, on `intake.deadletter`."""

    reason: RejectReason
    stage: str = Field(
        default="validate_intake",
        max_length=64,
        description="The agent that set the record aside; later stages name the event's"
        " position on their own input topic and keep no contents (the event is in SQL)",
    )
    errors: tuple[FieldError, ...]
    reporter_id: str | None = Field(description="The claimed reporter, when it could be read")
    received_at: WireDatetime
    source: SourcePosition
    original_b64: str = Field(
        description="The record value as received, base64: at most the first"
        " DEAD_LETTER_ORIGINAL_MAX bytes, personal identifiers redacted"
    )
    original_size: WireInt = Field(ge=0, description="Size of the whole original value in bytes")
    original_sha256: str = Field(
        description="SHA-256 (hex) of the whole original value as received, before redaction or"
        " truncation, so a station can prove which record this was"
    )
    original_truncated: WireBool = False
    redactions: WireInt = Field(default=0, ge=0, description="Personal identifiers redacted")


DEAD_LETTER_ORIGINAL_MAX = 16 * 1024
"""Bytes of the original kept in a dead letter: with base64 and at most 20 bounded errors a
dead letter stays far below the producer's 1 MiB record limit, so it can always be produced."""
