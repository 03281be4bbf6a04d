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
- `sampling_failure`: a failed clause whose injury scenario is severity ≥ 3 (serious risk);
  its items failed and margin past the limit weigh in the score (`score.failure_strength`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from fractions import Fraction

from recall.domain.risk.detectors import streamed
from recall.domain.risk.detectors.base import Detection
from recall.domain.risk.evidence import DisproportionalityEvidence, TemporalEvidence
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
    monday_of,
    week_of,
)

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
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
    touched: dict[str, _Touched] = {}
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
    for hazard, periods in touched.items():
        result.signals.extend(_temporal(state, hazard, periods, result.fresh))
    result.score = _score(state, result.signals, units_in_use, cases, disproportionality or {})
    return result


def _record_injury(state: ProductRiskState, case: Case, touched: dict[str, _Touched]) -> int:
    """Count the case into its day and its week; 1 (late) when the day is outside the daily
    history window (already in the baseline, or at or before the watermark's lateness edge).
    A case late for its day may still count in its week, which stays open until its last day
    leaves the lateness window."""
    hazard = state.hazard(case.hazards[0])
    hazard.cases += 1
    hazard.max_severity = max(hazard.max_severity, case.severity.level)
    periods = touched.setdefault(case.hazards[0], _Touched())
    if hazard.weekly.add(week_of(case.day)):
        periods.weeks.add(week_of(case.day))
    last = hazard.daily.closed_through
    edge = (case.day if state.watermark_day is None else state.watermark_day) - LATENESS_DAYS
    if (last is not None and case.day <= last) or case.day <= edge:
        return 1  # stored in SQL, too late for the daily baseline and the severe window
    if case.severity.level >= 3:
        hazard.severe_days[case.day] = hazard.severe_days.get(case.day, 0) + 1
    hazard.daily.add(case.day)
    periods.days.add(case.day)
    return 0


def _close_periods(hazard: HazardState, watermark: int) -> None:
    """Close the days (and the weeks whose last day) older than the lateness window."""
    edge = watermark - LATENESS_DAYS
    hazard.daily.close(edge, streamed.DAILY)
    hazard.weekly.close(week_of(edge - 6), streamed.WEEKLY)  # weeks whose Sunday is closed
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
    window: str = f"{SEVERE_WINDOW_DAYS} days"


@dataclass
class _Touched:
    """The days and weeks of one hazard that this call's cases counted into."""

    days: set[int] = field(default_factory=set)
    weeks: set[int] = field(default_factory=set)


_FREQUENCIES = (("daily", streamed.DAILY), ("weekly", streamed.WEEKLY))


def _temporal(
    state: ProductRiskState, code: str, touched: _Touched, cases: Sequence[Case]
) -> list[SignalDraft]:
    """Judge every touched day and week with the streamed detector; the latest judgement of
    each frequency is kept for the score. Weekly signals carry the Monday as their day and
    `weekly` in their id; a week none of whose days alarmed is signalled by the weekly series
    (excess spread thin over the days), one whose days did is not signalled again."""
    hazard = state.hazards[code]
    out = []
    for frequency, params in _FREQUENCIES:
        series = hazard.daily if frequency == "daily" else hazard.weekly
        periods = touched.days if frequency == "daily" else touched.weeks
        for period in sorted(periods):
            judgement = streamed.judge(series, period, params)
            count = series.count(period)
            day = period if frequency == "daily" else monday_of(period)
            judged = TemporalEvidence(
                code, frequency, judgement.detector, day_label(day), count, judgement.detection
            )
            hazard.latest[frequency] = judged
            hazard.temporal[frequency] = _strongest(hazard.temporal.get(frequency), judged, day)
            if not judgement.detection.alarm:
                continue
            if frequency == "daily":
                _note_alarm_week(hazard, week_of(day))
            elif period in hazard.daily_alarm_weeks:
                continue  # the days already signalled this week's cluster
            finding = _temporal_finding(hazard, code, day, frequency, judgement, count, cases)
            out += _signal(state, hazard, finding)
    if state.watermark_day is not None:
        _close_periods(hazard, state.watermark_day)
    return out


TEMPORAL_MEMORY_DAYS = 28
"""How long the strongest recent judgement stands in the score before a weaker one replaces it:
an alarm is not forgotten the next quiet day (investigations take weeks to open)."""


def _strongest(
    kept: TemporalEvidence | None, judged: TemporalEvidence, day: int
) -> TemporalEvidence:
    """The judgement the score reads: the new one unless a stronger one is under
    `TEMPORAL_MEMORY_DAYS` old (the newest wins ties)."""
    if kept is None or judged.detection.score >= kept.detection.score:
        return judged
    try:
        kept_day = date.fromisoformat(kept.period).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return judged
    return kept if 0 <= day - kept_day < TEMPORAL_MEMORY_DAYS else judged


def _note_alarm_week(hazard: HazardState, week: int) -> None:
    if week not in hazard.daily_alarm_weeks:
        hazard.daily_alarm_weeks.append(week)
        del hazard.daily_alarm_weeks[:-8]


def _temporal_finding(
    hazard: HazardState,
    code: str,
    day: int,
    frequency: str,
    judgement: streamed.Judgement,
    count: int,
    cases: Sequence[Case],
) -> _Finding:
    d = judgement.detection
    weekly = frequency == "weekly"
    span = f"in the week of {day_label(day)}" if weekly else f"on {day_label(day)}"
    return _Finding(
        judgement.detector,
        code,
        day,
        _trigger(cases, code, day, weekly),
        RiskLevel.SERIOUS if hazard.max_severity >= 3 else RiskLevel.HIGH,
        float(count),
        (
            f"{count} cases {span} vs expected {d.expected:.2f} (threshold "
            f"{d.threshold:.1f}, {_DETECTOR_WORDS[judgement.detector]}, {frequency} series)",
        ),
        d,
        signal_key="weekly" if weekly else "",
        window="1 week" if weekly else "1 day",
    )


_DETECTOR_WORDS = {
    streamed.HARMONIC: "negative binomial regression with seasonality and trend",
    streamed.LIVE: "negative binomial, exponentially weighted baseline",
    streamed.COLD_START: "new series: Poisson prior, no baseline yet",
}


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
    state.serious_items = max(state.serious_items, case.failed_items)
    if case.margin is not None:
        state.serious_margin = max(state.serious_margin or 0.0, case.margin)
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


def _trigger(cases: Sequence[Case], hazard: str, day: int, weekly: bool = False) -> Case:
    """The latest of this call's cases behind a finding (of the week, for a weekly one)."""
    matching = [
        c
        for c in cases
        if c.hazards
        and c.hazards[0] == hazard
        and (week_of(c.day) == week_of(day) if weekly else c.day == day)
    ]
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
            window=finding.window,
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
            serious_failed_items=state.serious_items,
            serious_failure_margin=state.serious_margin,
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
    """Every hazard of the product with what is known of it, for the fused score: injuries
    and the worst of them (severity weighs only for a hazard other evidence points at),
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
                max_severity=hazard.max_severity if hazard else 0,
                failures=hazard.failures if hazard else 0,
                temporal=tuple(hazard.temporal.values()) if hazard else (),
                disproportionality=disproportionality.get(code),
            )
        )
    return tuple(out)
