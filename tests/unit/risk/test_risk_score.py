"""Composite score: points per evidence type and a readable bilingual explanation."""

import pytest

from recall.domain.risk.detectors import Detection
from recall.domain.risk.disproportionality import Table2x2, assess
from recall.domain.risk.matrix import RiskLevel
from recall.domain.risk.score import RiskInputs, risk_score
from recall.domain.risk.severity import SeverityAssessment


def test_full_evidence_reaches_100() -> None:
    inputs = RiskInputs(
        severity=SeverityAssessment(4, ("severity 4: disposition: the person died",)),
        risk_level=RiskLevel.SERIOUS,
        signal=Detection(alarm=True, expected=5.0, threshold=12.0, score=6.0),
        observed=30,  # exceedance (30-5)/(12-5) = 3.6 ≥ 2 → 20 points
        disproportionality=assess(Table2x2(10, 90, 20, 880)),
        serious_sampling_failures=2,
    )
    result = risk_score(inputs)
    assert result.score == 100.0
    assert [c.points for c in result.contributions] == [25.0, 25.0, 20.0, 15.0, 15.0]


def test_explanation_is_bilingual_and_ordered() -> None:
    result = risk_score(
        RiskInputs(
            severity=SeverityAssessment(4, ("severity 4: the person died",)),
            risk_level=RiskLevel.MEDIUM,
        )
    )
    assert result.score == pytest.approx(33.0)
    lines = result.explain()
    assert lines[0].startswith("严重伤害 serious injury")
    assert "+25.0/25" in lines[0]
    assert lines[1].startswith("中风险 medium risk: +8.0/25")


def test_signal_at_threshold_earns_half() -> None:
    signal = Detection(alarm=True, expected=4.0, threshold=10.0, score=2.0)
    result = risk_score(RiskInputs(signal=signal, observed=10))
    assert result.score == pytest.approx(10.0)
    assert result.contributions[0].label == "时间序列信号 temporal signal"


def test_no_evidence_scores_zero() -> None:
    result = risk_score(RiskInputs())
    assert result.score == 0.0
    assert result.contributions == ()


def test_other_sampling_failures_are_capped() -> None:
    result = risk_score(RiskInputs(other_sampling_failures=9))
    assert result.score == 15.0
    assert result.contributions[0].label == "抽检不合格 sampling failures"
