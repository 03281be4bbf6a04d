"""Roles and scopes (recall.domain.access): who sees what, pure and exhaustive."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recall.domain.access import (
    AccessError,
    Decision,
    Principal,
    Role,
    Scoped,
    can_see,
    decide,
    region_prefix,
)

PROVINCE, CITY, COUNTY = "330000", "330100", "330106"
OTHER_CITY, OTHER_PROVINCE = "330200", "440100"


def regulator(region: str) -> Principal:
    return Principal("acc-r", Role.REGULATOR, region=region)


@pytest.mark.parametrize(
    ("scope", "target", "seen"),
    [
        (PROVINCE, COUNTY, True),
        (PROVINCE, OTHER_CITY, True),
        (PROVINCE, OTHER_PROVINCE, False),
        (CITY, COUNTY, True),
        (CITY, CITY, True),
        (CITY, OTHER_CITY, False),
        (CITY, PROVINCE, False),  # a city does not see its province's own objects
        (COUNTY, COUNTY, True),
        (COUNTY, CITY, False),
    ],
)
def test_a_regulator_sees_its_area_and_below(scope: str, target: str, seen: bool) -> None:
    assert can_see(regulator(scope), Scoped(region=target)) is seen


def test_objects_without_a_region_are_seen_by_no_regulator() -> None:
    assert not can_see(regulator(PROVINCE), Scoped(region=None))


def test_owners_see_their_own_objects_whatever_the_region() -> None:
    station = Principal("acc-s", Role.STATION, station_id="ST-1")
    firm = Principal("acc-f", Role.FIRM, manufacturer_code="91330100MA2XXXXX1X")
    expert = Principal("acc-e", Role.EXPERT, expert_id="EX-7")
    assert can_see(station, Scoped(region=OTHER_PROVINCE, station_id="ST-1"))
    assert not can_see(station, Scoped(region=CITY, station_id="ST-2"))
    assert can_see(firm, Scoped(region=CITY, manufacturer_code="91330100MA2XXXXX1X"))
    assert not can_see(firm, Scoped(region=CITY, manufacturer_code="91330100MA2YYYYY1Y"))
    assert can_see(expert, Scoped(region=CITY, expert_ids=frozenset({"EX-7", "EX-8"})))
    assert not can_see(expert, Scoped(region=CITY, expert_ids=frozenset({"EX-8"})))


def test_the_public_sees_published_objects_only() -> None:
    public = Principal("acc-p", Role.PUBLIC)
    assert can_see(public, Scoped(region=CITY, public=True))
    assert not can_see(public, Scoped(region=CITY))


def test_outside_the_scope_is_hidden_inside_it_other_roles_are_forbidden() -> None:
    acting = frozenset({Role.REGULATOR})
    assert decide(regulator(CITY), Scoped(region=COUNTY), acting_roles=acting) is Decision.ALLOWED
    assert decide(regulator(CITY), Scoped(region=OTHER_CITY), acting_roles=acting) is (
        Decision.HIDDEN
    )
    expert = Principal("acc-e", Role.EXPERT, expert_id="EX-7")
    assigned = Scoped(region=COUNTY, expert_ids=frozenset({"EX-7"}))
    assert decide(expert, assigned, acting_roles=acting) is Decision.FORBIDDEN


@pytest.mark.parametrize(
    ("role", "missing"),
    [
        (Role.REGULATOR, "region"),
        (Role.EXPERT, "expert_id"),
        (Role.STATION, "station_id"),
        (Role.FIRM, "manufacturer_code"),
    ],
)
def test_a_principal_without_what_scopes_it_cannot_exist(role: Role, missing: str) -> None:
    with pytest.raises(AccessError, match=missing):
        Principal("acc", role)


def test_a_principal_with_a_malformed_region_cannot_exist() -> None:
    with pytest.raises(ValueError, match="six ASCII digits"):
        Principal("acc", Role.REGULATOR, region="33")


_codes = st.builds(
    lambda p, c, k: f"{p:02d}{c:02d}{k:02d}" if c else f"{p:02d}0000",
    st.integers(11, 65),
    st.integers(0, 12),
    st.integers(0, 12),
)


@given(scope=_codes, target=_codes)
def test_the_list_filter_prefix_agrees_with_the_detail_check(scope: str, target: str) -> None:
    """A list filtered on `region_prefix` holds exactly the objects `can_see` allows."""
    principal = regulator(scope)
    prefix = region_prefix(principal)
    assert prefix is not None
    assert target.startswith(prefix) == can_see(principal, Scoped(region=target))
