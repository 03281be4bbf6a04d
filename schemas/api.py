"""The regulator API's documents: what every list, detail, action and error returns.

The OpenAPI document (`/openapi.json`) is generated from these models, so they are the API's
contract as `schemas/` is the streams' one: integrators code against them, and they import
nothing from `recall` or `streams`. Vocabularies the wire already declares are reused (states,
risk levels, actions); the few the wire lacks are literals, tied to the domain's enums by the
API's tests.

Lists share one envelope (`items`, `next`); errors are RFC 9457 problem documents
(`application/problem+json`). Times are ISO-8601 with an offset (UTC); rates are fractions
in [0, 1], null when there is nothing to divide by.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from schemas.common import FreeText, RiskLevel, Strict
from schemas.recalls import EffectivenessVerdict, RecallState
from schemas.risk import (
    Alert,
    InvestigationAction,
    InvestigationState,
    ScoreContribution,
    SignalRaised,
)

__all__ = [
    "AssignRequest",
    "Assignment",
    "AuditEntry",
    "CloseRequest",
    "ConcludeRequest",
    "Conclusion",
    "DeadLetter",
    "DeadLetterPage",
    "Evaluation",
    "EvaluationOutcome",
    "Evidence",
    "FieldProblem",
    "Forecast",
    "ForecastPoint",
    "Health",
    "IncidentPeriod",
    "InvestigationDecision",
    "InvestigationDetail",
    "InvestigationPage",
    "InvestigationSummary",
    "LevelRates",
    "PostRecallIncidents",
    "Problem",
    "ProgressReport",
    "ReasonRequest",
    "RecallAction",
    "RecallDetail",
    "RecallPage",
    "RecallReferral",
    "RecallSummary",
    "RecallTransition",
    "ReportDeadline",
    "ResidualRisk",
]

InvestigationDecision = Literal["defect_confirmed", "no_defect"]
"""An investigation's outcome (the domain's `Decision`)."""
Reason = Annotated[FreeText, StringConstraints(min_length=1)]
Rate = Annotated[float, Field(ge=0.0, le=1.0)]


class Document(BaseModel):
    """Base of the responses: built by the server, immutable, nothing undeclared."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- errors ---------------------------------------------------------------------------------


class FieldProblem(Document):
    """One invalid input: where (`query.limit`, `body.reason`) and why. Never the value."""

    field: str
    message: str


class Problem(Document):
    """RFC 9457 problem details, served as `application/problem+json`.

    `type` is `about:blank` for a plain HTTP status, else a relative URI naming the problem
    (`/problems/validation`, `/problems/invalid-cursor`, `/problems/illegal-transition`,
    `/problems/conflict`); `instance` is the request path. A 404 reads the same whether the
    object does not exist or lies outside the caller's scope.
    """

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldProblem] | None = Field(
        default=None, description="the invalid inputs, for a 422 (`/problems/validation`)"
    )


class Health(Document):
    status: Literal["ok"] = "ok"


# --- investigations -------------------------------------------------------------------------


class TierMove(Document):
    """One assignment or move of an owner (分级监管, docs/tiers.md): from which administration to
    which, by which rule, why (中文 / English), when and by whom. `from_owner` is null for the
    first assignment."""

    kind: str = Field(description="signal or investigation")
    subject_id: str
    from_owner: str | None
    to_owner: str = Field(description="GB/T 2260 code of the owning administration")
    tier: str = Field(description="county, city or province: the level of `to_owner`")
    rule: str = Field(description="default, severity, regions, firm_home or deadline")
    reason: str
    at: AwareDatetime
    actor: str


class Ownership(Document):
    """Who owns a signal or an investigation now, its tier, and every move with its reason."""

    kind: str
    subject_id: str
    owner: str | None = Field(description="null until the tier rules have placed it")
    tier: str | None
    moves: list[TierMove]


class InvestigationSummary(Document):
    """One line of the investigation queue. Scoped by `jurisdiction` (regulators) and by
    `expert_ids` (the experts on its panel)."""

    investigation_id: str
    product_key: str
    hazard: str
    category: str
    state: InvestigationState
    decision: InvestigationDecision | None
    jurisdiction: str | None
    expert_ids: list[str]
    opened_at: AwareDatetime
    updated_at: AwareDatetime
    owner: str | None = Field(
        default=None,
        description="GB/T 2260 code of the owning administration (supervision tier); the "
        "detail's `tier_moves` say why it came there",
    )
    tier: str | None = Field(default=None, description="county, city or province")


class InvestigationPage(Document):
    items: list[InvestigationSummary]
    next: str | None = Field(description="URL of the next page; null on the last one")


class Evidence(Document):
    evidence_id: str
    kind: str
    summary: str
    occurred_at: AwareDatetime
    risk_level: RiskLevel | None = None
    observed: float | None = None
    expected: float | None = None
    statistic: float | None = None
    threshold: float | None = None
    method: str | None = None
    window: str | None = None


class AuditEntry(Document):
    """Who did what, when and why: `actor` is the account that acted (or the stream agent)."""

    action: InvestigationAction
    actor: str
    at: AwareDatetime
    reason: str
    from_state: InvestigationState | None
    to_state: InvestigationState


class Conclusion(Document):
    decision: InvestigationDecision
    reason: str
    risk_level: RiskLevel | None = None
    hazard_description: str | None = None


class InvestigationDetail(InvestigationSummary):
    """The whole investigation: evidence, audit trail, conclusion, what may happen next."""

    manufacturer_id: str | None
    evidence: list[Evidence]
    audit: list[AuditEntry]
    conclusion: Conclusion | None
    allowed_actions: list[InvestigationAction]
    tier_moves: list[TierMove] = Field(
        default_factory=list, description="how the owner was assigned and moved, with reasons"
    )


class AssignRequest(Strict):
    size: int = Field(default=3, ge=1, le=9, description="experts on the panel")


class Assignment(Document):
    """The assigned investigation, and why each expert was chosen or excluded."""

    investigation: InvestigationDetail
    panel: list[str]


class PanelMember(Document):
    """One expert the panel policy considered: `why` for chosen and passed over, `reasons`
    for excluded."""

    expert_id: str
    why: str | None = None
    reasons: list[str] = []


class PanelDecision(Document):
    """One audited panel decision (组成专家组): the rule (`local_first`, or `out_of_area` —
    异地专家 — for a case involving a local firm), the firm's home, the fallback to local
    experts if any, and every expert chosen, passed over or excluded."""

    position: int = Field(description="the investigation's assign audit entry")
    at: AwareDatetime
    actor: str
    rule: str
    home: str | None
    fallback: str | None
    chosen: list[PanelMember]
    passed_over: list[PanelMember]
    excluded: list[PanelMember]


class Lead(Document):
    """One lead in the triage queue (信息处置) and its decision, if taken."""

    lead_id: str
    source: Literal["media", "complaint"]
    reference: str
    jurisdiction: str
    product_key: str
    hazard: str
    category: str
    summary: str
    received_at: AwareDatetime
    recorded_by: str
    recorded_at: AwareDatetime
    state: Literal["pending", "accepted", "merged", "dismissed"]
    investigation_id: str | None
    decided_by: str | None
    decided_at: AwareDatetime | None
    reason: str | None
    allowed_actions: list[Literal["accept", "merge", "dismiss"]]


class LeadRecorded(Document):
    """`created` is false when the same (source, reference) was already recorded."""

    lead: Lead
    created: bool


class MergeLeadRequest(Strict):
    investigation_id: Annotated[
        str, StringConstraints(min_length=1, max_length=36, pattern=r"^[0-9A-Za-z-]+$")
    ] = Field(description="the investigation's id (a UUID)")
    reason: Reason


class ConcludeRequest(Strict):
    """A confirmed defect needs `risk_level` and `hazard_description`; no defect takes neither."""

    decision: InvestigationDecision
    reason: Reason
    risk_level: RiskLevel | None = None
    hazard_description: FreeText | None = None


class ReasonRequest(Strict):
    reason: Reason


# --- recalls --------------------------------------------------------------------------------


class RecallSummary(Document):
    """One line of the register. Scoped by `jurisdiction` (regulators) and by
    `manufacturer_code` (the firm that recalls)."""

    recall_id: str
    kind: str
    state: RecallState
    verdict: EffectivenessVerdict | None
    jurisdiction: str
    category: str
    product_key: str
    manufacturer_code: str | None
    start: AwareDatetime
    target_rate: Rate
    raw_rate: Rate | None
    adjusted_rate: Rate | None
    forecast_final_rate: Rate | None
    forecast_low80: Rate | None
    forecast_high80: Rate | None
    updated_at: AwareDatetime
    next_report_due: AwareDatetime | None = Field(
        default=None,
        description="when the report after the last one received is due; null "
        "once the recall owes no more (completed, evaluated, closed)",
    )
    report_overdue: bool = Field(default=False, description="that report is past due")


class RecallPage(Document):
    items: list[RecallSummary]
    next: str | None = Field(description="URL of the next page; null on the last one")


class RecallTransition(Document):
    from_state: RecallState | None
    to_state: RecallState
    who: str
    when: AwareDatetime
    why: str


class ProgressReport(Document):
    sequence: int
    period_start: AwareDatetime
    period_end: AwareDatetime
    submitted_at: AwareDatetime
    rates: list[LevelRates] = Field(
        default_factory=list,
        description="the cumulative counts and rates this report gives, "
        "per supply level and `overall`: one point of each level's correction curve",
    )


class LevelRates(Document):
    """Correction rates at one supply level (`overall` sums them)."""

    scope: str
    affected: int
    located: int
    notified: int
    corrected: int
    unreachable: int
    raw_rate: Rate | None
    adjusted_rate: Rate | None
    reach: Rate | None


class Forecast(Document):
    """The final correction rate the curve predicts, with its 80 % interval."""

    final_rate: float
    low80: float
    high80: float
    method: str
    n_points: int
    horizon_days: float
    coverage: float = Field(default=0.8, description="nominal coverage of [low80, high80]")


class ForecastPoint(Document):
    """The forecast rate `day` days after the start, with its 80 % interval (one posterior for
    the whole band)."""

    day: float
    at: AwareDatetime
    rate: Rate
    low80: Rate
    high80: Rate


class ReportDeadline(Document):
    """A progress report the recall owes: report k is due at start + k × cadence."""

    sequence: int
    due: AwareDatetime
    status: Literal["pending", "on_time", "late", "overdue", "unscheduled"]
    submitted_at: AwareDatetime | None
    days_late: float | None = Field(description="late: after the deadline; overdue: so far")


class RecallReferral(Document):
    """A hand-over to enforcement (repeated missed reports, or the firm's refusal)."""

    referred_at: AwareDatetime
    reasons: list[str]
    missed_sequences: list[int]
    refused: bool


class IncidentPeriod(Document):
    """Injuries and failed samples of the recalled product in one 30-day period."""

    start: AwareDatetime
    end: AwareDatetime
    after_start: bool
    injuries: int
    sampling_failures: int


class PostRecallIncidents(Document):
    """Incidents of the recalled product (and batches) before and after the start, and their
    rate per unit-year in use: every affected unit before, only the units still in use after."""

    period_days: int
    lookback_days: float
    periods: list[IncidentPeriod]
    before: int
    after: int
    unit_years_before: float
    unit_years_after: float
    rate_before: float = Field(description="incidents per unit-year before the start")
    rate_after: float | None = Field(description="per unit-year still in use after the start")
    change: float | None = Field(description="rate_after ÷ rate_before − 1")
    ineffective: list[str] = Field(description="why the post-recall rule judges it not working")


class ResidualRisk(Document):
    """Expected incidents per year from the units still in use: uncorrected units × incidents
    per unit-year since the start, with an exact Poisson interval at `confidence`."""

    uncorrected_units: int
    incidents: int
    unit_years: float
    rate_per_unit_year: float
    rate_low: float
    rate_high: float
    expected_per_year: float
    expected_low: float
    expected_high: float
    confidence: float


RecallAction = Literal["evaluate", "close"]


class Evaluation(Document):
    verdict: EffectivenessVerdict
    raw_rate: float
    adjusted_rate: float
    target_rate: float
    met_target: bool
    category_percentile: float | None
    reasons: list[str]


class RecallDetail(Document):
    """A recall's dossier: progress, rates per level, forecast with interval, evaluation."""

    recall_id: str
    title: str
    kind: str
    state: RecallState
    verdict: EffectivenessVerdict | None
    jurisdiction: str
    hazard: str
    category: str
    product_key: str
    manufacturer_code: str | None
    risk_level: RiskLevel
    start: AwareDatetime
    target_date: AwareDatetime
    target_rate: Rate
    affected: dict[str, int]
    history: list[RecallTransition]
    reports: list[ProgressReport]
    rates: list[LevelRates]
    forecast: Forecast | None = Field(description="from every report so far")
    early_forecast: Forecast | None = Field(description="from the first three reports")
    evaluation: Evaluation | None
    forecast_band: list[ForecastPoint] = Field(
        default_factory=list,
        description="from the last report to the target date; empty "
        "once the recall owes no more reports or the target date has passed",
    )
    target_forecast: ForecastPoint | None = Field(
        default=None, description="the rate forecast at the target date (the band's last point)"
    )
    deadlines: list[ReportDeadline] = Field(default_factory=list)
    referrals: list[RecallReferral] = Field(default_factory=list)
    post_recall: PostRecallIncidents | None = None
    residual_risk: ResidualRisk | None = None
    allowed_actions: list[RecallAction] = Field(
        default_factory=list, description="what the caller may do now (POST /recalls/{id}/…)"
    )
    closure_report: str | None = Field(
        default=None,
        description="the closure report's URL once the recall is evaluated "
        "(`?format=pdf` for its PDF)",
    )


class EvaluationOutcome(Document):
    evaluation: Evaluation
    fda_check_level: str
    transition: RecallTransition


class CloseRequest(ReasonRequest):
    """Why the recall is closed (the closure report is filed)."""


# --- dead letters ---------------------------------------------------------------------------


class DeadLetter(Document):
    """A refused record, as its station reads it: never the record's bytes.

    Scoped by `reporter_id` (the station) and by `region`, the registered station's
    jurisdiction (regulators).
    """

    topic: str
    partition: int
    offset: int
    reporter_id: str | None
    region: str | None
    reason: str
    errors: list[FieldProblem]
    received_at: AwareDatetime


class DeadLetterPage(Document):
    items: list[DeadLetter]
    next: str | None = Field(description="URL of the next page; null on the last one")


# --- submissions (firms) and station feedback ------------------------------------------------


class SubmissionReceipt(Document):
    """A firm's submission was signed and published to the intake: poll `location`."""

    event_id: str = Field(description="The envelope's event id (a UUID)")
    state: Literal["pending"] = "pending"
    location: str = Field(description="Path of the submission's status: GET it until settled")


class SubmissionStatus(Document):
    """What became of one event of the caller's reporter id.

    `pending` until the worker's intake has decided (or when no such event was seen: the answer
    does not say which); `accepted` once stored; `rejected` with the dead letter's reason and
    field errors — never the record itself.
    """

    event_id: str
    state: Literal["pending", "accepted", "rejected"]
    reason: str | None = None
    errors: list[FieldProblem] = Field(default_factory=list)
    decided_at: AwareDatetime | None = Field(
        default=None, description="When the intake stored or refused it"
    )


# --- statistics and the public recall feed ---------------------------------------------------


class StatisticsFigures(Document):
    """The figures of one group (or of the total): see docs/api.md, "Statistics"."""

    region: str | None = Field(default=None, description="GB/T 2260 code at `region_level`")
    category: str | None = None
    month: str | None = Field(default=None, description="YYYY-MM, UTC")
    year: str | None = Field(default=None, description="YYYY, UTC")
    events: dict[str, int] = Field(description="Accepted events by type")
    leads: dict[str, int] = Field(
        description="Defect leads by source: purchase_sampling, injury_reports, media,"
        " complaints, other"
    )
    investigations_opened: int
    investigations_concluded: dict[str, int] = Field(description="By decision")
    recalls: dict[str, int] = Field(description="Recalls that started, by current state")
    units_affected: int
    units_corrected: int
    value_recalled: float | None = Field(
        default=None,
        description="CNY: units affected × the notice's declared_unit_value, over the recalls"
        " that declare one; null when none does",
    )
    recalls_without_value: int = Field(
        default=0, description="Recalls whose notice declares no unit value (not valued)"
    )
    recalls_by_tier: dict[str, int] = Field(
        default_factory=dict,
        description="Recalls by the tier of their owner (county, city, province): the ordering"
        " investigation's owner when known, else the recall's jurisdiction",
    )


class StatisticsReport(Document):
    """Figures of the caller's area, grouped; `labels` names every field in 中文 / English."""

    group_by: list[Literal["region", "category", "month", "year"]]
    region_level: Literal["province", "city", "county"]
    scope: str | None = Field(description="The caller's region (figures are cut to it)")
    start: AwareDatetime | None = Field(alias="from", default=None)
    end: AwareDatetime | None = Field(alias="to", default=None)
    groups: list[StatisticsFigures]
    total: StatisticsFigures
    labels: dict[str, str] = Field(description="Field or key → '中文 / English'")
    value_note: str = Field(description="How value recalled is computed")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RegionRiskFigures(Document):
    """Risk signals, their highest level and open investigations of one part of the region,
    in one category (`category` null: all categories)."""

    region: str = Field(description="GB/T 2260 code of the part (a city, a county)")
    category: str | None = None
    signals: int = Field(description="Risk signals raised in the time range")
    highest_risk_level: RiskLevel | None = Field(description="Highest level among them")
    open_investigations: int = Field(description="Open now (opened or assigned)")


class RegionRiskPoint(Document):
    """The region's signals raised in one week or month."""

    period: date = Field(description="First day of the ISO week or calendar month (UTC)")
    signals: int
    by_category: dict[str, int]


class RegionRiskReport(Document):
    """Risk by region: the region split one tier down (a province by city, a city by county,
    a county as itself) × product category, and its signals over time."""

    region: str = Field(description="The region shown (inside the caller's area)")
    level: Literal["province", "city", "county"]
    scope: str = Field(description="The caller's region")
    path: list[str] = Field(description="Codes from the province down to `region`")
    start: AwareDatetime = Field(alias="from")
    end: AwareDatetime = Field(alias="to")
    bucket: Literal["week", "month"]
    categories: list[str] = Field(description="Categories with any figure, in code order")
    children: list[RegionRiskFigures] = Field(description="Each part, all categories")
    cells: list[RegionRiskFigures] = Field(description="Each part × category with a figure")
    total: RegionRiskFigures
    series: list[RegionRiskPoint]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RegionName(Document):
    """A GB/T 2260 division's names from the registry."""

    code: str
    name_zh: str
    name_en: str | None


class RegionNames(Document):
    items: list[RegionName]


class PublicRecall(Document):
    """A published recall notice (召回公告), as the public feed shows it."""

    recall_id: str
    title: str
    brand: str
    model: str
    gtin: str | None = None
    batches: list[str] = Field(default_factory=list)
    category: str
    category_label: str = Field(description="中文 / English")
    hazard: str
    hazard_label: str = Field(description="中文 / English")
    risk_level: RiskLevel
    remedies: list[str]
    remedy_labels: list[str] = Field(description="中文 / English, one per remedy")
    firm_name: str | None = Field(description="From the manufacturer registry, when it has it")
    firm_credit_code: str
    region: str = Field(description="GB/T 2260 code of the recall's jurisdiction")
    start: AwareDatetime
    state: RecallState
    updated_at: AwareDatetime


class PublicRecallPage(Document):
    items: list[PublicRecall]
    next: str | None = Field(description="URL of the next page; null on the last one")


# --- read model: scores, signals, alerts, regional risk, referrals, products, stations ---------


class Score(Document):
    """A product's current risk score (0–100) and the contributions that explain it.

    Scoped by `region` (the manufacturer's jurisdiction, else where the product's latest signal
    was raised; null: no regulator's) and by the manufacturer whose credit code begins the key.
    """

    product_key: str
    score: float = Field(ge=0, le=100)
    risk_level: RiskLevel | None
    explanation: list[str]
    updated_at: AwareDatetime
    region: str | None
    category: str | None
    contributions: list[ScoreContribution] = Field(
        default_factory=list,
        description="Every part of the score (key, label, points, max_points, detail); the points"
        " add up to `score`. Empty for scores computed before the fused score (JSON and NDJSON,"
        " not CSV)",
    )
    trend: ScoreTrend | None = Field(
        default=None,
        description="The product's events in the caller's area, this week against the week"
        " before (regulators; JSON and NDJSON, not CSV)",
    )


class ScoreTrend(Document):
    last_7_days: int
    previous_7_days: int


class ScorePage(Document):
    items: list[Score]
    next: str | None = Field(description="URL of the next page; null on the last one")


class SignalPage(Document):
    """Risk signals (`risk.signals` records), scoped by their `jurisdiction`."""

    items: list[SignalRaised]
    next: str | None = Field(description="URL of the next page; null on the last one")


class AlertPage(Document):
    """Alerts (the `alerts` topic's records), scoped by their `jurisdiction`."""

    items: list[Alert]
    next: str | None = Field(description="URL of the next page; null on the last one")


class RegionalRisk(Document):
    """Regional signals of one product category in one city (category × city)."""

    category: str
    city: str = Field(description="GB/T 2260 city code (XXXX00); the scope")
    alerts: int = Field(description="Regional signals of this key (inside the time range)")
    latest_at: AwareDatetime
    latest: Alert


class RegionalRiskPage(Document):
    items: list[RegionalRisk]
    next: str | None = Field(description="URL of the next page; null on the last one")


class Referral(Document):
    """A recall referred to enforcement (移送执法), scoped by the recall's `jurisdiction`."""

    alert_id: str
    recall_id: str
    jurisdiction: str | None
    at: AwareDatetime
    reasons: str
    missed: str = Field(description="Sequences of the progress reports missed, comma-separated")
    refused: bool


class ReferralPage(Document):
    items: list[Referral]
    next: str | None = Field(description="URL of the next page; null on the last one")


class RegistryFacts(Document):
    """What the product registry records of a product and its manufacturer."""

    brand: str
    model: str
    category: str
    kind: str
    gtin: str | None
    units_in_use: int | None
    manufacturer_code: str | None
    manufacturer_name: str | None
    manufacturer_jurisdiction: str | None


class ProductRisk(Document):
    """A product: registry facts (null if unregistered), current score, and its risk history —
    the signals the caller may see, oldest first."""

    product_key: str
    region: str | None = Field(description="What scopes the product (as its score's `region`)")
    registry: RegistryFacts | None
    score: Score | None
    history: list[SignalRaised]
    events: ProductEventSeries | None = Field(
        default=None, description="The last 90 days' events in the caller's area (regulators)"
    )


class ProductEventSeries(Document):
    """A product's accepted events per China day, by event type (what its signals count)."""

    days: list[AwareDatetime] = Field(description="Start of each day (00:00 China time), in UTC")
    counts: dict[str, list[int]] = Field(description="Event type → events on each day")
    truncated: bool = Field(description="More events than the series reads: counts are partial")


class StationHealth(Document):
    """A station and its traffic over the window: last contact, accepted, rejected by reason.

    Scoped by `jurisdiction` (regulators) and by `station_id` (the station itself).
    """

    station_id: str
    kind: str | None
    name: str | None
    jurisdiction: str | None
    enabled: bool | None
    since: AwareDatetime = Field(description="Start of the window the counts cover")
    last_seen_at: AwareDatetime | None
    last_accepted_at: AwareDatetime | None
    accepted: int
    rejected: dict[str, int] = Field(description="Dead letters by reason inside the window")
    condition: Literal["silent", "failing", "ok", "disabled"] | None = Field(
        default=None,
        description="silent: not heard from for longer than `silent_after_s`; failing: at least"
        " 10% of its records refused in the window; disabled in the registry; else ok",
    )
    silent_after_s: int | None = Field(
        default=None,
        description="Seconds of quiet before the station counts as silent: 5 mean gaps between"
        " its accepted records in the window, within [1 hour, the window]",
    )
    share_rejected: Rate | None = Field(
        default=None, description="Refused ÷ (accepted + refused) in the window; null: none"
    )


class StationPage(Document):
    items: list[StationHealth]
    next: str | None = Field(description="URL of the next page; null on the last one")


class TrafficBucket(Document):
    """Records received in [start, start + one bucket): accepted, and refused by reason."""

    start: AwareDatetime
    accepted: int
    rejected: dict[str, int] = Field(description="Dead letters by reason (reasons with any)")


class StationTraffic(Document):
    """A station's traffic per hour or per day (days and hours on China's clock, UTC+8)."""

    station_id: str
    bucket: Literal["hour", "day"]
    start: AwareDatetime = Field(alias="from")
    end: AwareDatetime = Field(alias="to")
    reasons: list[str] = Field(description="Every refusal reason in the range, sorted")
    buckets: list[TrafficBucket]
    accepted: int = Field(description="Accepted in the whole range")
    rejected: dict[str, int] = Field(description="Refused in the whole range, by reason")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class MonthlyLeads(Document):
    month: str = Field(description="YYYY-MM, UTC")
    leads: dict[str, int] = Field(description="purchase_sampling, injury_reports, other")


class LeadsReport(Document):
    """Defect leads (缺陷线索) by source per month in the caller's area: the share purchase
    sampling finds is the province's headline figure."""

    scope: str | None
    start: AwareDatetime | None = Field(alias="from", default=None)
    end: AwareDatetime | None = Field(alias="to", default=None)
    months: list[MonthlyLeads] = Field(description="Months with at least one lead, in order")
    total: dict[str, int]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class QueueAges(Document):
    """The open investigations in the caller's area by state and by how long they have waited."""

    scope: str | None
    at: AwareDatetime = Field(description="The moment ages are measured from")
    bands: list[str] = Field(
        description="Age bands, youngest first: under_7_days, 7_to_30_days, 30_to_90_days,"
        " over_90_days"
    )
    counts: dict[str, list[int]] = Field(description="State (opened, assigned) → count per band")
    total: int
    oldest_opened_at: AwareDatetime | None


class IntakeRate(Document):
    """Records received per minute in the caller's area (its registered stations).

    Each series has one count per minute of `minutes` (their start times, oldest first).
    """

    scope: str | None = Field(description="The caller's region (counts are cut to it)")
    minutes: list[AwareDatetime]
    by_kind: dict[str, list[int]] = Field(description="Accepted events by station kind")
    by_source: dict[str, list[int]] = Field(
        description="Accepted events by source: injury_reports, purchase_sampling, other"
    )
    rejected: list[int] = Field(description="Dead letters of the area's stations")
    accepted_total: int
    rejected_total: int
