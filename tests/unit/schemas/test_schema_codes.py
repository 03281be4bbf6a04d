"""Check characters of national codes: GB 32100 credit codes, GS1 GTINs, GB/T 2260 divisions.

Real published examples where they exist: 4006381333931 (GS1's EAN-13 worked example),
036000291452 (a UPC-A), 96385074 (an EAN-8), 91350100M000100Y43 and 91310000132200821H (credit
codes printed on business licences).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from recall.domain.jurisdiction import JurisdictionError
from recall.domain.jurisdiction import validate as domain_validate
from recall.tools.registry.sample import credit_code
from schemas.codes import (
    USCC_ALPHABET,
    check_gtin,
    check_jurisdiction,
    check_uscc,
    gtin_check_digit,
    is_resident_id_number,
    uscc_check_character,
)
from schemas.common import ProductRef
from schemas.registry import ManufacturerEntry
from tests.unit.schemas.builders import USCC, USCC_BODY, product

PUBLISHED_USCC = ("91350100M000100Y43", "91310000132200821H", "91330100716105852F")


def _corrupt_last(code: str, alphabet: str) -> list[str]:
    return [code[:-1] + c for c in alphabet if c != code[-1]]


# --- GB 32100 unified social credit code -------------------------------------------------


@pytest.mark.parametrize("code", [*PUBLISHED_USCC, USCC])
def test_valid_credit_codes_pass_unchanged(code: str) -> None:
    assert check_uscc(code) == code


def test_check_character_of_a_published_code_is_recomputed() -> None:
    assert uscc_check_character("91350100M000100Y4") == "3"


def test_check_character_zero_when_the_weighted_sum_is_a_multiple_of_31() -> None:
    assert uscc_check_character("0" * 17) == "0"


@pytest.mark.parametrize("code", [*PUBLISHED_USCC, USCC])
def test_every_other_last_character_is_refused(code: str) -> None:
    for wrong in _corrupt_last(code, USCC_ALPHABET):
        with pytest.raises(ValueError, match="check character"):
            check_uscc(wrong)


def test_random_bodies_accept_exactly_their_own_check_character() -> None:
    rng = random.Random(32100)
    for _ in range(50):
        body = (
            rng.choice("123456789ANY")
            + rng.choice(USCC_ALPHABET)
            + rng.choice(["140105", "110000", "100000", "820000"])
            + "".join(rng.choice(USCC_ALPHABET[1:]) for _ in range(9))
        )
        good = body + uscc_check_character(body)
        assert check_uscc(good) == good
        assert sum(_accepts_uscc(body + c) for c in USCC_ALPHABET) == 1


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        pytest.param("0" * 17, "registration authority", id="all-zero"),
        pytest.param("01140100MA0L2K3M4", "registration authority", id="authority-0"),
        pytest.param("B1140100MA0L2K3M4", "registration authority", id="authority-B"),
        pytest.param("91990100MA0L2K3M4", "GB/T 2260 division", id="province-99"),
        pytest.param("91000000MA0L2K3M4", "GB/T 2260 division", id="division-000000"),
        pytest.param("911401A0MA0L2K3M4", "GB/T 2260 division", id="division-with-letter"),
        pytest.param("91140100000000000", "all zeros", id="organisation-all-zero"),
    ],
)
def test_structurally_impossible_credit_codes_are_refused(body: str, problem: str) -> None:
    """Each has the right check character, so only the structure rule can refuse it."""
    with pytest.raises(ValueError, match=problem):
        check_uscc(body + uscc_check_character(body))


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("11100000MB0341032", id="central-government-100000"),
        pytest.param("51100000500010993", id="national-association"),
        pytest.param("N2140105MA0L2K3M4", id="agriculture-N"),
        pytest.param("Y1140105MA0L2K3M4", id="other-Y"),
        pytest.param("A1820000MA0L2K3M4", id="military-A-macao"),
    ],
)
def test_every_authority_and_the_national_division_are_accepted(body: str) -> None:
    code = body + uscc_check_character(body)
    assert check_uscc(code) == code


def test_the_sample_registry_generator_makes_valid_codes() -> None:
    """`recall registry load --sample` and the CLI tests build codes with `credit_code`."""
    rng = random.Random(7)
    for division in ("140105", "140100", "110101"):
        code = credit_code(rng, division)
        assert check_uscc(code) == code


def _accepts_uscc(code: str) -> bool:
    try:
        check_uscc(code)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_forbidden_letters_are_refused_as_shape_errors(letter: str) -> None:
    code = USCC_BODY[:10] + letter + USCC_BODY[11:] + "0"
    with pytest.raises(ValueError, match="without I, O, S, V, Z"):
        check_uscc(code)


@pytest.mark.parametrize(
    "code", ["", USCC[:17], USCC + "0", " " + USCC[1:], USCC[:17] + "-", "９" + USCC[1:]]
)
def test_wrong_length_or_alphabet_is_refused(code: str) -> None:
    with pytest.raises(ValueError, match="18 characters"):
        check_uscc(code)


def test_lowercase_credit_code_is_upper_cased_by_the_model() -> None:
    lower = "91350100m000100y43"
    assert ProductRef.model_validate(product(manufacturer_code=lower)).manufacturer_code == (
        "91350100M000100Y43"
    )


def test_lowercase_credit_code_is_refused_by_the_bare_check() -> None:
    with pytest.raises(ValueError, match="18 characters"):
        check_uscc("91350100m000100y43")


def test_surrounding_whitespace_is_stripped_from_credit_codes() -> None:
    entry = ManufacturerEntry(credit_code=f"  {USCC} ", name="Acme", jurisdiction="140100")
    assert entry.credit_code == USCC


def test_model_refuses_corrupted_credit_code_with_field_location() -> None:
    bad = _corrupt_last(USCC, USCC_ALPHABET)[0]
    with pytest.raises(ValidationError) as caught:
        ProductRef.model_validate(product(manufacturer_code=bad))
    assert caught.value.errors()[0]["loc"] == ("manufacturer_code",)


def test_credit_code_is_optional_on_a_product_ref() -> None:
    assert ProductRef.model_validate(product(manufacturer_code=None)).manufacturer_code is None


# --- GS1 GTIN ---------------------------------------------------------------------------

PUBLISHED_GTINS = ("96385074", "036000291452", "4006381333931", "10614141000415")


@pytest.mark.parametrize("gtin", PUBLISHED_GTINS)
def test_published_gtins_of_every_length_pass(gtin: str) -> None:
    assert check_gtin(gtin) == gtin
    assert ProductRef.model_validate(product(gtin=gtin)).gtin == gtin


@pytest.mark.parametrize("gtin", PUBLISHED_GTINS)
def test_every_other_check_digit_is_refused(gtin: str) -> None:
    for wrong in _corrupt_last(gtin, "0123456789"):
        with pytest.raises(ValueError, match="check digit"):
            check_gtin(wrong)


def test_gtin_check_digit_of_the_gs1_example() -> None:
    assert gtin_check_digit("400638133393") == "1"
    assert gtin_check_digit("03600029145") == "2"


def test_transposed_adjacent_digits_are_caught() -> None:
    with pytest.raises(ValueError, match="check digit"):
        check_gtin("4006381333391")


@pytest.mark.parametrize(
    "gtin",
    ["", "1234567", "4006381333", "400638133393100", "40063813339A1", "4006381333931 1"],
)
def test_gtin_shape_is_refused(gtin: str) -> None:
    with pytest.raises(ValueError, match="8, 12, 13 or 14 digits"):
        check_gtin(gtin)


@pytest.mark.parametrize(
    "gtin",
    [
        "４００６３８１３３３９３１",  # all full-width
        "４００６３８１３３３９３1",  # full-width body, ASCII check digit
        "٤٠٠٦٣٨١٣٣٣٩٣1",  # Arabic-Indic body, ASCII check digit
    ],
)
def test_gtin_with_non_ascii_digits_is_refused(gtin: str) -> None:
    """GTINs are ASCII digits; a look-alike would be stored and compared as a different string."""
    with pytest.raises(ValueError, match="GTIN"):
        check_gtin(gtin)


def test_model_refuses_corrupted_gtin() -> None:
    with pytest.raises(ValidationError, match="GTIN check digit"):
        ProductRef.model_validate(product(gtin="4006381333932"))


# --- GB/T 2260 jurisdiction ---------------------------------------------------------------


@pytest.mark.parametrize("code", ["140000", "140100", "140105", "110101", "500229", "820000"])
def test_known_province_prefixes_pass(code: str) -> None:
    assert check_jurisdiction(code) == code


@pytest.mark.parametrize("code", ["000000", "100000", "990105", "160105", "720000"])
def test_unknown_province_prefix_is_refused(code: str) -> None:
    with pytest.raises(ValueError, match="province prefix"):
        check_jurisdiction(code)


@pytest.mark.parametrize("code", ["", "14010", "1401050", "14010a", " 140105"])
def test_jurisdiction_must_be_six_digits(code: str) -> None:
    with pytest.raises(ValueError, match="six-digit"):
        check_jurisdiction(code)


@pytest.mark.parametrize("code", ["１４０１０５", "14０１０５", "14٠١٠٥"])
def test_jurisdiction_with_non_ascii_digits_is_refused(code: str) -> None:
    """Only ASCII digits: the domain (`covers`, SQL scope filters) compares ASCII prefixes."""
    with pytest.raises(ValueError, match="GB/T 2260"):
        check_jurisdiction(code)


@pytest.mark.parametrize(
    "code", ["140000", "140100", "140105", "140015", "140099", "110001", "14０１０５"]
)
def test_wire_accepts_only_codes_the_domain_can_use(code: str) -> None:
    """A code admitted at the edge reaches `covers()`; if the domain refuses it there, it raises.

    GB/T 2260 has no XX00YY codes (county digits under no city), and the domain refuses them,
    so the wire must refuse them too.
    """
    domain_ok = _accepts(domain_validate, code)
    wire_ok = _accepts(check_jurisdiction, code)
    assert wire_ok <= domain_ok, f"wire accepts {code!r} but the domain refuses it"


def _accepts(check: Callable[[str], object], code: str) -> bool:
    try:
        check(code)
    except (ValueError, JurisdictionError):
        return False
    return True


# --- resident ID numbers (GB 11643) -------------------------------------------------------


@pytest.mark.parametrize("text", ["11010519491231002X", "11010519491231002x", "110105198001010016"])
def test_valid_resident_id_numbers_are_recognised(text: str) -> None:
    assert is_resident_id_number(text)


@pytest.mark.parametrize(
    "text", ["110105194912310021", "11010519491231002", "11010519491231002XX", "A1010519491231002X"]
)
def test_wrong_check_or_shape_is_not_a_resident_id(text: str) -> None:
    assert not is_resident_id_number(text)
