"""Effectiveness measures: rates, speed, comparison with history, residual risk, FDA check
level and the verdict at completion.

Rates follow DESIGN §5: raw = corrected ÷ affected; adjusted = corrected ÷ (affected − units
proven unreachable), because a unit destroyed or exported cannot be corrected and should not
count against the firm; both are always shown, since "proven" is the firm's claim. The
verdict rules and the FDA level mapping are policy choices documented in docs/effectiveness.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from scipy.special import gammaincinv

from recall.domain.recalls.errors import InvalidRecallError
from recall.domain.recalls.model import RecallSpec, SupplyLevel, Verdict, days_between
from recall.domain.recalls.progress import EMPTY_LEVEL, ProgressReport
from recall.domain.vocabulary import RiskLevel

OVERALL = "overall"


@dataclass(frozen=True, slots=True)
class LevelRates:
    """Counts and rates for one level or `overall`; `adjusted_rate` is NaN if nothing is left."""

    scope: str
    affected: int
    located: int
    notified: int
    corrected: int
    unreachable: int
    raw_rate: float
    adjusted_rate: float
    reach: float

    @property
    def uncorrected(self) -> int:
        """Units still in use: neither corrected nor proven unreachable."""
        return max(self.affected - self.corrected - self.unreachable, 0)


def _rates(
    scope: str, affected: int, *, located: int, notified: int, corrected: int, unreachable: int
) -> LevelRates:
    correctable = affected - unreachable
    return LevelRates(
        scope=scope,
        affected=affected,
        located=located,
        notified=notified,
        corrected=corrected,
        unreachable=unreachable,
        raw_rate=corrected / affected,
        adjusted_rate=corrected / correctable if correctable > 0 else math.nan,
        reach=notified / affected,
    )


def correction_rates(spec: RecallSpec, report: ProgressReport | None) -> dict[str, LevelRates]:
    """Rates per level with affected units, plus `overall`; zeros before the first report."""
    out: dict[str, LevelRates] = {}
    for level in SupplyLevel:
        affected = spec.affected_at(level)
        if affected > 0:
            p = report.level(level) if report is not None else EMPTY_LEVEL
            out[str(level)] = _rates(
                str(level),
                affected,
                located=p.located,
                notified=p.notified,
                corrected=p.corrected_total,
                unreachable=p.unreachable_total,
            )
    r = report
    out[OVERALL] = _rates(
        OVERALL,
        spec.total_affected,
        located=r.located_total if r else 0,
        notified=r.notified_total if r else 0,
        corrected=r.corrected_total if r else 0,
        unreachable=r.unreachable_total if r else 0,
    )
    return out


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """Cumulative correction at `day` days after the recall start."""

    day: float
    corrected: int
    unreachable: int
    rate: float


def correction_curve(
    spec: RecallSpec, reports: Sequence[ProgressReport], level: SupplyLevel | None = None
) -> list[CurvePoint]:
    """The cumulative correction curve (overall or one level) on the days-since-start axis."""
    affected = spec.total_affected if level is None else spec.affected_at(level)
    if affected <= 0:
        return []
    points = []
    for report in sorted(reports, key=lambda r: r.period_end):
        part = report.level(level) if level is not None else None
        corrected = part.corrected_total if part is not None else report.corrected_total
        lost = part.unreachable_total if part is not None else report.unreachable_total
        day = days_between(spec.start, report.period_end)
        points.append(CurvePoint(day, corrected, lost, corrected / affected))
    return points


@dataclass(frozen=True, slots=True)
class Speed:
    """How fast units are corrected; `days_to_half` is None until the raw rate reaches 50%."""

    units_per_day: float
    recent_units_per_day: float
    days_to_half: float | None


def correction_speed(curve: Sequence[CurvePoint]) -> Speed:
    """Average and latest-period speed, and the (linearly interpolated) day the rate hit 50%."""
    if not curve or curve[-1].day <= 0:
        return Speed(0.0, 0.0, None)
    last = curve[-1]
    recent = last.corrected / last.day
    if len(curve) >= 2 and last.day > curve[-2].day:
        recent = (last.corrected - curve[-2].corrected) / (last.day - curve[-2].day)
    return Speed(last.corrected / last.day, recent, _day_reaching(curve, 0.5))


def _day_reaching(curve: Sequence[CurvePoint], rate: float) -> float | None:
    day0, rate0 = 0.0, 0.0
    for point in curve:
        if point.rate >= rate:
            if point.rate == rate0:
                return point.day
            return day0 + (rate - rate0) * (point.day - day0) / (point.rate - rate0)
        day0, rate0 = point.day, point.rate
    return None


def percentile_rank(value: float, history: Sequence[float]) -> float | None:
    """Mid-rank percentile (0–100) of `value` among past recalls' rates; None without history."""
    if not history:
        return None
    below = sum(1 for h in history if h < value)
    equal = sum(1 for h in history if h == value)
    return 100.0 * (below + 0.5 * equal) / len(history)


@dataclass(frozen=True, slots=True)
class ResidualRisk:
    """Expected incidents per year from the units still in use, with an exact Poisson interval."""

    uncorrected_units: int
    incidents: int
    unit_years: float
    rate_per_unit_year: float
    rate_low: float
    rate_high: float
    expected_per_year: float
    expected_low: float
    expected_high: float
    confidence: float = 0.95  # of the interval


def residual_risk(
    uncorrected_units: int, incidents: int, unit_years: float, confidence: float = 0.95
) -> ResidualRisk:
    """Incident rate = incidents ÷ unit-years of exposure (Garwood exact interval) × units left.

    The exact interval matters because recalled products typically have a handful of incidents.
    """
    if uncorrected_units < 0 or incidents < 0 or unit_years <= 0 or not 0 < confidence < 1:
        raise InvalidRecallError("residual_risk needs units ≥ 0, incidents ≥ 0, unit_years > 0")
    alpha = 1.0 - confidence
    low = float(gammaincinv(incidents, alpha / 2)) if incidents > 0 else 0.0
    high = float(gammaincinv(incidents + 1, 1 - alpha / 2))
    rate = incidents / unit_years
    rate_low, rate_high = low / unit_years, high / unit_years
    return ResidualRisk(
        uncorrected_units,
        incidents,
        unit_years,
        rate,
        rate_low,
        rate_high,
        rate * uncorrected_units,
        rate_low * uncorrected_units,
        rate_high * uncorrected_units,
        confidence,
    )


class FdaCheckLevel(StrEnum):
    """21 CFR 7.42(b)(3): share of consignees the effectiveness checks must contact."""

    A = "A"  # 100 %
    B = "B"  # more than 10 %, less than 100 % (case by case)
    C = "C"  # 10 %
    D = "D"  # 2 %
    E = "E"  # no effectiveness checks


CHECK_FRACTION = {
    FdaCheckLevel.A: 1.0,
    FdaCheckLevel.B: 0.5,
    FdaCheckLevel.C: 0.1,
    FdaCheckLevel.D: 0.02,
    FdaCheckLevel.E: 0.0,
}
_BASE_LEVEL = {
    RiskLevel.SERIOUS: FdaCheckLevel.A,
    RiskLevel.HIGH: FdaCheckLevel.B,
    RiskLevel.MEDIUM: FdaCheckLevel.C,
    RiskLevel.LOW: FdaCheckLevel.D,
}
_STRICTER = {
    FdaCheckLevel.B: FdaCheckLevel.A,
    FdaCheckLevel.C: FdaCheckLevel.B,
    FdaCheckLevel.D: FdaCheckLevel.C,
}


@dataclass(frozen=True, slots=True)
class FdaCheck:
    level: FdaCheckLevel
    consignee_fraction: float
    reason: str


def fda_check_level(spec: RecallSpec) -> FdaCheck:
    """Choose the effectiveness-check depth from risk level and notice channels.

    Base: serious→A, high→B, medium→C, low→D (serious risk mirrors an FDA Class I recall).
    Without direct notice one level stricter, because the checks are then the only evidence
    that holders were reached. E only when no unit left the manufacturer: nothing to check.
    """
    if spec.total_affected == spec.affected_at(SupplyLevel.MANUFACTURER):
        level, why = FdaCheckLevel.E, "all units still at the manufacturer"
    else:
        level = _BASE_LEVEL[spec.risk_level]
        why = f"risk {spec.risk_level}"
        if not spec.has_direct_contact and level in _STRICTER:
            level = _STRICTER[level]
            why += ", no direct notice (one level stricter)"
    return FdaCheck(level, CHECK_FRACTION[level], why)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The verdict at completion and the figures it rests on."""

    recall_id: str
    verdict: Verdict
    raw_rate: float
    adjusted_rate: float
    target_rate: float
    met_target: bool
    category_percentile: float | None
    reasons: tuple[str, ...]


def evaluate_recall(
    spec: RecallSpec,
    final_report: ProgressReport | None,
    *,
    past_rates: Sequence[float] = (),
    post_recall_ineffective: bool = False,
) -> Evaluation:
    """Effective: adjusted rate ≥ target and no post-recall alarm. Partially effective: below
    target but ≥ half of it or at least the category median. Otherwise ineffective."""
    overall = correction_rates(spec, final_report)[OVERALL]
    achieved = 0.0 if math.isnan(overall.adjusted_rate) else overall.adjusted_rate
    pct = percentile_rank(overall.raw_rate, past_rates)
    met = achieved >= spec.target_rate
    reasons = [f"adjusted rate {achieved:.1%} vs target {spec.target_rate:.0%}"]
    if pct is not None:
        reasons.append(f"raw rate at percentile {pct:.0f} of {len(past_rates)} past recalls")
    if post_recall_ineffective:
        reasons.append("post-recall incidents show the remedy is not working")
        verdict = Verdict.INEFFECTIVE
    elif met:
        verdict = Verdict.EFFECTIVE
    elif achieved >= 0.5 * spec.target_rate or (pct is not None and pct >= 50.0):
        verdict = Verdict.PARTIALLY_EFFECTIVE
    else:
        verdict = Verdict.INEFFECTIVE
    return Evaluation(
        spec.recall_id,
        verdict,
        overall.raw_rate,
        achieved,
        spec.target_rate,
        met,
        pct,
        tuple(reasons),
    )
