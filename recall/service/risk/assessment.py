"""Risk assessment use case: fold a product's new cases into its state, decide signals, score.

Kafka-free and deterministic for given inputs, so the rules are unit-tested directly; the
`assess_risk` agent only loads the state, calls `assess`, emits what it returns and saves.

Signals raised here (each with a stable id, so a replay raises nothing new downstream):
- `live_nb`: the day's count for product × hazard is above the negative-binomial threshold of
  the product's own learned baseline (`recall.domain.risk.detectors.live`), with ≥ 3 cases;
- `severe_cluster`: ≥ 3 cases of severity ≥ 3 for one product × hazard within 7 days — needs no
  history, so a new product that hurts people is caught too;
- `fatal_case`: a death involving the product (disposition `died`; severity 4 without a death,
  e.g. a lasting disability, counts towards `severe_cluster` instead);
- `sampling_failure`: a failed clause whose injury scenario is severity ≥ 3 (serious risk).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from recall.domain.risk.detectors.base import Detection
from recall.domain.risk.detectors.live import DAILY, close_open_periods, judge_open_period
from recall.domain.risk.errors import RiskError
from recall.domain.risk.matrix import RiskLevel, risk_level_for_probability
from recall.domain.risk.score import RiskInputs, risk_score
from recall.domain.risk.severity import (
    InjuryFacts,
    SamplingFacts,
    SeverityAssessment,
    assess_injury,
    assess_sampling,
    hazard_for_mechanism,
)
from recall.service.risk.state import (
    ALLOWANCE_DAYS,
    LATENESS_DAYS,
    MAX_AGE_DAYS,
    SEVERE_WINDOW_DAYS,
    HazardState,
    ProductRiskState,
    day_label,
    day_of,
)
from schemas.codes import check_jurisdiction
from schemas.common import ProductCategory

SIGNAL_NAMESPACE = uuid.UUID("0b6f3c1e-6a8e-4f6e-9d8e-2f1d7c9a5b31")
MIN_CASES = 3
ALARM_MEMORY = 64
_MAX_TS = datetime(9999, 12, 31, tzinfo=UTC).timestamp()


@dataclass(frozen=True, slots=True)
class Case:
    """What risk assessment needs from one canonical event."""

    event_id: str
    event_type: str
    product_key: str
    category: str
    jurisdiction: str
    day: int
    sent_ts: float | None
    hazards: tuple[str, ...]
    severity: SeverityAssessment
    failed: bool = False
    fatal: bool = False
    region: str = ""  # the reporting station's city (XXXX00): where the case was seen
    limit_day: int | None = None  # the latest day this case may have: receipt day + allowance


@dataclass(frozen=True, slots=True)
class SignalDraft:
    signal_id: str
    product_key: str
    hazard: str
    category: str
    jurisdiction: str
    method: str
    risk_level: str
    day: str
    observed: float
    expected: float
    threshold: float
    statistic: float
    window: str
    explanation: tuple[str, ...]
    trigger_event_id: str
    trigger_sent_ts: float | None


@dataclass(frozen=True, slots=True)
class ScoreDraft:
    product_key: str
    score: float
    risk_level: str | None
    explanation: tuple[str, ...]


@dataclass
class Assessment:
    state: ProductRiskState
    signals: list[SignalDraft] = field(default_factory=list)
    score: ScoreDraft | None = None
    replayed: int = 0
    late: int = 0  # too old for the state's history window: kept out of the baselines
    future: int = 0  # dated after receipt + allowance: set aside, no effect on the state
    healed: bool = False  # the loaded state held days beyond now + allowance (older code)
    fresh: list[Case] = field(default_factory=list)  # cases not seen before, in order


class CanonicalRecordError(ValueError):
    """A record on `events.canonical` the risk model cannot use: its shape, a type or a value.

    The only exception `case_from_canonical` raises. The topic is open to any producer with
    the ACL and older records were never bounded, so the agents treat a record as untrusted:
    the message names the field and the rule broken, never the value (it may be personal).
    """

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field


_RISK_TYPES = frozenset({"injury_report", "sampling_result"})
_OTHER_TYPES = frozenset({"station_heartbeat", "recall_notice", "recall_progress_report"})
_CATEGORIES = frozenset(c.value for c in ProductCategory)
_VERDICTS = frozenset({"pass", "fail"})
MAX_ID_CHARS = 64
MAX_KEY_CHARS = 1024
MAX_TIME_CHARS = 40
MAX_ITEMS = 500
MAX_HAZARDS = 15
MAX_AGE_YEARS = 120


def case_from_canonical(
    record: object, sent_ts: float | None, now: datetime | None = None
) -> Case | None:
    """A `Case` for injury reports and sampling results; None for the other known types.

    Strict, because lax coercion changed outcomes (`"4"` as an age raised in the agent, `true`
    became age 1): every field must have its exact JSON type (an int is a JSON integer, not a
    bool, string or float), codes must be known, times ISO strings with an offset. Anything
    else raises `CanonicalRecordError`. `limit_day` is the receipt day (the record's
    `received_at`, else the broker timestamp `sent_ts`, never later than `now`) plus the
    allowance: `assess` sets aside a case dated after it.
    """
    now = now or datetime.now(UTC)
    root = _object(record, "")
    event = _object(root.get("event"), "event")
    kind = _text(event.get("type"), "event.type", MAX_ID_CHARS)
    if kind in _OTHER_TYPES:
        return None
    if kind not in _RISK_TYPES:
        raise CanonicalRecordError("event.type", "not a known event type")
    payload = _object(event.get("payload"), "event.payload")
    product_key = root.get("product_key")
    if payload.get("product") is None or product_key is None:
        return None
    product = _object(payload["product"], "event.payload.product")
    jurisdiction = _text(event.get("jurisdiction"), "event.jurisdiction", 6)
    try:
        check_jurisdiction(jurisdiction)
    except ValueError:
        raise CanonicalRecordError("event.jurisdiction", "not a GB/T 2260 code") from None
    credit_code = product.get("manufacturer_code")
    common: dict[str, Any] = {
        "event_id": _text(event.get("event_id"), "event.event_id", MAX_ID_CHARS),
        "event_type": kind,
        "product_key": _text(product_key, "product_key", MAX_KEY_CHARS),
        "category": _code(product.get("category"), "event.payload.product.category", _CATEGORIES),
        "jurisdiction": _firm_jurisdiction(
            None if credit_code is None else _text(credit_code, "manufacturer_code", 18),
            jurisdiction,
        ),
        "sent_ts": _timestamp(sent_ts),
        "region": jurisdiction[:4] + "00",
        "limit_day": _limit_day(root.get("received_at"), _timestamp(sent_ts), now),
    }
    try:
        if kind == "injury_report":
            return _injury_case(common, payload)
        return _sampling_case(common, payload)
    except RiskError as error:  # an unknown code, named by the domain's own message
        raise CanonicalRecordError("event.payload", type(error).__name__) from None


def _injury_case(common: dict[str, Any], payload: dict[str, Any]) -> Case:
    facts = InjuryFacts(
        _text(payload.get("disposition"), "event.payload.disposition", MAX_ID_CHARS),
        _text(payload.get("injury_nature"), "event.payload.injury_nature", MAX_ID_CHARS),
        _text(payload.get("body_part"), "event.payload.body_part", MAX_ID_CHARS),
        _age(payload.get("age_years")),
        _text(payload.get("mechanism"), "event.payload.mechanism", MAX_ID_CHARS),
    )
    severity = assess_injury(facts)  # raises UnknownCodeError for an unknown code
    return Case(
        **common,
        day=_day(payload.get("occurred_at"), "event.payload.occurred_at"),
        hazards=(hazard_for_mechanism(facts.mechanism, facts.injury_nature),),
        severity=severity,
        fatal=facts.disposition == "died",
    )


def _sampling_case(common: dict[str, Any], payload: dict[str, Any]) -> Case:
    items = _array(payload.get("items"), "event.payload.items", MAX_ITEMS)
    failed_clauses = []
    for item in items:
        entry = _object(item, "event.payload.items[]")
        clause = _text(entry.get("clause"), "event.payload.items[].clause", MAX_ID_CHARS)
        if _code(entry.get("verdict"), "event.payload.items[].verdict", _VERDICTS) == "fail":
            failed_clauses.append(clause)
    declared = payload.get("hazards")
    codes = () if declared is None else _array(declared, "event.payload.hazards", MAX_HAZARDS)
    hazards = tuple(_text(h, "event.payload.hazards[]", MAX_ID_CHARS) for h in codes)
    vulnerable = payload.get("vulnerable_users", False)
    if type(vulnerable) is not bool:
        raise CanonicalRecordError("event.payload.vulnerable_users", "must be true or false")
    hazards = hazards if failed_clauses else ()
    clause = failed_clauses[0] if failed_clauses else "-"
    assessments = [assess_sampling(SamplingFacts(h, clause, True, vulnerable)) for h in hazards]
    worst = max(assessments, key=lambda a: a.level, default=SeverityAssessment(1, ("passed",)))
    day = _day(payload.get("sampled_at"), "event.payload.sampled_at")
    return Case(**common, day=day, hazards=hazards, severity=worst, failed=bool(failed_clauses))


def _object(value: object, field: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise CanonicalRecordError(field or "record", "must be a JSON object")
    return value


def _array(value: object, field: str, limit: int) -> list[Any]:
    if type(value) is not list or len(value) > limit:
        raise CanonicalRecordError(field, f"must be a JSON array of at most {limit} items")
    return value


def _text(value: object, field: str, limit: int) -> str:
    if type(value) is not str or not 0 < len(value) <= limit:
        raise CanonicalRecordError(field, f"must be a string of 1 to {limit} characters")
    return value


def _code(value: object, field: str, allowed: frozenset[str]) -> str:
    if type(value) is not str or value not in allowed:
        raise CanonicalRecordError(field, "not a known code")
    return value


def _age(value: object) -> int | None:
    """None or a JSON integer 0..120: `true` is not 1, `"4"` is not 4, 4.0 is not 4."""
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= MAX_AGE_YEARS:
        raise CanonicalRecordError(
            "event.payload.age_years", f"must be an integer from 0 to {MAX_AGE_YEARS}"
        )
    return value


def _moment(value: object, field: str) -> datetime:
    text = _text(value, field, MAX_TIME_CHARS)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CanonicalRecordError(field, "not an ISO 8601 date-time") from None
    if moment.utcoffset() is None:
        raise CanonicalRecordError(field, "needs a UTC offset")
    return moment


def _day(value: object, field: str) -> int:
    return day_of(_moment(value, field))


def _timestamp(value: object) -> float | None:
    """The broker timestamp, when it is a usable number of seconds (years 1970..9999)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 < value < _MAX_TS else None  # NaN fails the comparison


def _limit_day(received_at: object, sent_ts: float | None, now: datetime) -> int:
    """The receipt day plus the allowance: receipt is `received_at`, else the broker
    timestamp, else now; never later than now (a producer can write any of them)."""
    today = day_of(now)
    if received_at is not None:
        receipt = _day(received_at, "received_at")
    elif sent_ts is not None:
        receipt = day_of(datetime.fromtimestamp(sent_ts, UTC))
    else:
        receipt = today
    return min(receipt, today) + ALLOWANCE_DAYS


def _firm_jurisdiction(credit_code: str | None, fallback: str) -> str:
    """The regulator responsible is the firm's: a credit code carries its division (chars 3–8)."""
    if credit_code and len(credit_code) == 18 and credit_code[2:8].isdigit():
        division = credit_code[2:8]
        if division[:2] != "00" and not (division[2:4] == "00" and division[4:] != "00"):
            return division
    return fallback


def assess(
    state: ProductRiskState,
    cases: Sequence[Case],
    units_in_use: int | None,
    now: datetime | None = None,
    max_age_days: int = MAX_AGE_DAYS,
) -> Assessment:
    """Fold new cases into `state` and decide signals and score.

    Event times are bounded so no record can move the watermark where real cases become
    late: a case dated after its `limit_day` (receipt + allowance), or after now + allowance,
    is set aside (`future`); one older than `max_age_days` before its limit is set aside as
    `late`. Both are remembered (a replay is a replay) and change nothing else. A loaded
    state holding days beyond now + allowance (written by older code) is healed first.
    """
    ceiling = day_of(now or datetime.now(UTC)) + ALLOWANCE_DAYS
    result = Assessment(state, healed=state.heal(ceiling))
    touched: dict[str, set[int]] = {}
    for case in cases:
        if state.seen(case.event_id):
            result.replayed += 1
            continue
        state.remember(case.event_id)
        limit = ceiling if case.limit_day is None else min(case.limit_day, ceiling)
        if case.day > limit:
            result.future += 1
            continue
        if case.day < limit - ALLOWANCE_DAYS - max_age_days:
            result.late += 1
            continue
        result.fresh.append(case)
        state.category, state.jurisdiction = case.category, case.jurisdiction
        if state.watermark_day is None or case.day > state.watermark_day:
            state.watermark_day = case.day
        if case.event_type == "sampling_result":
            result.signals.extend(_sampling(state, case))
        else:
            result.late += _record_injury(state, case, touched)
            result.signals.extend(_case_rules(state, case))
    for hazard, days in touched.items():
        result.signals.extend(_temporal(state, hazard, days, result.fresh))
    result.score = _score(state, result.signals, units_in_use, cases)
    return result


def _record_injury(state: ProductRiskState, case: Case, touched: dict[str, set[int]]) -> int:
    """Count the case; open its day unless that day is outside the state's history window
    (already in the baseline, or at or before the watermark's lateness edge): then 1 (late)."""
    hazard = state.hazard(case.hazards[0])
    hazard.cases += 1
    hazard.max_severity = max(hazard.max_severity, case.severity.level)
    last = hazard.live.last_period
    edge = (case.day if state.watermark_day is None else state.watermark_day) - LATENESS_DAYS
    if (last is not None and case.day <= last) or case.day <= edge:
        return 1  # stored in SQL, too late for the baseline and the severe window
    if case.severity.level >= 3:
        hazard.severe_days[case.day] = hazard.severe_days.get(case.day, 0) + 1
    hazard.open_days[case.day] = hazard.open_days.get(case.day, 0) + 1
    touched.setdefault(case.hazards[0], set()).add(case.day)
    return 0


def _close_days(hazard: HazardState, watermark: int) -> None:
    """Absorb open days older than the lateness window into the baseline, in order."""
    hazard.live = close_open_periods(
        hazard.live, hazard.open_days, watermark - LATENESS_DAYS, DAILY
    )
    horizon = watermark - 4 * SEVERE_WINDOW_DAYS
    for day in [d for d in hazard.severe_days if d < horizon]:
        del hazard.severe_days[day]


def _temporal(
    state: ProductRiskState, code: str, days: Iterable[int], cases: Sequence[Case]
) -> list[SignalDraft]:
    hazard = state.hazards[code]
    out = []
    for day in sorted(days):
        count = hazard.open_days.get(day, 0)
        detection = judge_open_period(hazard.live, hazard.open_days, day, DAILY)
        if detection is None or not detection.alarm or count < MIN_CASES:
            continue
        trigger = _trigger(cases, code, day)
        level = "serious" if hazard.max_severity >= 3 else "high"
        out += _emit(
            state,
            hazard,
            "live_nb",
            code,
            day,
            trigger,
            level,
            float(count),
            detection,
            (
                f"{count} cases on {day_label(day)} vs expected {detection.expected:.2f} "
                f"(threshold {detection.threshold:.1f}, negative binomial, daily baseline)",
            ),
        )
    if state.watermark_day is not None:
        _close_days(hazard, state.watermark_day)
    return out


def _case_rules(state: ProductRiskState, case: Case) -> list[SignalDraft]:
    code = case.hazards[0]
    hazard = state.hazards[code]
    out: list[SignalDraft] = []
    if case.fatal:
        out += _emit(
            state,
            hazard,
            "fatal_case",
            code,
            case.day,
            case,
            "serious",
            1.0,
            None,
            ("a death involving this product: " + "; ".join(case.severity.reasons),),
        )
    end = state.watermark_day if state.watermark_day is not None else case.day
    severe = sum(n for d, n in hazard.severe_days.items() if end - SEVERE_WINDOW_DAYS < d <= end)
    if case.severity.level >= 3 and severe >= MIN_CASES:
        week = end // SEVERE_WINDOW_DAYS
        out += _emit(
            state,
            hazard,
            "severe_cluster",
            code,
            week * SEVERE_WINDOW_DAYS,
            case,
            "serious",
            float(severe),
            None,
            (f"{severe} cases of severity ≥ 3 within {SEVERE_WINDOW_DAYS} days",),
        )
    return out


def _sampling(state: ProductRiskState, case: Case) -> list[SignalDraft]:
    if not case.failed:
        return []
    if case.severity.level < 3:
        state.other_failures += 1
        return []
    state.serious_failures += 1
    out: list[SignalDraft] = []
    for code in case.hazards:
        hazard = state.hazard(code)
        out += _emit(
            state,
            hazard,
            "sampling_failure",
            code,
            case.day,
            case,
            "serious",
            1.0,
            None,
            case.severity.reasons,
            signal_key=case.event_id,
        )
    return out


def _trigger(cases: Sequence[Case], hazard: str, day: int) -> Case:
    matching = [c for c in cases if c.hazards and c.hazards[0] == hazard and c.day == day]
    return matching[-1] if matching else cases[-1]


def _emit(
    state: ProductRiskState,
    hazard: HazardState,
    method: str,
    code: str,
    day: int,
    trigger: Case,
    level: str,
    observed: float,
    detection: Detection | None,
    explanation: tuple[str, ...],
    signal_key: str = "",
) -> list[SignalDraft]:
    signal_id = str(
        uuid.uuid5(SIGNAL_NAMESPACE, f"{method}|{trigger.product_key}|{code}|{day}|{signal_key}")
    )
    if signal_id in hazard.alarmed:
        return []
    hazard.alarmed.append(signal_id)
    del hazard.alarmed[:-ALARM_MEMORY]
    return [
        SignalDraft(
            signal_id=signal_id,
            product_key=trigger.product_key,
            hazard=code,
            category=state.category,
            jurisdiction=state.jurisdiction,
            method=method,
            risk_level=level,
            day=day_label(day),
            observed=observed,
            expected=detection.expected if detection else 0.0,
            threshold=detection.threshold if detection else float(MIN_CASES),
            statistic=detection.score if detection else observed,
            window="1 day" if method == "live_nb" else f"{SEVERE_WINDOW_DAYS} days",
            explanation=explanation,
            trigger_event_id=trigger.event_id,
            trigger_sent_ts=trigger.sent_ts,
        )
    ]


def _score(
    state: ProductRiskState, signals: list[SignalDraft], units: int | None, cases: Sequence[Case]
) -> ScoreDraft | None:
    worst = max(state.hazards.values(), key=lambda h: h.max_severity, default=None)
    severity = (
        SeverityAssessment(worst.max_severity, ("worst case reported",))
        if worst and worst.max_severity
        else None
    )
    level = None
    total_cases = sum(h.cases for h in state.hazards.values())
    if severity is not None and units:
        # The point estimate decides the matrix row on the hot path (an exact Fraction, so
        # boundaries fall as the rule says); the interval is for reports, not every event.
        level = risk_level_for_probability(severity.level, Fraction(min(total_cases, units), units))
    elif signals and any(s.risk_level == "serious" for s in signals):
        level = RiskLevel.SERIOUS
    score = risk_score(
        RiskInputs(
            severity=severity,
            risk_level=level,
            serious_sampling_failures=state.serious_failures,
            other_sampling_failures=state.other_failures,
        )
    )
    if abs(score.score - state.last_score) < 1.0:
        return None
    state.last_score = score.score
    return ScoreDraft(
        cases[-1].product_key if cases else "",
        score.score,
        level.value if level else None,
        tuple(score.explain()),
    )
