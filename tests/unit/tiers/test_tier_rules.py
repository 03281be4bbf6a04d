"""The tier rules, one by one, and escalation timing against a test clock (pure domain)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recall.domain.jurisdiction import Level
from recall.domain.tiers import (
    Deadlines,
    Rule,
    TierError,
    TierFacts,
    TierRules,
    area_at,
    assign,
    earliest_escalation,
    escalations,
    reassess,
)
from recall.domain.vocabulary import RiskLevel
from recall.service.tiers.rules import DEFAULT_RULES_PATH, TierRulesError, default_rules, load_rules

RULES = default_rules()
COUNTY, SISTER, OTHER_CITY_COUNTY = "140105", "140106", "140202"
T0 = datetime(2024, 3, 1, 9, tzinfo=UTC)


def test_default_is_the_county_where_the_evidence_arose() -> None:
    decided = assign(TierFacts(region=COUNTY, risk_level=RiskLevel.HIGH), RULES)
    assert (decided.owner, decided.tier, decided.rule) == (COUNTY, Level.COUNTY, Rule.DEFAULT)
    assert "default" in decided.reason and "证据发生地" in decided.reason


def test_serious_risk_goes_at_least_to_the_city() -> None:
    decided = assign(TierFacts(region=COUNTY, risk_level=RiskLevel.SERIOUS), RULES)
    assert (decided.owner, decided.rule) == ("140100", Rule.SEVERITY)
    assert "serious" in decided.reason


def test_a_death_goes_at_least_to_the_city_whatever_the_risk_level() -> None:
    decided = assign(TierFacts(region=COUNTY, risk_level=RiskLevel.LOW, fatal=True), RULES)
    assert (decided.owner, decided.rule) == ("140100", Rule.SEVERITY)
    assert "死亡" in decided.reason and "fatal" in decided.reason


def test_one_county_alone_stays_at_the_county() -> None:
    decided = assign(TierFacts(region=COUNTY, regions=frozenset({COUNTY})), RULES)
    assert decided.owner == COUNTY


def test_two_counties_of_one_city_go_to_the_city() -> None:
    decided = assign(TierFacts(region=COUNTY, regions=frozenset({COUNTY, SISTER})), RULES)
    assert (decided.owner, decided.rule) == ("140100", Rule.REGIONS)
    assert "2 counties" in decided.reason


def test_two_cities_go_to_the_province() -> None:
    decided = assign(TierFacts(region=COUNTY, regions=frozenset({OTHER_CITY_COUNTY})), RULES)
    assert (decided.owner, decided.tier, decided.rule) == ("140000", Level.PROVINCE, Rule.REGIONS)
    assert "2 cities" in decided.reason


def test_regions_outrank_severity_when_they_reach_higher() -> None:
    facts = TierFacts(
        region=COUNTY, risk_level=RiskLevel.SERIOUS, regions=frozenset({OTHER_CITY_COUNTY})
    )
    decided = assign(facts, RULES)
    assert (decided.owner, decided.rule) == ("140000", Rule.REGIONS)
    assert "serious" in decided.reason  # the other rule that applied is still named


def test_the_firms_home_county_supervises_its_own_firm() -> None:
    decided = assign(TierFacts(region=COUNTY, firm_home=COUNTY), RULES)
    assert decided.owner == COUNTY


def test_a_firm_home_at_the_city_takes_the_case_from_its_county() -> None:
    decided = assign(TierFacts(region=COUNTY, firm_home="140100"), RULES)
    assert (decided.owner, decided.rule) == ("140100", Rule.FIRM_HOME)
    assert "firm's home" in decided.reason


def test_firm_home_and_evidence_in_different_counties_go_to_their_city() -> None:
    decided = assign(TierFacts(region=COUNTY, firm_home=SISTER), RULES)
    assert (decided.owner, decided.rule) == ("140100", Rule.FIRM_HOME)


def test_firm_home_in_another_city_goes_to_the_province() -> None:
    decided = assign(TierFacts(region=COUNTY, firm_home=OTHER_CITY_COUNTY), RULES)
    assert (decided.owner, decided.rule) == ("140000", Rule.FIRM_HOME)


def test_a_firm_from_another_province_moves_nothing_but_is_named() -> None:
    decided = assign(TierFacts(region=COUNTY, firm_home="320505"), RULES)
    assert decided.owner == COUNTY
    assert "320505" in decided.reason and "notify" in decided.reason


def test_firm_home_rule_can_be_switched_off() -> None:
    rules = TierRules(firm_home=None)
    assert assign(TierFacts(region=COUNTY, firm_home=OTHER_CITY_COUNTY), rules).owner == COUNTY


def test_a_municipality_district_has_no_city_so_the_city_tier_is_the_municipality() -> None:
    assert area_at("110101", Level.CITY) == "110000"
    decided = assign(TierFacts(region="110101", regions=frozenset({"110102"})), RULES)
    assert decided.owner == "110000"


def test_reassess_moves_up_when_a_signal_spans_two_cities_and_never_down() -> None:
    spread = TierFacts(region=COUNTY, regions=frozenset({COUNTY, OTHER_CITY_COUNTY}))
    up = reassess(COUNTY, spread, RULES)
    assert up is not None and (up.owner, up.rule) == ("140000", Rule.REGIONS)
    assert reassess("140000", spread, RULES) is None  # already there
    assert reassess("140000", TierFacts(region=COUNTY), RULES) is None  # never down


def test_due_exactly_at_the_deadline_not_before() -> None:
    deadline = T0 + timedelta(days=7)  # the default county "opened" deadline
    assert escalations(COUNTY, "opened", T0, deadline - timedelta(microseconds=1), RULES) == ()
    moves = escalations(COUNTY, "opened", T0, deadline, RULES)
    assert [(m.from_owner, m.to_owner, m.at, m.rule) for m in moves] == [
        (COUNTY, "140100", deadline, Rule.DEADLINE)
    ]
    assert "7 days" in moves[0].reason and "未指派" in moves[0].reason


def test_a_late_tick_catches_up_with_every_deadline_in_order() -> None:
    moves = escalations(COUNTY, "assigned", T0, T0 + timedelta(days=400), RULES)
    assert [(m.to_owner, m.at) for m in moves] == [
        ("140100", T0 + timedelta(days=30)),
        ("140000", T0 + timedelta(days=30 + 45)),
    ]  # and no further: the province has no parent


def test_a_tier_without_a_deadline_never_escalates() -> None:
    rules = TierRules(deadlines={Level.COUNTY: Deadlines(opened=None, assigned=3)})
    assert escalations(COUNTY, "opened", T0, T0 + timedelta(days=999), rules) == ()


@given(
    owner=st.sampled_from([COUNTY, "140100", "140000", "110101", "110000"]),
    state=st.sampled_from(["opened", "assigned", "concluded"]),
    owned_hours=st.integers(0, 24 * 400),
    entered_hours=st.integers(0, 24 * 400),
    now_hours=st.integers(0, 24 * 800),
)
def test_no_escalation_comes_before_the_earliest_bound(
    owner: str, state: str, owned_hours: int, entered_hours: int, now_hours: int
) -> None:
    """The timer skips an investigation before `earliest_escalation`: that must never hide a
    move `escalations` would make, whatever the state and when it was entered."""
    owned_since = T0 + timedelta(hours=owned_hours)
    waiting_since = max(owned_since, T0 + timedelta(hours=entered_hours))
    now = T0 + timedelta(hours=now_hours)
    moves = escalations(owner, state, waiting_since, now, RULES)
    earliest = earliest_escalation(owner, owned_since, RULES)
    if moves:
        assert earliest is not None and now >= earliest


def test_the_earliest_bound_is_the_shortest_deadline_at_the_owners_tier() -> None:
    assert earliest_escalation(COUNTY, T0, RULES) == T0 + timedelta(days=7)  # opened: 7 days
    assert earliest_escalation("140000", T0, RULES) is None  # the province has no tier above
    rules = TierRules(deadlines={Level.COUNTY: Deadlines(opened=None, assigned=3)})
    assert earliest_escalation(COUNTY, T0, rules) == T0 + timedelta(days=3)
    assert earliest_escalation("140100", T0, rules) is None  # no deadline at the city


def test_naive_times_are_refused() -> None:
    with pytest.raises(TierError, match="timezone-aware"):
        escalations(COUNTY, "opened", T0.replace(tzinfo=None), T0, RULES)


def test_the_shipped_file_is_the_documented_default() -> None:
    data = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    assert data["severity"] == {"serious": "city"} and data["fatal"] == "city"
    assert RULES.deadlines[Level.COUNTY] == Deadlines(opened=7, assigned=30)


def test_an_override_file_replaces_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"severity": {"high": "province"}, "fatal": None}))
    rules = load_rules(path)
    assert assign(TierFacts(region=COUNTY, risk_level=RiskLevel.HIGH), rules).owner == "140000"
    assert assign(TierFacts(region=COUNTY, fatal=True), rules).owner == COUNTY


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('{"severity": {"serious": "nation"}}', "severity"),
        ('{"regions": {"counties_for_city": 1}}', "counties_for_city"),
        ('{"deadlines": {"county": {"opened": 0}}}', "opened"),
        ('{"sevirity": {}}', "sevirity"),
        ("not json", "invalid"),
    ],
)
def test_a_bad_rules_file_is_refused_naming_the_field(
    tmp_path: Path, content: str, named: str
) -> None:
    path = tmp_path / "rules.json"
    path.write_text(content)
    with pytest.raises(TierRulesError, match=named):
        load_rules(path)


def test_a_missing_rules_file_says_which_setting_to_fix(tmp_path: Path) -> None:
    with pytest.raises(TierRulesError, match="RECALL_TIER_RULES_PATH"):
        load_rules(tmp_path / "absent.json")
