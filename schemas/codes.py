"""Check-character rules for the national codes that identify places, firms and products.

A typo in a credit code or GTIN silently splits one product's history in two, so codes are
verified at the edge, before anything is keyed by them.
"""

from __future__ import annotations

import re
from operator import mul

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}  # O(1) per character on the hot path
_USCC_SHAPE = re.compile(rf"^[{USCC_ALPHABET}]{{18}}$")

# GB/T 2260 province-level prefixes (mainland provinces, Taiwan 71, Hong Kong 81, Macao 82).
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "  # noqa: SIM905
    "50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
_PROVINCE_PREFIXES = PROVINCE_PREFIXES  # the older private name, kept for existing importers
# GB 32100 registration authorities (登记管理部门码): 1-9 are the civilian registries (机构编制,
# 外交, 司法行政, 文化, 民政, 旅游, 宗教, 工会, 市场监管), A the military, N agriculture, Y others.
USCC_AUTHORITIES = frozenset("123456789ANY")
# Characters 3-8 are the registering authority's GB/T 2260 division; central-level registries
# (ministries, national associations, firms registered with SAMR) use the national code 100000.
_NATIONAL_DIVISION = "100000"
# ASCII digits only: \d would also match full-width ０-９ and other scripts' digits.
_JURISDICTION_SHAPE = re.compile(r"^[0-9]{6}$")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def uscc_check_character(first17: str) -> str:
    """GB 32100-2015 check character for the first 17 characters of a credit code."""
    if len(first17) != len(_USCC_WEIGHTS):
        raise ValueError("a credit code's check character is computed from 17 characters")
    # map() rather than a generator: C-level iteration, a third of the time on the hot path.
    total = sum(map(mul, map(_USCC_VALUE.__getitem__, first17), _USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(code: str) -> str:
    """Return the code if it is a well-formed unified social credit code, else raise ValueError.

    Beyond the check character, the structure is checked: a code such as "000000000000000000"
    has a valid check character but no registry could have issued it, and a firm keyed by it
    would collect the history of every station that typed zeros for "unknown".
    """
    if not _USCC_SHAPE.match(code):
        raise ValueError(
            "a unified social credit code has 18 characters from 0-9 and A-Y without I, O, S, V, Z"
        )
    if code[0] not in USCC_AUTHORITIES:
        raise ValueError(
            f"credit code starts with {code[0]!r}, which is not a GB 32100 registration "
            "authority (1-9, A, N or Y)"
        )
    division = code[2:8]
    if not division.isdigit() or (
        division[:2] not in PROVINCE_PREFIXES and division != _NATIONAL_DIVISION
    ):
        raise ValueError(
            f"credit code characters 3-8 ({division!r}) are not a GB/T 2260 division code"
        )
    if code[8:17] == "0" * 9:
        raise ValueError("credit code organisation part (characters 9-17) is all zeros")
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise ValueError(f"credit code check character is {code[17]!r}, expected {expected!r}")
    return code


def gtin_check_digit(body: str) -> str:
    """GS1 mod-10 check digit: weights 3,1,3,… from the right of the body."""
    reversed_body = body[::-1]
    total = 3 * sum(map(int, reversed_body[0::2])) + sum(map(int, reversed_body[1::2]))
    return str((10 - total % 10) % 10)


def check_gtin(code: str) -> str:
    """Return the GTIN (8, 12, 13 or 14 digits) if its check digit is right, else raise."""
    if not (code.isascii() and code.isdigit()) or len(code) not in (8, 12, 13, 14):
        raise ValueError("a GTIN has 8, 12, 13 or 14 digits")
    expected = gtin_check_digit(code[:-1])
    if code[-1] != expected:
        raise ValueError(f"GTIN check digit is {code[-1]!r}, expected {expected!r}")
    return code


def check_jurisdiction(code: str) -> str:
    """Return a six-digit GB/T 2260 division code with a known province prefix, else raise."""
    if not _JURISDICTION_SHAPE.match(code):
        raise ValueError("a jurisdiction is a six-digit GB/T 2260 code such as 140105")
    if code[:2] not in _PROVINCE_PREFIXES:
        raise ValueError(f"{code[:2]!r} is not a GB/T 2260 province prefix")
    if code[2:4] == "00" and code[4:] != "00":
        raise ValueError("a county code needs its city digits (XX00YY does not exist)")
    return code


def is_resident_id_number(text: str) -> bool:
    """True for an 18-character PRC resident ID number with a valid check character."""
    if len(text) != 18 or not (text[:17].isascii() and text[:17].isdigit()):
        return False
    total = sum(int(c) * w for c, w in zip(text[:17], _ID_WEIGHTS, strict=True))
    return text[17].upper() == _ID_CHECK[total % 11]
