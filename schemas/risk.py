"""Records the risk and investigation stages publish: signals, scores, regional bundles,
investigation events, alerts.

Every record carries a stable id so consumers can drop the repeats that at-least-once delivery
allows, and every signal and score carries its explanation (DESIGN.md §4).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import (
    ConfigDict,
    Field,
    RootModel,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from schemas.common import Hazard, ProductCategory, RiskLevel, Strict, WireDatetime, WireFloat


class SignalRaised(Strict):
    """A statistically or rule-detected reason for concern about one product and hazard."""

    signal_id: str
    product_key: str
    hazard: str
    category: str
    jurisdiction: str
    method: str = Field(
        description="harmonic_nb, live_nb or cold_start (the streamed detector's rung), "
        "severe_cluster, fatal_case or sampling_failure"
    )
    risk_level: RiskLevel
    day: str = Field(description="Event-time day (China time) the signal is about")
    observed: WireFloat
    expected: WireFloat
    threshold: WireFloat
    statistic: WireFloat
    window: str
    explanation: tuple[str, ...]
    trigger_event_id: str
    raised_at: WireDatetime
    trigger_sent_at: WireDatetime | None = None


class ScoreContribution(Strict):
    """One part of a composite score: its points out of its ceiling, and why."""

    key: str = Field(
        description="severity, risk_level, temporal, disproportionality, sampling or corroboration"
    )
    label: str = Field(description="Chinese + English name of the part")
    points: WireFloat = Field(ge=0, le=100)
    max_points: WireFloat = Field(ge=0, le=100)
    detail: str


class RiskScoreUpdated(Strict):
    """The latest composite score (0-100) of one product, with the contributions that made it."""

    product_key: str
    score: WireFloat = Field(ge=0, le=100)
    risk_level: RiskLevel | None
    explanation: tuple[str, ...]
    updated_at: WireDatetime
    contributions: tuple[ScoreContribution, ...] = Field(
        default=(),
        description="Every part of the score; their points add up to `score` (empty in records "
        "written before the fused score)",
    )


REGIONAL_MAX_DAY = 3_000_000
"""Beyond any day an ISO date-time can name (9999-12-31 is day 2,932,896)."""

REGION_CODE = r"^(?:0[1-9]|[1-9][0-9])(?:0000|(?:0[1-9]|[1-9][0-9])[0-9]{2})$"
"""A GB/T 2260 code as `recall.domain.jurisdiction.validate` accepts it: six digits, a non-zero
province part, and county digits only under a non-zero city part (no XX00YY)."""

RegionalCaseRow = tuple[
    Annotated[StrictStr, StringConstraints(min_length=1, max_length=64), Field(title="event_id")],
    Annotated[ProductCategory, Field(title="category")],
    Annotated[StrictStr, StringConstraints(pattern=REGION_CODE), Field(title="region")],
    Annotated[Hazard, Field(title="hazard")],
    Annotated[StrictInt, Field(ge=-REGIONAL_MAX_DAY, le=REGIONAL_MAX_DAY, title="day")],
    Annotated[StrictInt, Field(ge=1, le=4, title="severity")],
    Annotated[WireFloat | None, Field(ge=0, allow_inf_nan=False, title="sent_ts")],
]
"""One new injury case on `risk.regional`, as a fixed-length JSON array:
`[event_id, category, region, hazard, day, severity, sent_ts]` — the event id, the product
category, the region counted (the reporting station's county, its city or its province: one row
per level), the hazard, the event-time day number
(days since 1970-01-01, China time), the severity (1-4) and the broker timestamp of the source
record in epoch seconds (or null). An array rather than an object keeps a bundle of a thousand
cases small; the names above are its schema."""

REGIONAL_ROW_FIELDS = ("event_id", "category", "region", "hazard", "day", "severity", "sent_ts")
"""The names of a `RegionalCaseRow`'s positions, in order (for messages naming a bad value)."""


class RegionalBundle(RootModel[list[RegionalCaseRow]]):
    """One `risk.regional` record: the new injury cases of one `assess_risk` batch whose
    `category|region` key hashes to the record's partition, in event-time order.

    Strict in JSON and Python mode: the topic is writable by any producer with the ACL, so
    every value has its exact JSON type (a day is an integer, not `true` or `"3"`), codes are
    known and sizes bounded.
    """

    model_config = ConfigDict(frozen=True)


class InvestigationState(StrEnum):
    """Where an investigation stands; `concluded` is refined by its decision."""

    OPENED = "opened"
    ASSIGNED = "assigned"
    CONCLUDED = "concluded"
    RECALL_REQUESTED = "recall_requested"


class InvestigationAction(StrEnum):
    """What happened to an investigation; every one is an `InvestigationEvent`."""

    OPEN = "open"
    ATTACH_EVIDENCE = "attach_evidence"
    ASSIGN = "assign"
    CONCLUDE = "conclude"
    REQUEST_RECALL = "request_recall"


class InvestigationEvent(Strict):
    """One transition of a defect investigation (opened, evidence attached, assigned, …)."""

    record_id: str
    investigation_id: str
    action: InvestigationAction
    product_key: str
    hazard: str
    state: InvestigationState
    actor: str
    at: WireDatetime
    reason: str
    evidence_id: str | None = None
    jurisdiction: str | None = Field(
        default=None,
        description="GB/T 2260 code of the region that scopes the investigation (where its"
        " signal was raised); null when unknown. Live views filter on it.",
    )


class AlertSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertStatus(StrEnum):
    """Whether the alert's condition holds (`firing`) or has ended (`resolved`).

    A resolving alert repeats the kind and subject of the one it ends (a recall back on
    track, a station reporting again), so Alertmanager and webhook receivers can pair them.
    Kinds that report a moment rather than a condition (an investigation opened) only fire.
    """

    FIRING = "firing"
    RESOLVED = "resolved"


class AlertKind(StrEnum):
    """Why an alert was raised; receivers route on it (one name per reason, everywhere)."""

    REGIONAL_SIGNAL = "regional_signal"
    INVESTIGATION_OPENED = "investigation_opened"
    DEFECT_CONFIRMED = "defect_confirmed"
    RECALL_REQUESTED = "recall_requested"
    RECALL_LAGGING = "recall_lagging"
    RECALL_INEFFECTIVE = "recall_ineffective"
    PROGRESS_REPORT_OVERDUE = "progress_report_overdue"
    REFERRAL = "referral"
    STATION_SILENT = "station_silent"
    STATION_FEED_POOR = "station_feed_poor"
    ESCALATED = "escalated"


class RegionalSignalDetails(Strict):
    """`regional_signal`: a category's injury count in one county, city or province spiked on
    one day. `level` may be absent only in alerts written before counties and provinces were
    counted (all of them city alerts)."""

    level: StrictStr = Field(
        default="city",
        description="county, city or province: the tier of the alert's jurisdiction code",
    )
    hazard: StrictStr
    day: StrictStr = Field(description="Event-time day, China time (YYYY-MM-DD)")
    observed: StrictStr
    expected: StrictStr
    threshold: StrictStr
    trigger_event_id: StrictStr
    explanation: StrictStr


class InvestigationOpenedDetails(Strict):
    """`investigation_opened`: the first evidence, and the product category."""

    method: StrictStr
    evidence: StrictStr
    category: StrictStr


class DecisionDetails(Strict):
    """`defect_confirmed` and `recall_requested`: the conclusion and who decided, why."""

    risk_level: StrictStr = Field(description="low, medium, high, serious, or empty")
    hazard_description: StrictStr
    reason: StrictStr
    actor: StrictStr


class RecallLaggingDetails(Strict):
    """`recall_lagging`: why, the target correction rate and the forecast with its 80% band."""

    reason: StrictStr
    target_rate: StrictStr
    forecast: StrictStr


class RecallIneffectiveDetails(Strict):
    """`recall_ineffective`: the rules that judged it and the incidents since the start."""

    reasons: StrictStr
    incidents_after: StrictStr


class ReportOverdueDetails(Strict):
    """`progress_report_overdue`: which report, when it was due, how late it is."""

    sequence: StrictStr
    due: StrictStr
    days_overdue: StrictStr


class ReferralDetails(Strict):
    """`referral`: why the recall goes to enforcement (missed reports, a firm's refusal)."""

    reasons: StrictStr
    missed: StrictStr = Field(description="Comma-separated report sequence numbers")
    refused: StrictStr = Field(description="'true' or 'false'")


class StationSilentDetails(Strict):
    """`station_silent`: how long the station has been quiet against what its history expects."""

    last_seen_at: StrictStr = Field(description="ISO 8601, or empty when never seen")
    silent_for: StrictStr = Field(description="Seconds since the last event or heartbeat")
    expected_events: StrictStr = Field(
        description="Events its learned cadence expected in that time (per hour of week)"
    )
    probability: StrictStr = Field(description="Chance of that silence if the station were well")


class StationFeedPoorDetails(Strict):
    """`station_feed_poor`: the share of the station's records refused, and the main reasons."""

    window: StrictStr = Field(description="Seconds the figures cover")
    received: StrictStr
    rejected: StrictStr
    rejected_share: StrictStr
    reasons: StrictStr = Field(description="reason=count, comma-separated, most first")


class EscalatedDetails(Strict):
    """`escalated`: an investigation or referral case moved one supervision tier up; the alert's
    jurisdiction is the new owner, so its regulators are told rather than finding it later."""

    subject_kind: StrictStr = Field(description="investigation or referral_case")
    subject_id: StrictStr
    from_owner: StrictStr = Field(description="GB/T 2260 code of the owner it left")
    to_owner: StrictStr = Field(description="GB/T 2260 code of the new owner (one tier up)")
    rule: StrictStr = Field(
        description="Why it moved: a tier rule (deadline, regions, severity, firm_home) or,"
        " for a case, its grounds"
    )
    reason: StrictStr
    deadline: StrictStr = Field(
        description="ISO 8601: the deadline missed; empty when new facts, not a deadline, moved it"
    )


ALERT_DETAILS: dict[AlertKind, type[Strict]] = {
    AlertKind.REGIONAL_SIGNAL: RegionalSignalDetails,
    AlertKind.INVESTIGATION_OPENED: InvestigationOpenedDetails,
    AlertKind.DEFECT_CONFIRMED: DecisionDetails,
    AlertKind.RECALL_REQUESTED: DecisionDetails,
    AlertKind.RECALL_LAGGING: RecallLaggingDetails,
    AlertKind.RECALL_INEFFECTIVE: RecallIneffectiveDetails,
    AlertKind.PROGRESS_REPORT_OVERDUE: ReportOverdueDetails,
    AlertKind.REFERRAL: ReferralDetails,
    AlertKind.STATION_SILENT: StationSilentDetails,
    AlertKind.STATION_FEED_POOR: StationFeedPoorDetails,
    AlertKind.ESCALATED: EscalatedDetails,
}
"""The details every kind of alert carries: exactly these keys, every value text."""


class Alert(Strict):
    """Anything that must reach a person or another system (webhooks, Alertmanager, chat).

    `details` is a flat map of text, so a webhook receiver or an Alertmanager template can
    show it without knowing the kinds; which keys a kind carries is still part of the
    contract (`ALERT_DETAILS`), checked whenever an alert is built or read.
    """

    alert_id: str
    severity: AlertSeverity
    kind: AlertKind
    title: str = Field(description="Bilingual: 中文 / English")
    subject: str
    jurisdiction: str | None
    at: WireDatetime
    details: dict[str, str] = Field(
        default_factory=dict,
        description="Exactly the keys of the kind's details model (ALERT_DETAILS), all text",
    )
    status: AlertStatus = Field(
        default=AlertStatus.FIRING,
        description="firing, or resolved: the condition of the alert with this kind and"
        " subject has ended",
    )
    category: ProductCategory | None = Field(
        default=None,
        description="The product category the alert concerns; null when none (a station)",
    )

    @field_validator("details")
    @classmethod
    def _details_fit_the_kind(cls, details: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        kind = info.data.get("kind")
        if kind is None:  # the kind itself failed; that error is reported already
            return details
        model = ALERT_DETAILS[kind]
        expected = set(model.model_fields)
        required = {name for name, f in model.model_fields.items() if f.is_required()}
        missing, unexpected = sorted(required - details.keys()), sorted(details.keys() - expected)
        if missing or unexpected:
            raise ValueError(
                f"{kind.value} alerts carry exactly {', '.join(sorted(expected))}"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unexpected {', '.join(unexpected)}" if unexpected else "")
            )
        model.model_validate(details)
        return details
