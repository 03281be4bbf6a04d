"""Composite product risk score 0–100, with the contribution of every piece of evidence.

Why additive points and not a fitted model: there is no labelled outcome to fit, and a regulator
must see at a glance what drove a score. Each evidence type has a fixed ceiling; the ceilings
sum to 100 and reflect the EU method's priorities (the matrix level and the severity of the worst
case dominate; statistics and sampling add to them):

    severity of the worst case          25   (level / 4 x 25)
    EU matrix risk level                25   (low 0, medium 8, high 16, serious 25)
    temporal signal                     20   (20 x clamp(exceedance / 2); exceedance 1 = at the
                                              threshold, so an alarm alone earns 10)
    disproportionality                  15   (5 per criterion met: PRR/Evans, ROR, IC025)
    sampling failures                   15   (10 per failure with a serious-risk hazard,
                                              3 per other failure)
"""

from dataclasses import dataclass

from recall.domain.risk.detectors.base import Detection
from recall.domain.risk.disproportionality import Disproportionality
from recall.domain.risk.severity import SeverityAssessment
from recall.domain.vocabulary import RiskLevel


@dataclass(frozen=True, slots=True)
class RiskInputs:
    severity: SeverityAssessment | None = None
    risk_level: RiskLevel | None = None
    signal: Detection | None = None
    observed: int | None = None  # the count the signal judged
    disproportionality: Disproportionality | None = None
    serious_sampling_failures: int = 0
    other_sampling_failures: int = 0


@dataclass(frozen=True, slots=True)
class Contribution:
    key: str
    label: str  # "中文 English"
    points: float
    max_points: float
    detail: str


@dataclass(frozen=True, slots=True)
class RiskScore:
    score: float
    contributions: tuple[Contribution, ...]

    def explain(self) -> list[str]:
        """One line per contribution, largest first, for reports and alert texts."""
        ordered = sorted(self.contributions, key=lambda c: -c.points)
        return [f"{c.label}: +{c.points:.1f}/{c.max_points:.0f} ({c.detail})" for c in ordered]


_SEVERITY_LABEL = {
    1: "轻微伤害 minor injury (first aid)",
    2: "中度伤害 moderate injury (emergency care)",
    3: "重度伤害 severe injury (hospitalisation)",
    4: "严重伤害 serious injury (fatal or permanent disability)",
}
_LEVEL_POINTS = {
    RiskLevel.LOW: 0.0,
    RiskLevel.MEDIUM: 8.0,
    RiskLevel.HIGH: 16.0,
    RiskLevel.SERIOUS: 25.0,
}
_LEVEL_LABEL = {
    RiskLevel.LOW: "低风险 low risk",
    RiskLevel.MEDIUM: "中风险 medium risk",
    RiskLevel.HIGH: "高风险 high risk",
    RiskLevel.SERIOUS: "严重风险 serious risk",
}


def _severity(s: SeverityAssessment) -> Contribution:
    return Contribution(
        "severity",
        _SEVERITY_LABEL[s.level],
        s.level / 4 * 25,
        25,
        f"severity {s.level}: {s.reasons[0]}",
    )


def _level(level: RiskLevel) -> Contribution:
    return Contribution(
        "risk_level",
        _LEVEL_LABEL[level],
        _LEVEL_POINTS[level],
        25,
        f"EU risk matrix: {level.value}",
    )


def _signal(d: Detection, observed: int) -> Contribution:
    margin = max(d.threshold - d.expected, 1.0)
    exceedance = (observed - d.expected) / margin
    points = 20 * min(max(exceedance / 2, 0.0), 1.0)
    label = "时间序列信号 temporal signal" if d.alarm else "时间序列无信号 no temporal signal"
    detail = f"observed {observed}, expected {d.expected:.1f}, threshold {d.threshold:.1f}"
    return Contribution("signal", label, points, 20, detail)


def _disproportionality(dp: Disproportionality) -> Contribution:
    met = dp.criteria_met
    detail = (
        f"PRR {dp.prr.prr:.2f} (chi2 {dp.prr.chi2_yates:.1f}), ROR lower "
        f"{dp.ror.lower:.2f}, IC025 {dp.ic.ic025:.2f}; {met}/3 criteria met"
    )
    label = (
        "不成比例报告 disproportionate reporting" if met else "报告比例正常 proportionate reporting"
    )
    return Contribution("disproportionality", label, 5.0 * met, 15, detail)


def _sampling(serious: int, other: int) -> Contribution:
    points = min(15.0, 10.0 * serious + 3.0 * other)
    detail = f"{serious} serious-hazard failure(s), {other} other failure(s)"
    return Contribution("sampling", "抽检不合格 sampling failures", points, 15, detail)


def risk_score(inputs: RiskInputs) -> RiskScore:
    """Score 0–100; evidence that is absent contributes nothing and is not listed."""
    parts: list[Contribution] = []
    if inputs.severity is not None:
        parts.append(_severity(inputs.severity))
    if inputs.risk_level is not None:
        parts.append(_level(inputs.risk_level))
    if inputs.signal is not None and inputs.observed is not None:
        parts.append(_signal(inputs.signal, inputs.observed))
    if inputs.disproportionality is not None:
        parts.append(_disproportionality(inputs.disproportionality))
    if inputs.serious_sampling_failures or inputs.other_sampling_failures:
        parts.append(_sampling(inputs.serious_sampling_failures, inputs.other_sampling_failures))
    total = round(min(100.0, sum(p.points for p in parts)), 1)
    return RiskScore(total, tuple(parts))
