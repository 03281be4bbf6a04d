"""The risk use case on synthetic cases: which signals are raised, once, and why."""

from __future__ import annotations

from recall.domain.risk.severity import SeverityAssessment
from recall.service.risk.assessment import assess
from recall.service.risk.cases import Case
from recall.service.risk.state import ProductRiskState, monday_of, week_of

PRODUCT = "91140100MA0L2K3M4J/acme/k-1"
TODAY = 20_000


def _case(
    n: int,
    day: int,
    level: int = 2,
    hazard: str = "burns",
    kind: str = "injury_report",
    failed: bool = False,
    fatal: bool = False,
) -> Case:
    return Case(
        event_id=f"e{n}-{day}-{hazard}",
        event_type=kind,
        product_key=PRODUCT,
        category="appliances",
        jurisdiction="140100",
        day=day,
        sent_ts=1.0,
        hazards=(hazard,),
        severity=SeverityAssessment(level, ("test",)),
        failed=failed,
        fatal=fatal,
    )


def _history(days: int = 60, every: int = 4) -> list[Case]:
    """A quiet baseline: one moderate case every `every` days."""
    return [_case(d, TODAY - days + d) for d in range(0, days, every)]


def _run(state: ProductRiskState, cases: list[Case]) -> list[str]:
    signals = []
    for case in cases:  # one case per batch, as a trickle would arrive
        signals += [s.method for s in assess(state, [case], units_in_use=None).signals]
    return signals


def test_quiet_product_raises_nothing() -> None:
    assert _run(ProductRiskState(), _history()) == []


def test_spike_after_quiet_history_raises_one_live_signal() -> None:
    state = ProductRiskState()
    _run(state, _history())
    spike = [_case(100 + i, TODAY) for i in range(6)]
    result = assess(state, spike, units_in_use=None)
    assert [s.method for s in result.signals] == ["live_nb"]
    signal = result.signals[0]
    assert signal.observed == 6
    assert signal.expected < 1.0 < signal.threshold < 6
    assert "6 cases" in signal.explanation[0]
    more = assess(state, [_case(200, TODAY)], units_in_use=None)
    assert more.signals == [], "the same product, hazard and day is signalled once"


def test_replayed_cases_change_nothing() -> None:
    state = ProductRiskState()
    _run(state, _history())
    spike = [_case(100 + i, TODAY) for i in range(6)]
    assess(state, spike, units_in_use=None)
    before = state.to_bytes()
    replay = assess(state, spike, units_in_use=None)
    assert replay.replayed == 6 and replay.signals == []
    assert state.to_bytes() == before


def test_severe_cluster_needs_no_history() -> None:
    state = ProductRiskState()
    methods = _run(state, [_case(i, TODAY - i, level=3) for i in range(3)])
    assert methods == ["severe_cluster"]


def test_a_death_raises_a_fatal_case_signal() -> None:
    assert _run(ProductRiskState(), [_case(1, TODAY, level=4, fatal=True)]) == ["fatal_case"]


def test_a_lasting_disability_alone_is_not_a_fatal_case() -> None:
    assert _run(ProductRiskState(), [_case(1, TODAY, level=4)]) == []


def test_serious_sampling_failure_signals_at_once_minor_does_not() -> None:
    serious = _case(1, TODAY, level=3, kind="sampling_result", failed=True, hazard="electric_shock")
    minor = _case(2, TODAY, level=2, kind="sampling_result", failed=True, hazard="mechanical")
    passed = _case(3, TODAY, level=1, kind="sampling_result", failed=False, hazard="mechanical")
    state = ProductRiskState()
    assert _run(state, [serious, minor, passed]) == ["sampling_failure"]
    assert (state.serious_failures, state.other_failures) == (1, 1)


def test_late_event_lands_in_its_own_day() -> None:
    state = ProductRiskState()
    assess(state, [_case(1, TODAY)], units_in_use=None)
    assess(state, [_case(2, TODAY - 3)], units_in_use=None)  # 3 days late: still open
    assert state.hazards["burns"].daily.open == {TODAY: 1, TODAY - 3: 1}


def test_state_round_trips_through_bytes() -> None:
    state = ProductRiskState()
    _run(state, [*_history(), _case(999, TODAY, level=4, fatal=True)])
    again = ProductRiskState.from_bytes(state.to_bytes())
    assert again.to_bytes() == state.to_bytes()
    assert again.hazards["burns"].daily == state.hazards["burns"].daily


def test_score_rises_with_severity_and_is_explained() -> None:
    state = ProductRiskState()
    first = assess(state, [_case(1, TODAY, level=2)], units_in_use=10_000).score
    second = assess(state, [_case(2, TODAY, level=4)], units_in_use=10_000).score
    assert first is not None and second is not None
    assert second.score > first.score
    assert any("serious" in line or "严重" in line for line in second.explanation)


def test_excess_spread_thin_over_a_week_is_signalled_by_the_weekly_series() -> None:
    """One case a week for 20 weeks, then one a day for a week: no day reaches the floor of
    three, the week does."""
    state = ProductRiskState()
    monday = monday_of(week_of(TODAY))
    _run(state, [_case(w, monday - 7 * (20 - w)) for w in range(20)])
    spread = _run(state, [_case(500 + d, monday + d) for d in range(7)])
    assert spread == ["live_nb"]
    weekly = state.hazards["burns"].temporal["weekly"]
    assert weekly.detector == "live_nb" and weekly.detection.alarm and weekly.observed == 7
    assert state.hazards["burns"].temporal["daily"].detection.alarm is False


def test_a_week_whose_day_was_signalled_is_not_signalled_again() -> None:
    state = ProductRiskState()
    _run(state, _history())
    result = assess(state, [_case(100 + i, TODAY) for i in range(6)], units_in_use=None)
    assert [(s.method, s.window) for s in result.signals] == [("live_nb", "1 day")]
    assert state.hazards["burns"].temporal["weekly"].detection.alarm, "the week alarmed too"


def test_a_product_with_a_year_of_history_is_judged_by_the_harmonic_method() -> None:
    state = ProductRiskState()
    days = 400
    _run(state, [_case(d, TODAY - days + d) for d in range(0, days, 3)])
    result = assess(state, [_case(900 + i, TODAY) for i in range(5)], units_in_use=None)
    assert [s.method for s in result.signals] == ["harmonic_nb"]
    assert state.hazards["burns"].temporal["daily"].detector == "harmonic_nb"


def test_an_alarm_stands_in_the_score_after_a_quieter_day() -> None:
    state = ProductRiskState()
    _run(state, _history())
    assess(state, [_case(100 + i, TODAY) for i in range(6)], units_in_use=None)
    assess(state, [_case(300 + i, TODAY + 2) for i in range(3)], units_in_use=None)
    daily = state.hazards["burns"].temporal["daily"]
    assert daily.detection.alarm and daily.observed == 6, "the spike, not the quieter day"
    assess(state, [_case(400 + i, TODAY + 40) for i in range(3)], units_in_use=None)
    later = state.hazards["burns"].temporal["daily"]
    assert later.observed == 3, "four weeks on, the latest judgement again"
