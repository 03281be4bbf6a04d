"""The wire contract stations, labs and firms code against.

This package imports nothing from `recall` or `streams`: integrators can vendor it alone, and
`recall schemas export` turns it into JSON Schema files for other languages.
"""

from schemas.common import SCHEMA_VERSION, Hazard, ProductCategory, ProductRef, StationKind
from schemas.envelope import (
    MAX_EVENT_BYTES,
    STATION_EVENT_ADAPTER,
    Envelope,
    InjuryReportEvent,
    SamplingResultEvent,
    StationEvent,
    StationHeartbeatEvent,
    product_key_of,
)
from schemas.heartbeat import StationHeartbeat, StationStatus
from schemas.injury import (
    Activity,
    BodyPart,
    Disposition,
    InjuryNature,
    InjuryReport,
    Mechanism,
    Setting,
    Sex,
)
from schemas.records import (
    DEAD_LETTER_ORIGINAL_MAX,
    CanonicalEvent,
    DeadLetter,
    FieldError,
    RejectReason,
    SourcePosition,
)
from schemas.sampling import (
    ChannelKind,
    ClauseResult,
    SamplingChannel,
    SamplingProduct,
    SamplingResult,
    Verdict,
)

__all__ = [
    "DEAD_LETTER_ORIGINAL_MAX",
    "MAX_EVENT_BYTES",
    "SCHEMA_VERSION",
    "STATION_EVENT_ADAPTER",
    "Activity",
    "BodyPart",
    "CanonicalEvent",
    "ChannelKind",
    "ClauseResult",
    "DeadLetter",
    "Disposition",
    "Envelope",
    "FieldError",
    "Hazard",
    "InjuryNature",
    "InjuryReport",
    "InjuryReportEvent",
    "Mechanism",
    "ProductCategory",
    "ProductRef",
    "RejectReason",
    "SamplingChannel",
    "SamplingProduct",
    "SamplingResult",
    "SamplingResultEvent",
    "Setting",
    "Sex",
    "SourcePosition",
    "StationEvent",
    "StationHeartbeat",
    "StationHeartbeatEvent",
    "StationKind",
    "StationStatus",
    "Verdict",
    "product_key_of",
]
