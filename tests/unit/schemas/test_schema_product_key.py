"""Product keys: one product's reports from a hospital and a lab must share one history.

Labels are NFKC-folded (full-width → half-width), whitespace-collapsed and stripped; the key
compares them case-insensitively.
"""

from __future__ import annotations

import unicodedata

import pytest
from pydantic import ValidationError

from recall.adapters.db.models import Event as EventRow
from recall.adapters.db.models import Product as ProductRow
from schemas import STATION_EVENT_ADAPTER, product_key_of
from schemas.common import ProductRef, make_product_key
from tests.unit.schemas.builders import (
    USCC,
    heartbeat_event,
    injury_event,
    injury_payload,
    product,
    sampling_event,
    to_bytes,
)


def _key(**overrides: str | None) -> str:
    return ProductRef.model_validate(product(**overrides)).product_key


def test_key_is_manufacturer_brand_model() -> None:
    assert _key(brand="Acme", model="K-1") == f"{USCC}/acme/k-1"


def test_key_without_manufacturer_says_unknown() -> None:
    assert _key(manufacturer_code=None) == "unknown/acme/k-1"


def test_case_does_not_split_a_product() -> None:
    assert _key(brand="ACME", model="MK-1") == _key(brand="acme", model="mk-1")


def test_lowercase_credit_code_gives_the_same_key() -> None:
    assert _key(manufacturer_code=USCC.lower()) == _key(manufacturer_code=USCC)


def test_nfkc_turns_full_width_into_half_width() -> None:
    assert unicodedata.normalize("NFKC", "ＭＫ－１") == "MK-1"
    ref = ProductRef.model_validate(product(brand="Ａｃｍｅ", model="ＭＫ－１"))
    assert (ref.brand, ref.model) == ("Acme", "MK-1")
    assert ref.product_key == _key(brand="acme", model="mk-1")


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("  Acme  ", "Acme"),
        ("Acme   Pro", "Acme Pro"),
        ("Acme\tPro\nMax", "Acme Pro Max"),
        ("Acme\u3000Pro", "Acme Pro"),  # ideographic space
        ("\u3000美的\u3000", "美的"),
        ("Acme\u00a0Pro", "Acme Pro"),  # no-break space
    ],
)
def test_whitespace_is_collapsed_and_stripped(raw: str, folded: str) -> None:
    assert ProductRef.model_validate(product(brand=raw)).brand == folded


def test_casefold_is_used_not_lower() -> None:
    assert _key(brand="STRASSE") == _key(brand="straße")


def test_chinese_labels_key_unchanged() -> None:
    assert _key(brand="美的", model="电水壶") == f"{USCC}/美的/电水壶"


def test_hyphen_variants_are_not_merged() -> None:
    """NFKC folds the full-width hyphen-minus only; a dash stays a different model name."""
    assert _key(model="MK－1") == _key(model="MK-1")
    assert _key(model="MK‐1") != _key(model="MK-1")  # U+2010 HYPHEN is not folded by NFKC


def test_make_product_key_is_pure() -> None:
    assert make_product_key(None, "A", "B") == "unknown/a/b"
    assert make_product_key(USCC, "Acme", "K-1") == f"{USCC}/acme/k-1"


def test_product_key_of_each_event_type() -> None:
    injury = STATION_EVENT_ADAPTER.validate_json(to_bytes(injury_event()))
    sample = STATION_EVENT_ADAPTER.validate_json(to_bytes(sampling_event()))
    beat = STATION_EVENT_ADAPTER.validate_json(to_bytes(heartbeat_event()))
    assert product_key_of(injury) == f"{USCC}/acme/k-1"
    assert product_key_of(sample) == product_key_of(injury)
    assert product_key_of(beat) is None


def test_hospital_and_lab_spellings_meet_on_one_key() -> None:
    hospital = injury_event(injury_payload(product=product(brand="ＡＣＭＥ", model=" ＭＫ－１ ")))
    lab = sampling_event()
    lab["payload"]["product"] = product(brand="acme", model="mk-1")
    keys = {
        product_key_of(STATION_EVENT_ADAPTER.validate_json(to_bytes(event)))
        for event in (hospital, lab)
    }
    assert keys == {f"{USCC}/acme/mk-1"}


@pytest.mark.parametrize(
    "filler",
    [
        pytest.param("㍿", id="square-kabushiki-kaisha"),  # NFKC: 4 characters
        pytest.param("ﷺ", id="arabic-ligature"),  # NFKC: 18 characters
    ],
)
def test_label_bound_holds_after_folding(filler: str) -> None:
    """A label is at most 80 characters as stored (products.brand is VARCHAR(80)).

    A label that only exceeds the bound after NFKC folding is refused, not truncated: nothing
    is silently fixed.
    """
    with pytest.raises(ValidationError, match="after normalisation"):
        ProductRef.model_validate(product(brand=filler * 80))
    assert len(ProductRef.model_validate(product(brand=filler * 4)).brand) <= 80


def test_product_key_of_maximal_labels_fits_its_sql_columns() -> None:
    """events.product_key and products.product_key are VARCHAR(200); casefold can expand (ß→ss)."""
    key = _key(brand="ß" * 80, model="ß" * 80)
    limits = {
        EventRow.__table__.c.product_key.type.length,  # type: ignore[attr-defined]  # String
        ProductRow.__table__.c.product_key.type.length,  # type: ignore[attr-defined]  # String
    }
    assert len(key) <= min(limits)
