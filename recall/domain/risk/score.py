"""Composite product risk score 0–100, fusing every piece of evidence, each part explained.

Why additive points and not a fitted model: there is no labelled outcome to fit, and a regulator
must see at a glance what drove a score. The points are a weight-of-evidence sum: each part is
a capped weight for how much more likely its evidence is under a defect than under ordinary use
(independent evidence adds in log-odds), with fixed ceilings that sum to 100. Evidence that
tells a defect from ordinary use weighs most; what every product that hurts someone has — the
severity of its worst case — weighs least, and only from hospitalisation up:

    sampling failures                   25   (failures with a serious-risk scenario by their
                                              strength: 25 strong — failed again on re-sampling,
                                              2+ items, or 50%+ past the limit; 12 marginal —
                                              once, one item, < 15% past it; 20 when the margin
                                              is unknown; plus 5 per other failure)
    temporal detection                  20   (strongest frequency and hazard:
                                              20 x clamp(-log10 p / 4); an alarm at p = 0.01
                                              earns 10, p = 1e-4 earns 20; no alarm at most 2)
    disproportionality                  15   (strongest hazard: 4 per criterion met —
                                              PRR/Evans, ROR, IC025 — plus 3 x clamp(IC025 / 2)
                                              when one is met)
    corroboration                       15   (a serious lab failure and injury reports of the
                                              SAME hazard: 15 x min(1, (injuries - 1) / 2):
                                              one injury 0, two 7.5, three 15)
    EU matrix risk level (probability)  15   (low 0, medium 5, high 10, serious 15 when
                                              evidence points at a defect; a quarter if not)
    severity of the worst case          10   (level 1-2 0, level 3 5, level 4 10, of the
                                              hazards evidence points at; a quarter of the
                                              worst case's if nothing points at any)

Severity and the matrix level say how bad a defect would be, not whether there is one: every
product that is used hurts someone now and then, at every severity. So they weigh in full only
for a hazard that other evidence points at — a serious lab failure, a temporal alarm, or at
least one disproportionality criterion met (a corroborated hazard has its failure). When
something points at one hazard, the injuries of the others are ordinary use and their severity
adds nothing (a false lab failure beside an unrelated hospitalisation must not outrank a lone
failure). When nothing points at any hazard ("ordinary use"), severity and level keep a
quarter of their points, so a death still lifts a product above its quiet peers, but no such
product passes 8.3 (2.5 + 3.8 + a sub-alarm temporal 2), nor 33.3 with minor-clause failures:
a serious lab failure alone (20 + the matrix level serious 15 = 35; 27 when marginal) outranks
every one on its failure day, and a failure with
injuries of its own hazard, or an injury cluster with an alarm or disproportionate reporting
(its severity and level then count in full), outranks a lone failure.

The corroboration rule: a purchase-sampling failure and injury reports are independent routes
to the same defect (a lab does not know who was hurt; the injured did not read the lab report),
so when they name the same hazard on the same product their likelihood ratios multiply — they
add in log-odds, and the pair also rules out the most common innocent explanation of each
alone (a borderline batch that failed once; a product that hurts people in ordinary use at its
background rate). The other parts are product-wide and would add a lab failure on one hazard to
injuries of another; this part rewards only the hazard-matched pair, growing with the injuries
that back the failure from the second on (one injury of the failed hazard is within the
background rate of a product in use, so it rules out nothing; three are as many as the cluster
rules ask for). So a failure with three
injuries of its hazard earns 20 + 15 more than the injuries alone, and more than either alone.

The strength rule: a lone serious failure is what a defect's first lab failure and a sound
product's borderline batch (or a lab error) both look like, so a failure earns by how much it
says. Failing again when re-sampled, failing several items, or missing the limit by half of it
is rare for a sound product (strong: 25); one item a few percent past the limit is what a
borderline batch does (marginal: 12, so injuries of another product outrank it); when the
lab's figures cannot be read the failure keeps the 20 it always had (unknown evidence weighs
as unknown). docs/risk-model.md §5 gives the numbers behind the thresholds.

Points are computed in tenths and each part is rounded there, so the parts of an explanation
add up exactly to the score (no part exceeds its ceiling, the ceilings sum to 100).
`recall bench fusion` measures the rule against each part alone (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from recall.domain.risk.evidence import DisproportionalityEvidence, TemporalEvidence
from recall.domain.risk.severity import SeverityAssessment
from recall.domain.vocabulary import RiskLevel

PART_KEYS = (
    "severity",
    "risk_level",
    "temporal",
    "disproportionality",
    "sampling",
    "corroboration",
)
"""Every part the score can have, in the order the contributions are listed."""

CEILINGS = {
    "severity": 10,
    "risk_level": 15,
    "temporal": 20,
    "disproportionality": 15,
    "sampling": 25,
    "corroboration": 15,
}
"""Most points each part can earn; they sum to 100."""

CORROBORATING_CASES = 3
"""Injury reports of a failed hazard that earn the full corroboration points; the first earns
none (one injury of a hazard is within the background rate of a product in use)."""

ORDINARY_USE_SHARE = 0.25
"""Share of the severity and matrix-level points a product earns when no evidence (lab
failure, temporal alarm, disproportionality criterion) points at any of its hazards."""


@dataclass(frozen=True, slots=True)
class HazardEvidence:
    """What is known about one hazard of the product: its injuries, lab failures and tests."""

    hazard: str
    cases: int = 0  # injury reports of this hazard
    max_severity: int = 0  # the worst injury of this hazard (1-4; 0 when none)
    failures: int = 0  # failed sampling results with a serious-risk scenario of this hazard
    temporal: tuple[TemporalEvidence, ...] = ()  # latest judgement per frequency
    disproportionality: DisproportionalityEvidence | None = None


@dataclass(frozen=True, slots=True)
class RiskInputs:
    severity: SeverityAssessment | None = None
    risk_level: RiskLevel | None = None
    hazards: tuple[HazardEvidence, ...] = ()
    serious_sampling_failures: int = 0  # failed samples naming a serious-risk scenario
    other_sampling_failures: int = 0
    serious_failed_items: int = 0  # most items failed in one such sample (0: not known)
    serious_failure_margin: float | None = None  # largest margin past a limit, where readable


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

    def points(self, key: str) -> float:
        """The points of one part (0 when it is absent): the score restricted to that part."""
        return sum(c.points for c in self.contributions if c.key == key)


_SEVERITY_LABEL = {
    1: "轻微伤害 minor injury (first aid)",
    2: "中度伤害 moderate injury (emergency care)",
    3: "重度伤害 severe injury (hospitalisation)",
    4: "严重伤害 serious injury (fatal or permanent disability)",
}
_LEVEL_SHARE = {
    RiskLevel.LOW: 0.0,
    RiskLevel.MEDIUM: 1 / 3,
    RiskLevel.HIGH: 2 / 3,
    RiskLevel.SERIOUS: 1.0,
}
_LEVEL_LABEL = {
    RiskLevel.LOW: "低风险 low risk",
    RiskLevel.MEDIUM: "中风险 medium risk",
    RiskLevel.HIGH: "高风险 high risk",
    RiskLevel.SERIOUS: "严重风险 serious risk",
}


def _clamp(x: float) -> float:
    return min(max(x, 0.0), 1.0)


def _part(key: str, label: str, share: float, detail: str) -> Contribution:
    """The part earning `share` (0–1) of its ceiling, rounded to a tenth of a point."""
    ceiling = CEILINGS[key]
    tenths = min(max(round(share * ceiling * 10), 0), ceiling * 10)
    return Contribution(key, label, tenths / 10, float(ceiling), detail)


_ORDINARY_USE = "ordinary use: no lab failure, alarm or disproportionality points at a hazard"


def points_at_defect(h: HazardEvidence) -> bool:
    """Whether evidence other than the injuries themselves points at this hazard: a serious
    lab failure, a temporal alarm, or a disproportionality criterion met."""
    dp = h.disproportionality
    return bool(
        h.failures
        or any(t.detection.alarm for t in h.temporal)
        or (dp is not None and dp.criteria_met > 0)
    )


def _severity(s: SeverityAssessment, pointed: Sequence[HazardEvidence]) -> Contribution:
    """Only what is rare without a defect earns points: hospitalisation (3) and death or
    lasting disability (4). When evidence points at some hazards (`pointed`), only their worst
    case counts: a bad case of another hazard is the background of a product in use. When
    nothing points at any, the worst case earns `ORDINARY_USE_SHARE` of its points. First aid
    and emergency care (1-2) earn nothing. The label keeps the product's worst case."""
    if not pointed:
        detail = f"severity {s.level}: {s.reasons[0]}; {_ORDINARY_USE}"
        share = ORDINARY_USE_SHARE * max(0, s.level - 2) / 2
        return _part("severity", _SEVERITY_LABEL[s.level], share, detail)
    level = max(h.max_severity for h in pointed)
    names = ", ".join(h.hazard for h in pointed)
    detail = f"severity {s.level}: {s.reasons[0]}; worst case of {names}: {level or 'none'}"
    return _part("severity", _SEVERITY_LABEL[s.level], max(0, level - 2) / 2, detail)


def _level(level: RiskLevel, pointed: bool) -> Contribution:
    """The matrix level weighs in full only when evidence points at a defect (see
    `_severity`); otherwise `ORDINARY_USE_SHARE` of it."""
    detail = f"EU risk matrix: {level.value}" + ("" if pointed else f"; {_ORDINARY_USE}")
    share = _LEVEL_SHARE[level] * (1.0 if pointed else ORDINARY_USE_SHARE)
    return _part("risk_level", _LEVEL_LABEL[level], share, detail)


def _temporal(evidence: Sequence[TemporalEvidence]) -> Contribution:
    """The strongest judgement (largest -log10 p) over hazards and frequencies."""
    best = max(evidence, key=lambda t: (t.detection.alarm, t.detection.score))
    d = best.detection
    share = _clamp(d.score / 4)
    if not d.alarm:
        share = min(share, 0.1)
    label = "时间序列信号 temporal signal" if d.alarm else "时间序列无信号 no temporal signal"
    detail = (
        f"{best.hazard} {best.frequency} {best.period}: observed {best.observed}, expected "
        f"{d.expected:.1f}, -log10 p {d.score:.1f} ({best.detector})"
    )
    return _part("temporal", label, share, detail)


def _disproportionality(evidence: Sequence[DisproportionalityEvidence]) -> Contribution:
    dp = max(evidence, key=lambda e: (e.criteria_met, e.ic025))
    met = dp.criteria_met
    share = 0.8 * met / 3 + (0.2 * _clamp(dp.ic025 / 2) if met else 0.0)
    detail = (
        f"{dp.hazard}: {dp.a} reports vs {dp.expected:.1f} expected over {dp.window_days} days; "
        f"PRR {dp.prr:.2f} (chi2 {dp.chi2_yates:.1f}), ROR lower {dp.ror_lower:.2f}, "
        f"IC025 {dp.ic025:.2f}; {met}/3 criteria met"
    )
    label = (
        "不成比例报告 disproportionate reporting" if met else "报告比例正常 proportionate reporting"
    )
    return _part("disproportionality", label, share, detail)


MARGINAL_MARGIN = 0.15
"""A lone serious failure whose measured value is less than this far past its limit (15%) is
marginal: what a borderline batch or a lab's measurement error looks like."""

STRONG_MARGIN = 0.5
"""A serious failure this far past its limit (50%) or more is strong: a sound product's batch
rarely misses a safety limit by half of it."""

FAILURE_POINTS = {"strong": 25.0, "unknown": 20.0, "marginal": 12.0}
"""Points of the serious failures by their strength (`failure_strength`); 5 per other failure
is added, up to the part's 25."""


def failure_strength(serious: int, items: int, margin: float | None) -> str:
    """How strongly the serious failures of a product point at a defect rather than a
    borderline batch: "strong" when the product failed in two samples or more (it failed
    again when re-sampled), or failed two items or more in one sample, or failed by
    `STRONG_MARGIN` or more; "marginal" when it failed once, one item, and that item's
    measured value lies less than `MARGINAL_MARGIN` past its limit; otherwise (including a
    margin the lab's text does not give: `recall.domain.risk.margin`) "unknown", which earns
    what any serious failure earned before the margin was read."""
    if serious >= 2 or items >= 2 or (margin is not None and margin >= STRONG_MARGIN):
        return "strong"
    if margin is not None and margin < MARGINAL_MARGIN:
        return "marginal"
    return "unknown"


def _sampling(serious: int, other: int, items: int, margin: float | None) -> Contribution:
    strength = failure_strength(serious, items, margin) if serious else ""
    points = FAILURE_POINTS[strength] if serious else 0.0
    share = (points + 5.0 * other) / CEILINGS["sampling"]
    shown = "unknown" if margin is None else f"{margin:.0%} past the limit"
    detail = f"{serious} serious-hazard failure(s), {other} other failure(s)"
    if serious:
        detail += f"; {strength}: up to {max(items, 1)} item(s) failed in a sample, margin {shown}"
    return _part("sampling", "抽检不合格 sampling failures", share, detail)


def _corroboration(hazards: Sequence[HazardEvidence]) -> Contribution:
    best = max(hazards, key=lambda h: min(h.cases, CORROBORATING_CASES))
    share = min(1.0, (best.cases - 1) / (CORROBORATING_CASES - 1))
    detail = (
        f"{best.hazard}: {best.failures} serious lab failure(s) and {best.cases} injury "
        f"report(s) of the same hazard (independent sources; the first report earns nothing, "
        f"full weight at {CORROBORATING_CASES})"
    )
    label = "抽检与伤害互证 lab failure + injuries"
    return _part("corroboration", label, share, detail)


def risk_score(inputs: RiskInputs, parts: Collection[str] | None = None) -> RiskScore:
    """Score 0–100; evidence that is absent contributes nothing and is not listed.

    `parts` restricts the score to those keys of `PART_KEYS` (the benchmark compares the fused
    score with each part alone through this same function); None means all.
    """
    wanted = set(PART_KEYS if parts is None else parts)
    out: list[Contribution] = []
    pointed = [h for h in inputs.hazards if points_at_defect(h)]
    if "severity" in wanted and inputs.severity is not None:
        out.append(_severity(inputs.severity, pointed))
    if "risk_level" in wanted and inputs.risk_level is not None:
        out.append(_level(inputs.risk_level, bool(pointed or inputs.serious_sampling_failures)))
    temporal = [t for h in inputs.hazards for t in h.temporal]
    if "temporal" in wanted and temporal:
        out.append(_temporal(temporal))
    dps = [h.disproportionality for h in inputs.hazards if h.disproportionality is not None]
    if "disproportionality" in wanted and dps:
        out.append(_disproportionality(dps))
    serious, other = inputs.serious_sampling_failures, inputs.other_sampling_failures
    if "sampling" in wanted and (serious or other):
        items, margin = inputs.serious_failed_items, inputs.serious_failure_margin
        out.append(_sampling(serious, other, items, margin))
    matched = [h for h in inputs.hazards if h.failures and h.cases]
    if "corroboration" in wanted and matched:
        out.append(_corroboration(matched))
    return RiskScore(sum(round(c.points * 10) for c in out) / 10, tuple(out))
