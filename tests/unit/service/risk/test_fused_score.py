"""The live score (`assess`) fuses every piece of evidence the product's state holds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from recall.domain.risk.detectors.base import Detection
from recall.domain.risk.evidence import DisproportionalityEvidence, TemporalEvidence
from recall.domain.risk.severity import SeverityAssessment
from recall.service.risk.assessment import assess
from recall.service.risk.cases import Case
from recall.service.risk.state import ProductRiskState, day_label

PRODUCT = "91140100MA0L2K3M4J/acme/heater-1"
TODAY = 20_000


def _case(n: int, kind: str = "injury_report", level: int = 3, failed: bool = False) -> Case:
    return Case(
        event_id=f"e{n}",
        event_type=kind,
        product_key=PRODUCT,
        category="appliances",
        jurisdiction="140100",
        day=TODAY,
        sent_ts=1.0,
        hazards=("fire",),
        severity=SeverityAssessment(level, ("test",)),
        failed=failed,
    )


def test_temporal_disproportionality_sampling_and_corroboration_reach_the_score() -> None:
    state = ProductRiskState()
    for n in range(3):
        assess(state, [_case(n)], units_in_use=None)
    state.hazard("fire").temporal["weekly"] = TemporalEvidence(
        "fire", "weekly", "harmonic_nb", day_label(TODAY), 3, Detection(True, 0.4, 2.0, 3.0)
    )
    dp = DisproportionalityEvidence("fire", 3, 0.5, 6.0, 5.0, 1.5, 0.8, 3, 90)
    failure = _case(10, "sampling_result", level=4, failed=True)
    result = assess(state, [failure], units_in_use=None, disproportionality={"fire": dp})
    assert result.score is not None
    parts = {c.key: c.points for c in result.score.contributions}
    assert parts["temporal"] == 15.0
    assert parts["disproportionality"] == 13.2  # 3 criteria + 3 x 0.8 / 2
    assert parts["sampling"] == 20.0
    assert parts["corroboration"] == 15.0
    assert parts["severity"] == 5.0  # the worst injury (3): a lab scenario is not an injury
    assert abs(sum(parts.values()) - result.score.score) < 1e-9
    assert len(result.score.explanation) == len(result.score.contributions)


def test_one_moderate_case_scores_nothing_beyond_the_background() -> None:
    state = ProductRiskState()
    result = assess(state, [_case(1, level=2)], units_in_use=None)
    assert result.score is not None
    parts = {c.key: c.points for c in result.score.contributions}
    assert parts.pop("severity") == 0.0  # first aid and emergency care: background
    assert set(parts) <= {"temporal"} and not any(parts.values())  # judged, nothing unusual
    assert result.score.score == 0.0


def test_a_serious_lab_failure_keeps_the_matrix_level_serious() -> None:
    """The level does not fall back to the injury-based one on the next batch."""
    state = ProductRiskState()
    first = assess(state, [_case(1, level=2)], units_in_use=1_000_000)
    assert first.score is not None and first.score.risk_level is not None
    assert first.score.risk_level.value == "low"
    assess(state, [_case(2, "sampling_result", level=4, failed=True)], units_in_use=1_000_000)
    later = assess(state, [_case(3, level=3)], units_in_use=1_000_000)
    assert later.score is not None and later.score.risk_level is not None
    assert later.score.risk_level.value == "serious"


_events = st.lists(
    st.tuples(
        st.sampled_from(["injury_report", "sampling_result"]),
        st.sampled_from(["fire", "burns", "cuts"]),
        st.integers(1, 4),
        st.integers(0, 40),  # day offset
        st.booleans(),  # failed (sampling)
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(_events, st.none() | st.integers(1, 10**6), st.integers(0, 3))
def test_every_live_score_is_the_sum_of_its_listed_parts(
    events: list[tuple[str, str, int, int, bool]], units: int | None, met: int
) -> None:
    state = ProductRiskState()
    dp = {"fire": DisproportionalityEvidence("fire", 4, 1.0, 4.0, 6.0, 1.2, 0.5, met, 90)}
    for n, (kind, hazard, level, offset, failed) in enumerate(events):
        case = Case(
            event_id=f"r{n}",
            event_type=kind,
            product_key=PRODUCT,
            category="appliances",
            jurisdiction="140100",
            day=TODAY - 40 + offset,
            sent_ts=1.0,
            hazards=(hazard,),
            severity=SeverityAssessment(level, ("test",)),
            failed=failed and kind == "sampling_result",
        )
        result = assess(state, [case], units_in_use=units, disproportionality=dp)
        if result.score is None:
            continue
        points = [c.points for c in result.score.contributions]
        assert abs(sum(points) - result.score.score) < 1e-9
        assert len(result.score.explanation) == len(points)
        assert 0.0 <= result.score.score <= 100.0
