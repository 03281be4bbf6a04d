"""GB/T 2260 codes: validation, level, significant prefix, covers() truth table, parents.

Codes used are real divisions from the published GB/T 2260 list (MCA edition): 140000 Shanxi,
140100 Taiyuan, 140105 Xiaodian district, 140200 Datong, 140212 Xinrong district,
110000 Beijing, 110101 Dongcheng, 500000 Chongqing, 500101 Wanzhou, 500229 Chengkou county,
420000 Hubei, 429004 Xiantao (province-administered county-level city).
"""

from __future__ import annotations

import pytest

from recall.domain.errors import DomainError
from recall.domain.jurisdiction import (
    JurisdictionError,
    Level,
    ancestors,
    covers,
    distance,
    is_municipality,
    is_placeholder,
    level,
    parent,
    significant_prefix,
    validate,
)


@pytest.mark.parametrize(
    ("code", "expected_level", "prefix"),
    [
        ("140000", Level.PROVINCE, "14"),
        ("140100", Level.CITY, "1401"),
        ("140105", Level.COUNTY, "140105"),
        ("110000", Level.PROVINCE, "11"),
        ("110101", Level.COUNTY, "110101"),
        ("429004", Level.COUNTY, "429004"),
        ("140110", Level.COUNTY, "140110"),  # trailing zero alone does not make a city
    ],
)
def test_level_and_significant_prefix(code: str, expected_level: Level, prefix: str) -> None:
    assert level(code) is expected_level
    assert significant_prefix(code) == prefix


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "14010",
        "1401050",
        "14O105",
        "000000",
        "001234",
        "140012",
        "１４０１０５",
        " 40105",
        140105,
    ],
)
def test_validate_refuses_malformed_codes(bad: object) -> None:
    with pytest.raises(JurisdictionError) as caught:
        validate(bad)
    assert isinstance(caught.value, DomainError)
    assert isinstance(caught.value, ValueError)


def test_validate_returns_the_code() -> None:
    assert validate("140105") == "140105"


SCOPES = ("140000", "140100", "140105", "140200")
TARGETS = ("140000", "140100", "140105", "140200", "140212", "150105")
# Truth table written by hand from the prefix rule: rows = scope, columns = TARGETS.
COVERS = {
    "140000": (True, True, True, True, True, False),
    "140100": (False, True, True, False, False, False),
    "140105": (False, False, True, False, False, False),
    "140200": (False, False, False, True, True, False),
}


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("index", range(len(TARGETS)))
def test_covers_truth_table(scope: str, index: int) -> None:
    assert covers(scope, TARGETS[index]) is COVERS[scope][index]


@pytest.mark.parametrize(
    ("scope", "target", "expected"),
    [
        ("110000", "110101", True),  # Beijing covers its districts
        ("110101", "110000", False),  # a district does not cover the municipality
        ("110100", "110101", True),  # placeholder grouping still covers by prefix
        ("500000", "500229", True),
        ("420000", "429004", True),
        ("140105", "14010", None),  # malformed target is refused, not answered
    ],
)
def test_covers_special_cases(scope: str, target: str, expected: bool | None) -> None:
    if expected is None:
        with pytest.raises(JurisdictionError):
            covers(scope, target)
    else:
        assert covers(scope, target) is expected


@pytest.mark.parametrize(
    ("code", "expected_parent", "chain"),
    [
        ("140000", None, ()),
        ("140100", "140000", ("140000",)),
        ("140105", "140100", ("140100", "140000")),
        ("110101", "110000", ("110000",)),  # skips the 110100 "市辖区" placeholder
        ("500229", "500000", ("500000",)),  # skips the 500200 "县" placeholder
        ("429004", "420000", ("420000",)),  # skips 429000 province-administered grouping
        ("110100", "110000", ("110000",)),
    ],
)
def test_parent_and_ancestors(
    code: str, expected_parent: str | None, chain: tuple[str, ...]
) -> None:
    assert parent(code) == expected_parent
    assert ancestors(code) == chain


@pytest.mark.parametrize(
    ("code", "municipality", "placeholder"),
    [
        ("110000", True, False),
        ("110100", True, True),
        ("110101", True, False),
        ("120100", True, True),
        ("310100", True, True),
        ("500200", True, True),
        ("140100", False, False),
        ("429000", False, True),
        ("140000", False, False),
    ],
)
def test_municipalities_and_placeholders(code: str, municipality: bool, placeholder: bool) -> None:
    assert is_municipality(code) is municipality
    assert is_placeholder(code) is placeholder


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("140105", "140105", 0),
        ("140105", "140106", 1),
        ("140105", "140100", 1),
        ("140105", "140000", 2),
        ("140105", "140212", 2),
        ("140000", "140100", 2),
        ("140105", "310101", 3),
    ],
)
def test_distance(a: str, b: str, expected: int) -> None:
    assert distance(a, b) == expected
    assert distance(b, a) == expected
