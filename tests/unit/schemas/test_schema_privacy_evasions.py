"""Personal identifiers written to slip past a naive scan, the redaction API, and false positives.

Valid numbers used: 11010519491231002X (the standard's example), 110101199003074573 and
44030419851015123X (check characters computed by GB 11643), 110105491231002 (old 15-digit
form), 13800138000 (mobile).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from schemas import STATION_EVENT_ADAPTER, InjuryReport, SamplingResult
from schemas.privacy import personal_identifier_in, redact_bytes, redact_text
from tests.unit.schemas.builders import (
    injury_event,
    injury_payload,
    product,
    sampling_payload,
    to_bytes,
)

EVASIONS = [
    pytest.param("110101 1990 0307 4573", "resident ID", id="id-spaces"),
    pytest.param("4403 0419 8510 1512 3X", "resident ID", id="id-spaces-x"),
    pytest.param("110101-19900307-4573", "resident ID", id="id-dashes"),
    pytest.param("110101.1990.0307.4573", "resident ID", id="id-dots"),
    pytest.param("110101\u300019900307\u30004573", "resident ID", id="id-full-width-spaces"),
    pytest.param("11010119\u200b900307\u200d4573", "resident ID", id="id-zero-width"),
    pytest.param("11010119\u202e900307\u20664573", "resident ID", id="id-bidi"),
    pytest.param("ID110101199003074573", "resident ID", id="id-glued-letters"),
    pytest.param("ID44030419851015123Xabc", "resident ID", id="id-x-glued-letters"),
    pytest.param("１１０１０１１９９００３０７４５７３", "resident ID", id="id-full-width"),
    pytest.param("110105 491231 002", "15-digit", id="id15-spaces"),
    pytest.param("138-0013-8000", "mobile", id="mobile-dashes"),
    pytest.param("138 0013 8000", "mobile", id="mobile-spaces"),
    pytest.param("138.0013.8000", "mobile", id="mobile-dots"),
    pytest.param("138 - 0013 - 8000", "mobile", id="mobile-spaced-dashes"),
    pytest.param("138\u30000013\u30008000", "mobile", id="mobile-full-width-spaces"),
    pytest.param("138\u20140013\u20148000", "mobile", id="mobile-em-dashes"),
    pytest.param("1\u200b3\u200c8\u200d0\u20600138000", "mobile", id="mobile-zero-width"),
    pytest.param("1380\x000138000", "mobile", id="mobile-nul"),
    pytest.param("abc13800138000def", "mobile", id="mobile-glued-letters"),
    pytest.param("tel:13800138000", "mobile", id="mobile-tel"),
    pytest.param("１３８００１３８０００", "mobile", id="mobile-full-width"),
    pytest.param("١٣٨٠٠١٣٨٠٠٠", "mobile", id="mobile-arabic-indic"),
    pytest.param("1\ufe0f\u20e33\ufe0f\u20e38\ufe0f\u20e300138000", "mobile", id="mobile-keycaps"),
    pytest.param("0086 138 0013 8000", "mobile", id="mobile-0086"),
    pytest.param("+86-138-0013-8000", "mobile", id="mobile-plus86-dashes"),
    pytest.param("13800138000 2 times", "mobile", id="mobile-then-number"),
]


@pytest.mark.parametrize(("text", "kind"), EVASIONS)
def test_evasions_are_found(text: str, kind: str) -> None:
    for context in (text, f"患者{text}来诊", f"call {text}, then"):
        found = personal_identifier_in(context)
        assert found is not None, context
        assert kind in found


HARMLESS = [
    pytest.param("4006381333931", id="gtin13"),
    pytest.param("036000291452", id="gtin12"),
    pytest.param("10614141000415", id="gtin14"),
    pytest.param("96385074", id="gtin8"),
    pytest.param("6 901234 567892", id="gtin13-printed-with-spaces"),
    pytest.param("GTIN 4006381333931, 10614141000415", id="two-gtins"),
    pytest.param("20240101-001", id="batch"),
    pytest.param("批号 20240101-001 / 20240102-002", id="two-batches"),
    pytest.param("2024-05-01 10:00", id="date-time"),
    pytest.param("2024.05.01", id="dotted-date"),
    pytest.param("12.5 mm", id="measurement"),
    pytest.param("12.5 mm × 13.8 mm × 100 mm", id="dimensions"),
    pytest.param("GB 4706.1-2005 clause 19.13", id="standard"),
    pytest.param("91310000132200821H", id="credit-code"),
    pytest.param("S-2024-0042 lab-140100-01", id="ids"),
    pytest.param("110105194912310021", id="id-wrong-check"),
    pytest.param("990105194912310026", id="id-unknown-province"),
    pytest.param("110105170012310011", id="id-born-1700"),
    pytest.param("12800138000", id="not-a-mobile-prefix"),
    pytest.param("138001380001", id="12-digits"),
]


@pytest.mark.parametrize("text", HARMLESS)
def test_legitimate_numbers_are_not_identifiers(text: str) -> None:
    assert personal_identifier_in(text) is None
    assert redact_text(text) == (text, 0)


@pytest.mark.parametrize(("text", "kind"), EVASIONS[:4])
def test_narrative_with_an_evasion_is_refused(text: str, kind: str) -> None:
    with pytest.raises(ValidationError, match="must not identify patients"):
        InjuryReport.model_validate_json(to_bytes(injury_payload(narrative=f"患者 {text}")))


@pytest.mark.parametrize("value", ["13800138000", "ID-110101199003074573", "138-0013-8000"])
def test_identifier_fields_refuse_personal_identifiers(value: str) -> None:
    payloads: list[tuple[type[BaseModel], dict[str, Any]]] = [
        (InjuryReport, injury_payload(case_ref=value)),
        (InjuryReport, injury_payload(product=product(batch=value))),
        (SamplingResult, sampling_payload(sample_id=value)),
        (SamplingResult, sampling_payload(lab_id=value)),
    ]
    for model, payload in payloads:
        with pytest.raises(ValidationError, match="must not identify patients"):
            model.model_validate_json(to_bytes(payload))
    with pytest.raises(ValidationError, match="must not identify patients"):
        STATION_EVENT_ADAPTER.validate_json(to_bytes(injury_event(reporter_id=value)))


# --- redaction ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "count"),
    [
        ("call 13800138000 now", "call [redacted:mobile] now", 1),
        ("ID 11010519491231002X.", "ID [redacted:resident_id].", 1),
        ("old 110105491231002!", "old [redacted:resident_id]!", 1),
        ("138-0013-8000/110101 1990 0307 4573", "[redacted:mobile]/[redacted:resident_id]", 2),
        ("+86 138 0013 8000", "+[redacted:mobile]", 1),
        ("1\u200b3800138000\u200b end", "[redacted:mobile] end", 1),
        ("患者１３８００１３８０００来诊", "患者[redacted:mobile]来诊", 1),
        ("batch 20240101-001, GTIN 4006381333931", "batch 20240101-001, GTIN 4006381333931", 0),
    ],
)
def test_redact_text_replaces_each_identifier(text: str, expected: str, count: int) -> None:
    assert redact_text(text) == (expected, count)


def test_redacted_text_has_nothing_left_to_find() -> None:
    text = " ".join(str(p.values[0]) for p in EVASIONS)
    redacted, count = redact_text(text)
    assert count >= len(EVASIONS) - 1  # neighbours may join into one run, never fewer finds
    assert personal_identifier_in(redacted) is None


def test_redact_text_decodes_json_unicode_escapes() -> None:
    escaped = json.dumps({"narrative": "电话 13800138000", "id": "11010519491231002X"})
    assert "\\u7535" in escaped  # ensure_ascii: the Chinese is escaped, the digits are not
    hidden = (
        '{"n": "\\u0031\\u0033\\u0038\\u0030\\u0030\\u0031\\u0033\\u0038\\u0030\\u0030\\u0030"}'
    )
    assert redact_text(hidden) == ('{"n": "[redacted:mobile]"}', 1)
    assert redact_text(escaped)[1] == 2


def test_escaped_backslash_is_not_an_escape() -> None:
    """In JSON, \\\\u0031 is a backslash then the text u0031, not the digit 1."""
    text = "\\\\u0031" + "3800138000"
    assert redact_text(text) == (text, 0)


def test_redact_bytes_keeps_invalid_utf8_unchanged() -> None:
    data = b"\xff\xfe\x00 call 138 0013 8000 \xc3(\x80 end \xed\xa0\x80"
    redacted, count = redact_bytes(data)
    assert count == 1
    assert redacted == b"\xff\xfe\x00 call [redacted:mobile] \xc3(\x80 end \xed\xa0\x80"


def test_redact_bytes_handles_utf8_and_json_escapes() -> None:
    data = json.dumps(
        {"narrative": "患者 13800138000", "x": "\\u0031"}, ensure_ascii=False
    ).encode()
    redacted, count = redact_bytes(data)
    assert count == 1
    assert "[redacted:mobile]" in redacted.decode()
    assert "患者" in redacted.decode()


def test_redact_bytes_without_identifiers_returns_the_input() -> None:
    data = b"\x80 plain bytes 4006381333931"
    assert redact_bytes(data) == (data, 0)


def test_redaction_is_linear_on_a_megabyte_of_digits_and_separators() -> None:
    """No timing assertion: tokens are single-class regex runs and each group of a run costs a
    constant number of look-ups (see `_Run.matches`), so this finishes in seconds, not hours."""
    chunk = "1 2-3.4\u200b5 67 890 "
    planted = "call 13800138000 now "
    text = (chunk * 600 + planted) * 100
    assert len(text) > 1_000_000
    redacted, count = redact_text(text)
    assert count == 100
    assert redacted.count("call [redacted:mobile] now") == 100
    data, data_count = redact_bytes(("9" * 1_000_000).encode())
    assert (len(data), data_count) == (1_000_000, 0)


def test_one_long_run_with_an_identifier_in_the_middle_is_redacted() -> None:
    filler = "12 " * 50_000
    redacted, count = redact_text(f"{filler}x 13800138000 x{filler}")
    assert count == 1
    assert "x [redacted:mobile] x" in redacted
