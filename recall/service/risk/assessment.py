"""Risk assessment use case: fold a product's new cases into its state, decide signals, score.

Kafka-free and deterministic for given inputs, so the rules are unit-tested directly; the
`assess_risk` agent only parses the cases (`recall.service.risk.cases`), loads the state, calls
`assess`, produces what it returns and saves.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction

from recall.domain.risk.detectors.base import Detection
from recall.domain.risk.detectors.live import DAILY, close_open_periods, judge_open_period
from recall.domain.risk.evidence import DisproportionalityEvidence
from recall.domain.risk.matrix import RiskLevel, risk_level_for_probability
from recall.domain.risk.score import Contribution, HazardEvidence, RiskInputs, risk_score
from recall.domain.risk.severity import SeverityAssessment
from recall.service.risk.cases import Case
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

SIGNAL_NAMESPACE = uuid.UUID("0b6f3c1e-6a8e-4f6e-9d8e-2f1d7c9a5b31")
MIN_CASES = 3
ALARM_MEMORY = 64


@dataclass(frozen=True, slots=True)
class SignalDraft:
    """A signal as decided; the agent stamps it (`raised_at`) into a `SignalRaised` record."""

    signal_id: str
    product_key: str
    hazard: str
    category: str
    jurisdiction: str
    method: str
    risk_level: RiskLevel
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
    """A score worth announcing (it moved by at least one point since the last one)."""

    product_key: str
    score: float
    risk_level: RiskLevel | None
    explanation: tuple[str, ...]
    contributions: tuple[Contribution, ...] = ()  # every part, as the explanation lists them


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


def assess(
    state: ProductRiskState,
    cases: Sequence[Case],
    units_in_use: int | None,
    now: datetime | None = None,
    max_age_days: int = MAX_AGE_DAYS,
    disproportionality: Mapping[str, DisproportionalityEvidence] | None = None,
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
    result.score = _score(state, result.signals, units_in_use, cases, disproportionality or {})
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


@dataclass(frozen=True, slots=True)
class _Finding:
    """What one rule found about one product × hazard, before it becomes a signal (or not,
    if the same signal id was raised already)."""

    method: str
    hazard: str
    day: int
    trigger: Case
    level: RiskLevel
    observed: float
    explanation: tuple[str, ...]
    detection: Detection | None = None
    signal_key: str = ""  # distinguishes findings of one method, product, hazard and day


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
        finding = _Finding(
            "live_nb",
            code,
            day,
            _trigger(cases, code, day),
            RiskLevel.SERIOUS if hazard.max_severity >= 3 else RiskLevel.HIGH,
            float(count),
            (
                f"{count} cases on {day_label(day)} vs expected {detection.expected:.2f} "
                f"(threshold {detection.threshold:.1f}, negative binomial, daily baseline)",
            ),
            detection,
        )
        out += _signal(state, hazard, finding)
    if state.watermark_day is not None:
        _close_days(hazard, state.watermark_day)
    return out


def _case_rules(state: ProductRiskState, case: Case) -> list[SignalDraft]:
    code = case.hazards[0]
    hazard = state.hazards[code]
    out: list[SignalDraft] = []
    if case.fatal:
        reasons = ("a death involving this product: " + "; ".join(case.severity.reasons),)
        fatal = _Finding("fatal_case", code, case.day, case, RiskLevel.SERIOUS, 1.0, reasons)
        out += _signal(state, hazard, fatal)
    end = state.watermark_day if state.watermark_day is not None else case.day
    severe = sum(n for d, n in hazard.severe_days.items() if end - SEVERE_WINDOW_DAYS < d <= end)
    if case.severity.level >= 3 and severe >= MIN_CASES:
        week = end // SEVERE_WINDOW_DAYS
        cluster = _Finding(
            "severe_cluster",
            code,
            week * SEVERE_WINDOW_DAYS,
            case,
            RiskLevel.SERIOUS,
            float(severe),
            (f"{severe} cases of severity ≥ 3 within {SEVERE_WINDOW_DAYS} days",),
        )
        out += _signal(state, hazard, cluster)
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
        state.hazard(code).failures += 1
        finding = _Finding(
            "sampling_failure",
            code,
            case.day,
            case,
            RiskLevel.SERIOUS,
            1.0,
            case.severity.reasons,
            signal_key=case.event_id,
        )
        out += _signal(state, state.hazard(code), finding)
    return out


def _trigger(cases: Sequence[Case], hazard: str, day: int) -> Case:
    matching = [c for c in cases if c.hazards and c.hazards[0] == hazard and c.day == day]
    return matching[-1] if matching else cases[-1]


def _signal(state: ProductRiskState, hazard: HazardState, finding: _Finding) -> list[SignalDraft]:
    """The finding as a signal, unless its id was raised already (then nothing)."""
    trigger, detection = finding.trigger, finding.detection
    name = f"{finding.method}|{trigger.product_key}|{finding.hazard}|{finding.day}"
    signal_id = str(uuid.uuid5(SIGNAL_NAMESPACE, f"{name}|{finding.signal_key}"))
    if signal_id in hazard.alarmed:
        return []
    hazard.alarmed.append(signal_id)
    del hazard.alarmed[:-ALARM_MEMORY]
    return [
        SignalDraft(
            signal_id=signal_id,
            product_key=trigger.product_key,
            hazard=finding.hazard,
            category=state.category,
            jurisdiction=state.jurisdiction,
            method=finding.method,
            risk_level=finding.level,
            day=day_label(finding.day),
            observed=finding.observed,
            expected=detection.expected if detection else 0.0,
            threshold=detection.threshold if detection else float(MIN_CASES),
            statistic=detection.score if detection else finding.observed,
            window="1 day" if finding.method == "live_nb" else f"{SEVERE_WINDOW_DAYS} days",
            explanation=finding.explanation,
            trigger_event_id=trigger.event_id,
            trigger_sent_ts=trigger.sent_ts,
        )
    ]


def _score(
    state: ProductRiskState,
    signals: list[SignalDraft],
    units: int | None,
    cases: Sequence[Case],
    disproportionality: Mapping[str, DisproportionalityEvidence],
) -> ScoreDraft | None:
    """`disproportionality`: this product's pairs by hazard, from the category-wide job."""
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
    elif signals and any(s.risk_level is RiskLevel.SERIOUS for s in signals):
        level = RiskLevel.SERIOUS
    if state.serious_failures:
        # A failed clause with a serious-risk scenario is a serious risk on the EU matrix
        # whatever the injury count: the level must not fall back to an injury-based one on
        # the next batch, nor depend on whether anyone was hurt yet.
        level = RiskLevel.SERIOUS
    score = risk_score(
        RiskInputs(
            severity=severity,
            risk_level=level,
            hazards=_hazard_evidence(state, disproportionality),
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
        level,
        tuple(score.explain()),
        score.contributions,
    )


def _hazard_evidence(
    state: ProductRiskState, disproportionality: Mapping[str, DisproportionalityEvidence]
) -> tuple[HazardEvidence, ...]:
    """Every hazard of the product with what is known of it, for the fused score: injuries,
    serious lab failures, the detector's latest judgement per frequency, and the category-wide
    disproportionality (a hazard known only from the latter is included too)."""
    codes = sorted(set(state.hazards) | set(disproportionality))
    out = []
    for code in codes:
        hazard = state.hazards.get(code)
        out.append(
            HazardEvidence(
                code,
                cases=hazard.cases if hazard else 0,
                failures=hazard.failures if hazard else 0,
                temporal=tuple(hazard.temporal.values()) if hazard else (),
                disproportionality=disproportionality.get(code),
            )
        )
    return tuple(out)
