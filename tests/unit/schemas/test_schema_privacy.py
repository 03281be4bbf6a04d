"""No patient identifier may ride in free text: ID numbers (18 and 15 digits) and mobile phones.

An 18-digit string whose check character is wrong is not an ID number (it may be a lot or
order number) and must pass, or stations would be refused for harmless text.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas import STATION_EVENT_ADAPTER, InjuryReport
from schemas.common import ProductRef
from schemas.privacy import personal_identifier_in, refuse_personal_identifiers
from tests.unit.schemas.builders import (
    MOBILE,
    OLD_RESIDENT_ID,
    RESIDENT_ID,
    injury_event,
    injury_payload,
    product,
)

IDENTIFIERS = [
    pytest.param(RESIDENT_ID, "resident ID", id="id18-X"),
    pytest.param(RESIDENT_ID.lower(), "resident ID", id="id18-lower-x"),
    pytest.param("110105198001010016", "resident ID", id="id18-digit-check"),
    pytest.param(OLD_RESIDENT_ID, "15-digit", id="id15"),
    pytest.param(MOBILE, "mobile", id="mobile"),
    pytest.param("138-0013-8000", "mobile", id="mobile-dashes"),
    pytest.param("138 0013 8000", "mobile", id="mobile-spaces"),
    pytest.param("+86 13800138000", "mobile", id="mobile-plus86"),
    pytest.param("8613800138000", "mobile", id="mobile-86"),
]


@pytest.mark.parametrize(("identifier", "kind"), IDENTIFIERS)
def test_identifier_is_found_alone_and_inside_text(identifier: str, kind: str) -> None:
    for text in (identifier, f"患者{identifier}来诊", f"called {identifier}, then left"):
        found = personal_identifier_in(text)
        assert found is not None, text
        assert kind in found


@pytest.mark.parametrize(
    "text",
    [
        "110105194912310021",  # 18 digits, wrong check character
        "11010519491231002Y",
        "110105491331002",  # 15 digits, month 13: not a birth date
        "1101054912310021",  # 16 digits
        "12800138000",  # 11 digits, second digit 2: no mobile prefix
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "GB 4706.1-2005 clause 19.13",
        "批次 B2024-05，温度 120 ℃",
        "",
    ],
)
def test_harmless_numbers_are_not_identifiers(text: str) -> None:
    assert personal_identifier_in(text) is None
    assert refuse_personal_identifiers(text) == text


def test_refusal_message_tells_the_station_what_to_do() -> None:
    with pytest.raises(ValueError, match="remove it and resend"):
        refuse_personal_identifiers(f"身份证 {RESIDENT_ID}")


@pytest.mark.parametrize("identifier", [RESIDENT_ID, OLD_RESIDENT_ID, MOBILE])
@pytest.mark.parametrize("field", ["narrative", "diagnosis"])
def test_injury_free_text_refuses_identifiers(field: str, identifier: str) -> None:
    payload = injury_payload(**{field: f"家长电话/证件 {identifier}"})
    with pytest.raises(ValidationError) as caught:
        InjuryReport.model_validate(payload)
    assert caught.value.errors()[0]["loc"] == (field,)


@pytest.mark.parametrize("identifier", [RESIDENT_ID, MOBILE])
@pytest.mark.parametrize("field", ["brand", "model"])
def test_product_labels_refuse_identifiers(field: str, identifier: str) -> None:
    with pytest.raises(ValidationError, match="must not identify patients"):
        ProductRef.model_validate(product(**{field: identifier}))


def test_full_width_identifier_in_a_label_is_caught_after_nfkc() -> None:
    with pytest.raises(ValidationError, match="must not identify patients"):
        ProductRef.model_validate(product(brand="１３８００１３８０００"))


@pytest.mark.parametrize(
    "identifier",
    [
        pytest.param("１１０１０５１９４９１２３１００２Ｘ", id="id18-full-width"),
        pytest.param("１１０１０５１９８００１０１００１６", id="id18-full-width-digit-check"),
        pytest.param("１３８００１３８０００", id="mobile-full-width"),
    ],
)
def test_full_width_identifier_in_narrative_is_refused(identifier: str) -> None:
    """Chinese input methods in full-width mode type these; the scan sees through full width."""
    with pytest.raises(ValidationError, match="must not identify patients"):
        InjuryReport.model_validate(injury_payload(narrative=f"患者身份证{identifier}"))


def test_invalid_check_character_18_digits_is_accepted_everywhere() -> None:
    not_an_id = "110105194912310021"
    report = InjuryReport.model_validate(
        injury_payload(narrative=f"批号 {not_an_id}", diagnosis=not_an_id)
    )
    assert not_an_id in report.narrative
    assert report.diagnosis == not_an_id


def test_identifier_deep_in_an_event_is_refused_at_its_path() -> None:
    event = injury_event(injury_payload(product=product(model=f"X {MOBILE}")))
    with pytest.raises(ValidationError) as caught:
        STATION_EVENT_ADAPTER.validate_python(event)
    assert caught.value.errors()[0]["loc"][1:] == ("payload", "product", "model")
