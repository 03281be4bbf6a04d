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
from datetime import datetime
from fractions import Fraction
from typing import Any

from recall.domain.risk.detectors.base import Detection
from recall.domain.risk.detectors.live import DAILY, close_open_periods, judge_open_period
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
from recall.service.risk_state import (
    LATENESS_DAYS,
    SEVERE_WINDOW_DAYS,
    HazardState,
    ProductRiskState,
    day_label,
    day_of,
)

SIGNAL_NAMESPACE = uuid.UUID("0b6f3c1e-6a8e-4f6e-9d8e-2f1d7c9a5b31")
MIN_CASES = 3
ALARM_MEMORY = 64


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
    late: int = 0
    fresh: list[Case] = field(default_factory=list)  # cases not seen before, in order


def case_from_canonical(record: dict[str, Any], sent_ts: float | None) -> Case | None:
    """A `Case` for injury reports and sampling results; None for other event types."""
    event = record["event"]
    payload = event["payload"]
    product = payload.get("product")
    if product is None or record.get("product_key") is None:
        return None
    common = {
        "event_id": str(event["event_id"]),
        "event_type": event["type"],
        "product_key": record["product_key"],
        "category": product["category"],
        "jurisdiction": _firm_jurisdiction(product.get("manufacturer_code"), event["jurisdiction"]),
        "sent_ts": sent_ts,
        "region": event["jurisdiction"][:4] + "00",
    }
    if event["type"] == "injury_report":
        facts = InjuryFacts(
            payload["disposition"],
            payload["injury_nature"],
            payload["body_part"],
            payload.get("age_years"),
            payload["mechanism"],
        )
        hazard = hazard_for_mechanism(payload["mechanism"], payload["injury_nature"])
        day = day_of(datetime.fromisoformat(payload["occurred_at"]))
        return Case(
            **common,
            day=day,
            hazards=(hazard,),
            severity=assess_injury(facts),
            fatal=payload["disposition"] == "died",
        )
    if event["type"] == "sampling_result":
        return _sampling_case(common, payload)
    return None


def _sampling_case(common: dict[str, Any], payload: dict[str, Any]) -> Case:
    failed_clauses = [i["clause"] for i in payload["items"] if i["verdict"] == "fail"]
    hazards = tuple(payload.get("hazards") or ()) if failed_clauses else ()
    clause = failed_clauses[0] if failed_clauses else "-"
    assessments = [
        assess_sampling(SamplingFacts(h, clause, True, bool(payload.get("vulnerable_users"))))
        for h in hazards
    ]
    worst = max(assessments, key=lambda a: a.level, default=SeverityAssessment(1, ("passed",)))
    day = day_of(datetime.fromisoformat(payload["sampled_at"]))
    return Case(**common, day=day, hazards=hazards, severity=worst, failed=bool(failed_clauses))


def _firm_jurisdiction(credit_code: str | None, fallback: str) -> str:
    """The regulator responsible is the firm's: a credit code carries its division (chars 3–8)."""
    if credit_code and len(credit_code) == 18 and credit_code[2:8].isdigit():
        division = credit_code[2:8]
        if division[:2] != "00" and not (division[2:4] == "00" and division[4:] != "00"):
            return division
    return fallback


def assess(state: ProductRiskState, cases: Sequence[Case], units_in_use: int | None) -> Assessment:
    result = Assessment(state)
    touched: dict[str, set[int]] = {}
    for case in cases:
        if state.seen(case.event_id):
            result.replayed += 1
            continue
        state.remember(case.event_id)
        result.fresh.append(case)
        state.category, state.jurisdiction = case.category, case.jurisdiction
        state.watermark_day = max(state.watermark_day or case.day, case.day)
        if case.event_type == "sampling_result":
            result.signals.extend(_sampling(state, case))
        else:
            result.late += _record_injury(state, case, touched)
            result.signals.extend(_case_rules(state, case))
    for hazard, days in touched.items():
        result.signals.extend(_temporal(state, hazard, days, cases))
    result.score = _score(state, result.signals, units_in_use, cases)
    return result


def _record_injury(state: ProductRiskState, case: Case, touched: dict[str, set[int]]) -> int:
    hazard = state.hazard(case.hazards[0])
    hazard.cases += 1
    hazard.max_severity = max(hazard.max_severity, case.severity.level)
    if case.severity.level >= 3:
        hazard.severe_days[case.day] = hazard.severe_days.get(case.day, 0) + 1
    last = hazard.live.last_period
    if last is not None and case.day <= last:
        return 1  # beyond the lateness window: stored in SQL, too late for the baseline
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
