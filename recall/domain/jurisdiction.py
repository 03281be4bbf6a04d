"""GB/T 2260 administrative division codes: validation, level, scope and proximity.

Why this module exists: supervision is three-tier (province, city, county) and every regulator sees
only its own area, so "does scope S cover place T?" must have one answer everywhere (API filters,
alert routing, expert assignment). The answer is a prefix check on the code's *significant* digits:
two for a province (``14``0000), four for a city (``1401``00), all six for a county (``140105``).

Validation is structural, not a lookup in the published list: six ASCII digits, a non-zero
province part, and never county digits under a ``00`` city part (GB/T 2260 has no ``XX00YY``
codes; accepting them would give a code whose parent is a province while it claims a county).
Keeping the check structural means new editions of the standard never break ingestion.

Municipalities (Beijing 11, Tianjin 12, Shanghai 31, Chongqing 50) and province-administered
county-level units (``XX90YY``, e.g. 429004 Xiantao) sit under *placeholder* city codes
(``110100`` "市辖区", ``500200`` "县", ``429000``) that are groupings, not governments.
`level` stays purely syntactic (``110100`` is city-shaped, so it covers ``1101YY`` by prefix),
but `parent` skips placeholders: the parent of ``110101`` is ``110000``, the authority that
actually supervises it.
"""

from __future__ import annotations

from enum import StrEnum

from recall.domain.errors import DomainError

__all__ = [
    "MUNICIPALITY_PREFIXES",
    "JurisdictionError",
    "Level",
    "ancestors",
    "covers",
    "distance",
    "is_municipality",
    "is_placeholder",
    "level",
    "parent",
    "significant_prefix",
    "validate",
]

MUNICIPALITY_PREFIXES = frozenset({"11", "12", "31", "50"})
"""Province parts of the four municipalities directly under the central government."""

_MUNICIPAL_PLACEHOLDER_CITIES = frozenset({"01", "02"})  # 市辖区 / 县 groupings
_PROVINCE_ADMINISTERED = "90"  # 省直辖县级行政区划


class JurisdictionError(DomainError, ValueError):
    """A string is not a usable GB/T 2260 code; the message names the broken rule."""


class Level(StrEnum):
    """Administrative level read from the shape of the code."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


def validate(code: object) -> str:
    """Return `code` unchanged if it is a well-formed six-digit code, else raise.

    Raising (instead of returning False) lets adapters turn the message into a dead letter reason.
    """
    if not isinstance(code, str) or len(code) != 6 or not code.isascii() or not code.isdigit():
        raise JurisdictionError(f"jurisdiction must be six ASCII digits, got {code!r}")
    if code[:2] == "00":
        raise JurisdictionError(f"jurisdiction {code!r} has no province part (first two digits)")
    if code[2:4] == "00" and code[4:] != "00":
        raise JurisdictionError(
            f"jurisdiction {code!r} has county digits without city digits (XX00YY does not exist)"
        )
    return code


def level(code: str) -> Level:
    """Province for XX0000, city for XXXX00, county otherwise."""
    validate(code)
    if code[2:] == "0000":
        return Level.PROVINCE
    if code[4:] == "00":
        return Level.CITY
    return Level.COUNTY


_PREFIX_LENGTH = {Level.PROVINCE: 2, Level.CITY: 4, Level.COUNTY: 6}


def significant_prefix(code: str) -> str:
    """Digits that identify the area: 2 (province), 4 (city) or 6 (county)."""
    return code[: _PREFIX_LENGTH[level(code)]]


def covers(scope: str, target: str) -> bool:
    """True when `target` lies inside (or is) the area of `scope`.

    A province covers all its cities and counties, a city its counties, a county only itself.
    """
    validate(target)
    return target.startswith(significant_prefix(scope))


def is_municipality(code: str) -> bool:
    """True for codes inside Beijing, Tianjin, Shanghai or Chongqing (province-level cities)."""
    return validate(code)[:2] in MUNICIPALITY_PREFIXES


def is_placeholder(code: str) -> bool:
    """True for city-shaped grouping codes that are not a government (110100, 500200, 429000)."""
    if level(code) is not Level.CITY:
        return False
    city = code[2:4]
    if city == _PROVINCE_ADMINISTERED:
        return True
    return is_municipality(code) and city in _MUNICIPAL_PLACEHOLDER_CITIES


def parent(code: str) -> str | None:
    """The supervising area one tier up, skipping placeholder groupings; None for a province."""
    lvl = level(code)
    province = code[:2] + "0000"
    if lvl is Level.PROVINCE:
        return None
    if lvl is Level.CITY:
        return province
    city = code[:4] + "00"
    return province if is_placeholder(city) else city


def ancestors(code: str) -> tuple[str, ...]:
    """Supervising areas from the nearest up to the province (empty for a province)."""
    chain: list[str] = []
    up = parent(code)
    while up is not None:
        chain.append(up)
        up = parent(up)
    return tuple(chain)


def distance(a: str, b: str) -> int:
    """How far apart two areas are: 0 same code, 1 same city, 2 same province, 3 otherwise.

    Used to prefer local experts: coarse tiers keep the ranking explainable ("same city").
    """
    validate(a)
    validate(b)
    if a == b:
        return 0
    if a[:4] == b[:4] and a[2:4] != "00":
        return 1
    if a[:2] == b[:2]:
        return 2
    return 3
