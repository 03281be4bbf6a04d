"""Unicode at the edge: NFKC everywhere, no hidden characters in keys, safe free text.

An invisible character in a brand or model makes a second product key, so one product's
injuries are counted in two histories and a signal may never reach its threshold.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas import STATION_EVENT_ADAPTER, InjuryReport, SamplingResult
from schemas.common import ProductRef
from tests.unit.schemas.builders import (
    injury_event,
    injury_payload,
    product,
    sampling_payload,
    to_bytes,
)

HIDDEN = [
    pytest.param("\u200b", "U+200B ZERO WIDTH SPACE", id="zwsp"),
    pytest.param("\u200c", "U+200C ZERO WIDTH NON-JOINER", id="zwnj"),
    pytest.param("\u200d", "U+200D ZERO WIDTH JOINER", id="zwj"),
    pytest.param("\u2060", "U+2060 WORD JOINER", id="word-joiner"),
    pytest.param("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE", id="bom"),
    pytest.param("\u00ad", "U+00AD SOFT HYPHEN", id="soft-hyphen"),
    pytest.param("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE", id="rlo"),
    pytest.param("\u202a", "U+202A LEFT-TO-RIGHT EMBEDDING", id="lre"),
    pytest.param("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE", id="lri"),
    pytest.param("\u2069", "U+2069 POP DIRECTIONAL ISOLATE", id="pdi"),
    pytest.param("\x00", "U+0000", id="nul"),
    pytest.param("\x1b", "U+001B", id="escape"),
    pytest.param("\x7f", "U+007F", id="delete"),
    pytest.param("\x85", "U+0085", id="c1-next-line"),
]


def _refusal(payload: dict[str, object], model: type[InjuryReport | SamplingResult]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate_json(to_bytes(payload))
    return str(caught.value)


# --- identifiers ----------------------------------------------------------------------------


@pytest.mark.parametrize(("char", "name"), HIDDEN)
@pytest.mark.parametrize("field", ["case_ref"])
def test_identifier_refuses_hidden_characters_by_name(field: str, char: str, name: str) -> None:
    message = _refusal(injury_payload(**{field: f"ER-{char}2024"}), InjuryReport)
    assert name in message
    assert "identifier" in message


@pytest.mark.parametrize(("char", "name"), HIDDEN[:3])
def test_batch_sample_and_lab_ids_refuse_hidden_characters(char: str, name: str) -> None:
    for overrides in (
        {"product": product(batch=f"B2024{char}-05")},
        {"sample_id": f"S-{char}1"},
        {"lab_id": f"lab{char}-1"},
    ):
        assert name in _refusal(sampling_payload(**overrides), SamplingResult)


def test_reporter_id_refuses_hidden_characters() -> None:
    with pytest.raises(ValidationError, match="U\\+200B"):
        STATION_EVENT_ADAPTER.validate_json(to_bytes(injury_event(reporter_id="hosp\u200b-1")))


def test_full_width_identifier_is_folded_to_ascii() -> None:
    report = InjuryReport.model_validate_json(
        to_bytes(injury_payload(case_ref="ＥＲ－２０２４－１"))
    )
    assert report.case_ref == "ER-2024-1"


def test_non_latin_identifier_still_fails_the_pattern() -> None:
    assert "pattern" in _refusal(injury_payload(case_ref="病例-1"), InjuryReport)


# --- brand, model and other labels ----------------------------------------------------------


@pytest.mark.parametrize(("char", "name"), HIDDEN)
@pytest.mark.parametrize("field", ["brand", "model"])
def test_brand_and_model_refuse_hidden_characters(field: str, char: str, name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ProductRef.model_validate_json(to_bytes(product(**{field: f"Ac{char}me"})))
    error = caught.value.errors()[0]
    assert error["loc"] == (field,)
    assert name in error["msg"]
    assert "remove it" in error["msg"]


@pytest.mark.parametrize(("char", "name"), HIDDEN[:2])
def test_item_and_shop_labels_refuse_hidden_characters(char: str, name: str) -> None:
    payload = sampling_payload(channel={"kind": "store", "shop": f"Wanda{char} Plaza"})
    assert name in _refusal(payload, SamplingResult)


def test_invisible_characters_cannot_split_a_product_history() -> None:
    """The look-alike is refused, so it never becomes a second key."""
    plain = ProductRef.model_validate(product(brand="美的", model="MK-1")).product_key
    for brand, model in (("美\u200b的", "MK-1"), ("美的", "MK\u2060-1"), ("\u202e美的", "MK-1")):
        with pytest.raises(ValidationError):
            ProductRef.model_validate(product(brand=brand, model=model))
    assert plain.endswith("/美的/mk-1")


def test_tabs_and_line_breaks_in_labels_are_whitespace() -> None:
    assert ProductRef.model_validate(product(model="MK\r\n1")).model == "MK 1"


# --- free text ------------------------------------------------------------------------------


def _narrative(text: str) -> str:
    payload = injury_payload(narrative=text)
    return InjuryReport.model_validate_json(to_bytes(payload)).narrative


def test_free_text_is_nfkc_folded() -> None:
    assert _narrative("ＡＢＣ　１２３ ℃ ㎜") == "ABC 123 °C mm"


def test_free_text_keeps_tabs_and_line_feeds_and_normalises_crlf() -> None:
    assert (
        _narrative("line 1\r\nline 2\rline 3\n\tindented") == "line 1\nline 2\nline 3\n\tindented"
    )


@pytest.mark.parametrize(
    ("char", "name"),
    [
        pytest.param("\x00", "U+0000", id="nul"),
        pytest.param("\x07", "U+0007", id="bell"),
        pytest.param("\x0b", "U+000B", id="vertical-tab"),
        pytest.param("\x1b", "U+001B", id="escape"),
        pytest.param("\x7f", "U+007F", id="delete"),
        pytest.param("\x9b", "U+009B", id="c1-csi"),
    ],
)
def test_free_text_refuses_control_characters(char: str, name: str) -> None:
    message = _refusal(injury_payload(narrative=f"burn{char}ed"), InjuryReport)
    assert name in message
    assert "control character" in message


@pytest.mark.parametrize(
    "char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2069"]
)
@pytest.mark.parametrize("field", ["narrative", "diagnosis"])
def test_free_text_refuses_bidi_controls(field: str, char: str) -> None:
    message = _refusal(injury_payload(**{field: f"kettle {char}lid"}), InjuryReport)
    assert "bidi control" in message


@pytest.mark.parametrize("char", ["\u200b", "\u2060", "\ufeff", "\u00ad", "\U000e0041"])
def test_free_text_strips_invisible_characters(char: str) -> None:
    assert _narrative(f"{char}ket{char}tle{char}") == "kettle"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("می\u200cخواهم", id="persian-zwnj"),
        pytest.param("👨\u200d👩\u200d👧", id="emoji-zwj-sequence"),
        pytest.param("العربية \u200f123", id="rtl-mark"),
    ],
)
def test_free_text_keeps_joiners_and_direction_marks(text: str) -> None:
    """They are orthography in Persian, Indic scripts and emoji, not tricks."""
    assert _narrative(text) == text


def test_free_text_bound_holds_after_folding() -> None:
    assert "after normalisation" in _refusal(injury_payload(diagnosis="㍿" * 60), InjuryReport)
