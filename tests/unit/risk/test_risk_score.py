"""Fused score: points per part, the corroboration rule, ordinary use, ceilings, and parts
that add up."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recall.domain.risk.detectors import Detection
from recall.domain.risk.evidence import DisproportionalityEvidence, TemporalEvidence
from recall.domain.risk.matrix import RiskLevel
from recall.domain.risk.score import (
    MARGINAL_MARGIN,
    PART_KEYS,
    STRONG_MARGIN,
    HazardEvidence,
    RiskInputs,
    failure_strength,
    risk_score,
)
from recall.domain.risk.severity import SeverityAssessment


def _temporal(score: float, alarm: bool, frequency: str = "daily") -> TemporalEvidence:
    return TemporalEvidence(
        "fire", frequency, "harmonic_nb", "2026-11-30", 6, Detection(alarm, 1.0, 4.0, score)
    )


def _dp(met: int, ic025: float, hazard: str = "fire") -> DisproportionalityEvidence:
    return DisproportionalityEvidence(hazard, 8, 2.0, 4.0, 9.0, 1.8, ic025, met, 90)


def test_full_evidence_reaches_100() -> None:
    inputs = RiskInputs(
        severity=SeverityAssessment(4, ("severity 4: disposition: the person died",)),
        risk_level=RiskLevel.SERIOUS,
        hazards=(
            HazardEvidence(
                "fire",
                cases=5,
                max_severity=4,
                failures=1,
                temporal=(_temporal(6.0, True),),
                disproportionality=_dp(3, 2.5),
            ),
        ),
        serious_sampling_failures=2,
    )
    result = risk_score(inputs)
    assert result.score == 100.0
    assert [c.key for c in result.contributions] == list(PART_KEYS)
    assert [c.points for c in result.contributions] == [10.0, 15.0, 20.0, 15.0, 25.0, 15.0]


def test_explanation_is_bilingual_and_ordered() -> None:
    result = risk_score(
        RiskInputs(
            severity=SeverityAssessment(4, ("severity 4: the person died",)),
            risk_level=RiskLevel.MEDIUM,
            hazards=(
                HazardEvidence("fire", cases=3, max_severity=4, disproportionality=_dp(1, 0)),
            ),
        )
    )
    assert result.score == pytest.approx(19.0)
    lines = result.explain()
    assert lines[0].startswith("严重伤害 serious injury")
    assert "+10.0/10" in lines[0]
    assert lines[1].startswith("中风险 medium risk: +5.0/15")


def test_temporal_alarm_at_p_001_earns_half_and_the_strongest_frequency_counts() -> None:
    weak, strong = _temporal(2.0, True, "weekly"), _temporal(3.0, True, "daily")
    result = risk_score(RiskInputs(hazards=(HazardEvidence("fire", temporal=(weak, strong)),)))
    assert result.score == pytest.approx(15.0)
    assert result.contributions[0].label == "时间序列信号 temporal signal"
    assert "daily" in result.contributions[0].detail
    alone = risk_score(RiskInputs(hazards=(HazardEvidence("fire", temporal=(weak,)),)))
    assert alone.score == pytest.approx(10.0)


def test_temporal_without_alarm_earns_at_most_two() -> None:
    quiet = HazardEvidence("fire", temporal=(_temporal(3.9, False),))
    assert risk_score(RiskInputs(hazards=(quiet,))).score == pytest.approx(2.0)


def test_ordinary_use_weighs_a_quarter_of_severity_and_level() -> None:
    """Injuries of a hazard nothing else points at are the background of a product in use:
    the worst case and the matrix level are shown and weigh a quarter."""
    inputs = RiskInputs(
        severity=SeverityAssessment(4, ("severity 4: the person died",)),
        risk_level=RiskLevel.SERIOUS,
        hazards=(HazardEvidence("burns", cases=4, max_severity=4),),
    )
    result = risk_score(inputs)
    assert [c.points for c in result.contributions] == [2.5, 3.8]  # 2.5 and 3.75, rounded
    assert result.score == 6.3
    assert [c.key for c in result.contributions] == ["severity", "risk_level"]
    assert all("ordinary use" in c.detail for c in result.contributions)


@pytest.mark.parametrize(
    "evidence",
    [
        {"failures": 1},
        {"temporal": (_temporal(2.5, True),)},
        {"disproportionality": _dp(1, 0.0, "burns")},
    ],
)
def test_severity_and_level_weigh_for_a_hazard_evidence_points_at(evidence: dict[str, Any]) -> None:
    pointed = HazardEvidence("burns", cases=4, max_severity=3, **evidence)
    other = HazardEvidence("cuts", cases=1, max_severity=4)
    result = risk_score(
        RiskInputs(
            severity=SeverityAssessment(4, ("worst case reported",)),
            risk_level=RiskLevel.HIGH,
            hazards=(pointed, other),
        )
    )
    assert result.points("severity") == 5.0  # the pointed hazard's worst case (3), not 4
    assert result.points("risk_level") == 10.0


def test_a_serious_lab_failure_alone_outranks_every_ordinary_use_product() -> None:
    """35 on its failure day; ordinary use (any severity, level, a quiet temporal judgement)
    tops out at 8.3; beside a failure, unrelated injuries add no severity."""
    lab = risk_score(
        RiskInputs(
            risk_level=RiskLevel.SERIOUS,
            hazards=(HazardEvidence("fire", failures=1),),
            serious_sampling_failures=1,
        )
    )
    assert lab.score == 35.0
    background = HazardEvidence("burns", cases=6, max_severity=4, temporal=(_temporal(9, False),))
    ordinary = RiskInputs(
        severity=SeverityAssessment(4, ("died",)),
        risk_level=RiskLevel.SERIOUS,
        hazards=(background,),
    )
    assert risk_score(ordinary).score == 8.3
    labels = RiskInputs(
        severity=ordinary.severity,
        risk_level=ordinary.risk_level,
        hazards=ordinary.hazards,
        other_sampling_failures=9,
    )
    assert risk_score(labels).score == 33.3 < lab.score  # minor clauses, at their cap
    beside = RiskInputs(
        severity=SeverityAssessment(4, ("died",)),
        risk_level=RiskLevel.SERIOUS,
        hazards=(HazardEvidence("fire", failures=1), background),
        serious_sampling_failures=1,
    )
    beside_score = risk_score(beside)
    assert beside_score.points("severity") == 0.0
    assert beside_score.score == 35.0 + 2.0  # the quiet temporal judgement's 2 points


def test_disproportionality_counts_criteria_and_ic025() -> None:
    one = HazardEvidence("fire", disproportionality=_dp(1, 0.0))
    assert risk_score(RiskInputs(hazards=(one,))).score == pytest.approx(4.0)
    two = HazardEvidence("burns", disproportionality=_dp(2, 1.0, "burns"))
    result = risk_score(RiskInputs(hazards=(one, two)))
    assert result.score == pytest.approx(8.0 + 1.5)  # the strongest hazard only
    none = HazardEvidence("fire", disproportionality=_dp(0, -1.0))
    assert risk_score(RiskInputs(hazards=(none,))).score == 0.0


def test_other_sampling_failures_are_capped() -> None:
    result = risk_score(RiskInputs(other_sampling_failures=9))
    assert result.score == 25.0
    assert risk_score(RiskInputs(other_sampling_failures=1)).score == 5.0
    assert risk_score(RiskInputs(serious_sampling_failures=1)).score == 20.0
    assert result.contributions[0].label == "抽检不合格 sampling failures"


def test_corroboration_needs_a_failure_and_injuries_of_the_same_hazard() -> None:
    failed = HazardEvidence("fire", failures=1)
    injured_elsewhere = HazardEvidence("burns", cases=5)
    apart = risk_score(RiskInputs(hazards=(failed, injured_elsewhere), serious_sampling_failures=1))
    assert [c.key for c in apart.contributions] == ["sampling"]
    same = risk_score(
        RiskInputs(
            hazards=(HazardEvidence("fire", cases=2, failures=1),), serious_sampling_failures=1
        )
    )
    assert same.points("corroboration") == pytest.approx(7.5)
    assert same.score == pytest.approx(27.5)
    one = risk_score(RiskInputs(hazards=(HazardEvidence("fire", cases=1, failures=1),)))
    assert one.points("corroboration") == 0.0  # one injury is within the background rate
    assert [c.key for c in one.contributions] == ["corroboration"]
    full = risk_score(RiskInputs(hazards=(HazardEvidence("fire", cases=9, failures=1),)))
    assert full.points("corroboration") == 15.0


def test_together_count_for_more_than_either() -> None:
    """A lab failure plus injuries of its hazard outscores the failure alone and the injuries
    alone (the same injuries, the same severity)."""
    severity = SeverityAssessment(3, ("severity 3: hospitalised",))
    lab = RiskInputs(hazards=(HazardEvidence("fire", failures=1),), serious_sampling_failures=1)
    injuries = RiskInputs(
        severity=severity, hazards=(HazardEvidence("fire", cases=3, max_severity=3),)
    )
    both = RiskInputs(
        severity=severity,
        hazards=(HazardEvidence("fire", cases=3, max_severity=3, failures=1),),
        serious_sampling_failures=1,
    )
    s_lab, s_inj, s_both = (risk_score(i).score for i in (lab, injuries, both))
    assert s_both > s_lab + s_inj


def test_parts_restricts_to_one_part() -> None:
    inputs = RiskInputs(
        severity=SeverityAssessment(2, ("x",)),
        risk_level=RiskLevel.HIGH,
        serious_sampling_failures=1,
    )
    assert risk_score(inputs, parts={"risk_level"}).score == 10.0
    assert risk_score(inputs).points("risk_level") == 10.0
    assert risk_score(inputs, parts=()).score == 0.0


def test_no_evidence_scores_zero() -> None:
    result = risk_score(RiskInputs())
    assert result.score == 0.0
    assert result.contributions == ()


_hazards = st.builds(
    HazardEvidence,
    hazard=st.sampled_from(["fire", "burns", "cuts"]),
    cases=st.integers(0, 50),
    max_severity=st.integers(0, 4),
    failures=st.integers(0, 5),
    temporal=st.lists(
        st.builds(
            _temporal,
            st.floats(0, 30, allow_nan=False),
            st.booleans(),
            st.sampled_from(["daily", "weekly"]),
        ),
        max_size=2,
    ).map(tuple),
    disproportionality=st.none()
    | st.builds(_dp, st.integers(0, 3), st.floats(-5, 10, allow_nan=False)),
)
_inputs = st.builds(
    RiskInputs,
    severity=st.none() | st.integers(1, 4).map(lambda n: SeverityAssessment(n, ("r",))),
    risk_level=st.none() | st.sampled_from(list(RiskLevel)),
    hazards=st.lists(_hazards, max_size=4).map(tuple),
    serious_sampling_failures=st.integers(0, 6),
    other_sampling_failures=st.integers(0, 6),
    serious_failed_items=st.integers(0, 5),
    serious_failure_margin=st.none() | st.floats(0, 1e6, allow_nan=False),
)


@settings(max_examples=300, deadline=None)
@given(_inputs)
def test_parts_add_up_to_the_score_within_ceilings(inputs: RiskInputs) -> None:
    result = risk_score(inputs)
    total = sum(c.points for c in result.contributions)
    assert round(total, 1) == result.score
    assert abs(total - result.score) < 1e-9
    assert 0.0 <= result.score <= 100.0
    for c in result.contributions:
        assert 0.0 <= c.points <= c.max_points
        assert round(c.points, 1) == c.points
    assert sum(c.max_points for c in result.contributions) <= 100.0
    for key in PART_KEYS:  # each part alone is that part's points in the fused score
        assert risk_score(inputs, parts={key}).score == result.points(key)


@pytest.mark.parametrize(
    ("serious", "items", "margin", "strength"),
    [
        (1, 1, None, "unknown"),  # the lab's text gave no figure
        (1, 0, None, "unknown"),  # older state: items not known
        (1, 1, 0.05, "marginal"),
        (1, 1, MARGINAL_MARGIN, "unknown"),  # 15-50%: neither
        (1, 1, STRONG_MARGIN - 0.01, "unknown"),
        (1, 1, STRONG_MARGIN, "strong"),
        (1, 2, 0.05, "strong"),  # two items failed in one sample
        (2, 1, 0.05, "strong"),  # failed again when re-sampled
    ],
)
def test_failure_strength(serious: int, items: int, margin: float | None, strength: str) -> None:
    assert failure_strength(serious, items, margin) == strength


def _lone_failure(items: int = 1, margin: float | None = None, serious: int = 1) -> RiskInputs:
    return RiskInputs(
        risk_level=RiskLevel.SERIOUS,
        hazards=(HazardEvidence("fire", failures=serious),),
        serious_sampling_failures=serious,
        serious_failed_items=items,
        serious_failure_margin=margin,
    )


def test_a_failure_weighs_by_its_strength() -> None:
    marginal = risk_score(_lone_failure(margin=0.04))
    unknown = risk_score(_lone_failure())
    strong = risk_score(_lone_failure(margin=1.2))
    assert [r.points("sampling") for r in (marginal, unknown, strong)] == [12.0, 20.0, 25.0]
    assert (marginal.score, unknown.score, strong.score) == (27.0, 35.0, 40.0)
    assert "marginal" in marginal.contributions[-1].detail
    assert "4% past the limit" in marginal.contributions[-1].detail
    assert risk_score(_lone_failure(items=2)).points("sampling") == 25.0
    assert risk_score(_lone_failure(serious=2, margin=0.04)).points("sampling") == 25.0


def test_a_marginal_failure_still_outranks_ordinary_use_and_is_outranked_when_backed() -> None:
    ordinary = RiskInputs(
        severity=SeverityAssessment(4, ("died",)),
        risk_level=RiskLevel.SERIOUS,
        hazards=(
            HazardEvidence("burns", cases=1, max_severity=4, temporal=(_temporal(1, False),)),
        ),
    )
    marginal = risk_score(_lone_failure(margin=0.04)).score
    assert risk_score(ordinary).score < marginal
    backed = RiskInputs(
        risk_level=RiskLevel.SERIOUS,
        hazards=(HazardEvidence("fire", cases=2, max_severity=2, failures=1),),
        serious_sampling_failures=1,
        serious_failed_items=1,
        serious_failure_margin=0.04,
    )
    assert marginal < risk_score(backed).score < risk_score(_lone_failure()).score


def test_other_failures_add_to_the_serious_ones_up_to_the_ceiling() -> None:
    inputs = RiskInputs(serious_sampling_failures=1, serious_failed_items=1)
    assert risk_score(inputs).score == 20.0
    with_minor = RiskInputs(serious_sampling_failures=1, other_sampling_failures=1)
    assert risk_score(with_minor).score == 25.0
    marginal = RiskInputs(
        serious_sampling_failures=1, other_sampling_failures=1, serious_failure_margin=0.1
    )
    assert risk_score(marginal).score == 17.0
    strong = RiskInputs(serious_sampling_failures=2, other_sampling_failures=3)
    assert risk_score(strong).score == 25.0
