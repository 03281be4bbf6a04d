"""Severity rules of the EU injury table as encoded in severity.py."""

import pytest

from recall.domain.risk.errors import UnknownCodeError
from recall.domain.risk.severity import (
    InjuryFacts,
    SamplingFacts,
    assess_injury,
    assess_sampling,
    hazard_for_mechanism,
)


def injury(
    disposition: str = "treated_released",
    nature: str = "contusion_abrasion",
    part: str = "upper_limb",
    age: int | None = 30,
    mechanism: str = "fall",
) -> InjuryFacts:
    return InjuryFacts(disposition, nature, part, age, mechanism)


@pytest.mark.parametrize(
    ("facts", "level"),
    [
        (injury(), 1),  # bruise, treated and released: first aid
        (injury(nature="laceration", part="hand"), 2),
        (injury(disposition="observed"), 2),
        (injury(disposition="hospitalised"), 3),
        (injury(disposition="transferred"), 3),
        (injury(disposition="died"), 4),
        (injury(nature="fracture", part="upper_limb"), 2),
        (injury(nature="fracture", part="lower_limb"), 3),
        (injury(nature="fracture", part="neck"), 4),
        (injury(nature="amputation", part="hand"), 3),
        (injury(nature="amputation", part="lower_limb"), 4),
        (injury(nature="burn_scald", part="eye"), 3),
        (injury(nature="drowning", mechanism="drowning"), 4),
        (injury(nature="choking_suffocation", age=2, mechanism="choking"), 3),
        (injury(nature="fracture", part="upper_limb", age=85), 3),
        (injury(nature="crush", part="trunk", mechanism="tip_over"), 4),
    ],
)
def test_injury_levels(facts: InjuryFacts, level: int) -> None:
    assert assess_injury(facts).level == level


def test_reasons_name_the_deciding_rule_first() -> None:
    result = assess_injury(injury(nature="fracture", part="lower_limb"))
    assert result.reasons[0].startswith("severity 3: fracture of leg")
    assert any("treated and released" in r for r in result.reasons)


def test_unknown_code_is_refused_with_allowed_values() -> None:
    with pytest.raises(UnknownCodeError, match="hospitalised"):
        assess_injury(injury(disposition="admitted"))


@pytest.mark.parametrize(
    ("hazard", "vulnerable", "level"),
    [
        ("electric_shock", False, 4),
        ("fire", False, 4),
        ("strangulation", True, 4),
        ("choking", False, 3),
        ("choking", True, 4),
        ("chemical", True, 4),
        ("cuts", True, 2),
        ("mechanical", False, 2),
        ("other", False, 1),
    ],
)
def test_sampling_failure_levels(hazard: str, vulnerable: bool, level: int) -> None:
    result = assess_sampling(SamplingFacts(hazard, "GB 6675.2-2014 5.1", True, vulnerable))
    assert result.level == level
    assert "GB 6675.2-2014 5.1" in result.reasons[0]


def test_passed_clause_establishes_no_scenario() -> None:
    result = assess_sampling(SamplingFacts("electric_shock", "GB 4706.1 8.1", False, True))
    assert result.level == 1
    assert "passed" in result.reasons[0]


@pytest.mark.parametrize(
    ("mechanism", "nature", "hazard"),
    [
        ("electric", "burn_scald", "electric_shock"),
        ("hot_object", "burn_scald", "burns"),
        ("caught_in", "crush", "entrapment"),
        ("ingestion", "poisoning", "chemical"),
        ("ingestion", "foreign_body", "choking"),
        ("other", "laceration", "cuts"),
        ("other", "concussion", "other"),
        ("explosion", "burn_scald", "fire"),
    ],
)
def test_hazard_for_mechanism(mechanism: str, nature: str, hazard: str) -> None:
    assert hazard_for_mechanism(mechanism, nature) == hazard
