"""`risk.regional` bundles: a strict model with the wire bytes of the compact JSON lists before it.

A rolling upgrade runs old and new `assess_risk` / `assess_regions` side by side, so the new
code must read what the old one wrote and write exactly what the old one read.
"""

from __future__ import annotations

import re

import pytest

from recall.domain.jurisdiction import JurisdictionError, validate
from recall.service.risk.bundles import RegionalCase, cases_from_bundle, regional_bundle
from schemas.risk import REGION_CODE, REGIONAL_ROW_FIELDS, RegionalBundle
from schemas.topics import RISK_REGIONAL, OutgoingRecordError, encode

# Bytes as `bundle_bytes` (orjson.dumps of lists) wrote them before the model existed.
TODAYS_BYTES = (
    b'[["00000000-0000-4000-8000-000000000003","kitchenware","140100","burns",20001,4,'
    b'1728100800.123456],["e-2","electronics","440300","electric_shock",20001,2,null],'
    b'["e-3","children","110100","choking",-5,1,0.0]]'
)
CASES = [
    RegionalCase(
        "00000000-0000-4000-8000-000000000003",
        "kitchenware",
        "140100",
        "burns",
        20001,
        4,
        1728100800.123456,
    ),
    RegionalCase("e-2", "electronics", "440300", "electric_shock", 20001, 2, None),
    RegionalCase("e-3", "children", "110100", "choking", -5, 1, 0.0),
]


def test_todays_bytes_parse_and_are_written_identically() -> None:
    assert cases_from_bundle(TODAYS_BYTES) == CASES
    assert encode(RISK_REGIONAL, regional_bundle(CASES)) == TODAYS_BYTES


def test_the_topic_declares_the_bundle_model() -> None:
    assert RISK_REGIONAL.model is RegionalBundle
    schema = RegionalBundle.model_json_schema()
    assert schema["type"] == "array"
    titles = tuple(item["title"] for item in schema["items"]["prefixItems"])
    assert titles == REGIONAL_ROW_FIELDS, "the exported schema names every position"


_GOOD = '"e1","kitchenware","140100","burns",20000,2,null'


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ('"","kitchenware","140100","burns",20000,2,null', "event_id"),
        ('"' + "e" * 65 + '","kitchenware","140100","burns",20000,2,null', "event_id"),
        ('7,"kitchenware","140100","burns",20000,2,null', "event_id"),
        ('"e1","kettles","140100","burns",20000,2,null', "category"),
        ('"e1","kitchenware","140015","burns",20000,2,null', "region"),  # XX00YY
        ('"e1","kitchenware","000000","burns",20000,2,null', "region"),
        ('"e1","kitchenware","001000","burns",20000,2,null', "region"),
        ('"e1","kitchenware","1401050","burns",20000,2,null', "region"),
        ('"e1","kitchenware","14010","burns",20000,2,null', "region"),
        ('"e1","kitchenware","１４０１００","burns",20000,2,null', "region"),
        ('"e1","kitchenware","140100","heat",20000,2,null', "hazard"),
        ('"e1","kitchenware","140100","burns",true,2,null', "day"),
        ('"e1","kitchenware","140100","burns","20000",2,null', "day"),
        ('"e1","kitchenware","140100","burns",20000.0,2,null', "day"),
        ('"e1","kitchenware","140100","burns",3000001,2,null', "day"),
        ('"e1","kitchenware","140100","burns",20000,5,null', "severity"),
        ('"e1","kitchenware","140100","burns",20000,0,null', "severity"),
        ('"e1","kitchenware","140100","burns",20000,2,-1.0', "sent_ts"),
        ('"e1","kitchenware","140100","burns",20000,2,true', "sent_ts"),
        ('"e1","kitchenware","140100","burns",20000,2,"1.0"', "sent_ts"),
        ('"e1","kitchenware","140100","burns",20000,2,Infinity', "sent_ts"),
    ],
)
def test_a_bad_value_is_refused_naming_item_and_field_never_the_value(
    item: str, field: str
) -> None:
    raw = f"[[{_GOOD}],[{item}]]".encode()
    with pytest.raises(ValueError, match=f"^regional bundle item 1: bad {field}$") as caught:
        cases_from_bundle(raw)
    assert type(caught.value) is ValueError, "a plain ValueError: pydantic's text quotes values"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"", "a regional bundle is a JSON list"),
        (b"[1,", "a regional bundle is a JSON list"),
        (b'{"e1": 1}', "a regional bundle is a JSON list"),
        (b'["e1"]', "regional bundle item 0: a list of 7 values"),
        (f"[[{_GOOD},1]]".encode(), "regional bundle item 0: a list of 7 values"),
        (b'[["e1","kitchenware"]]', "regional bundle item 0: a list of 7 values"),
    ],
)
def test_a_malformed_bundle_is_refused_by_its_shape(raw: bytes, says: str) -> None:
    with pytest.raises(ValueError, match=f"^{says}$"):
        cases_from_bundle(raw)


def test_our_own_bundle_is_checked_before_it_leaves() -> None:
    wrong = RegionalCase("e1", "kitchenware", "140015", "burns", 20000, 2, None)  # no city part
    with pytest.raises(ValueError, match="pattern"):
        regional_bundle([wrong])
    with pytest.raises(OutgoingRecordError, match=r"risk\.regional .*0\.2"):
        encode(RISK_REGIONAL, [["e1", "kitchenware", "140015", "burns", 20000, 2, None]])


def test_county_city_and_province_rows_are_read() -> None:
    rows = [
        RegionalCase("e1", "kitchenware", code, "burns", 20000, 2, None)
        for code in ("140105", "140100", "140000", "110101", "110000", "429004")
    ]
    assert cases_from_bundle(encode(RISK_REGIONAL, regional_bundle(rows))) == rows


@pytest.mark.parametrize(
    "code",
    [
        "140105",
        "140100",
        "140000",
        "110101",
        "429004",
        "010101",
        "990000",
        "140015",
        "000000",
        "001000",
        "000100",
        "14010",
        "1401000",
        "14010a",
        "１４０１００",
        "140100\n",
        "",
    ],
)
def test_the_region_pattern_agrees_with_jurisdiction_validate(code: str) -> None:
    try:
        validate(code)
        valid = True
    except JurisdictionError:
        valid = False
    assert (re.fullmatch(REGION_CODE, code) is not None) is valid
