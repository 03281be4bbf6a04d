"""The registry file format (`recall registry load FILE`): what a provincial registry exports.

Names are `Name`s (NFKC-folded, whitespace collapsed, no hidden characters) like the labels on
the wire: a station or firm name with a zero-width space would look right on a dashboard and
never match a search. Numbers and flags are strict, as on the wire: `"enabled": "false"` in a
hand-edited file is refused rather than read as a true string.
"""

from __future__ import annotations

from pydantic import Field

from schemas.common import (
    Code,
    CreditCode,
    Gtin,
    Identifier,
    JurisdictionCode,
    Label,
    Name,
    PersonName,
    ProductCategory,
    StationKind,
    Strict,
    WireBool,
    WireInt,
)


class RegionEntry(Strict):
    """A GB/T 2260 division's name, so pages show 太原市 (Taiyuan) rather than 140100."""

    code: JurisdictionCode
    name_zh: Name
    name_en: Name | None = Field(default=None, description="English or pinyin; else name_zh")


class StationEntry(Strict):
    station_id: Identifier
    kind: StationKind
    name: Name
    jurisdiction: JurisdictionCode
    enabled: WireBool = True
    manufacturer_code: CreditCode | None = Field(default=None, description="For kind=firm")


class ManufacturerEntry(Strict):
    credit_code: CreditCode
    name: Name
    jurisdiction: JurisdictionCode


class ProductKindEntry(Strict):
    kind: Code
    category: ProductCategory
    name_zh: Label
    name_en: Label


class ProductEntry(Strict):
    manufacturer_code: CreditCode
    brand: Label
    model: Label
    category: ProductCategory
    kind: Code
    gtin: Gtin | None = None
    units_in_use: WireInt | None = Field(default=None, ge=0)


class StandardEntry(Strict):
    code: str = Field(min_length=2, max_length=40)
    title: Name
    category: ProductCategory


class LabEntry(Strict):
    lab_id: Identifier
    name: Name
    jurisdiction: JurisdictionCode
    accreditation: str = Field(min_length=1, max_length=64)


class ExpertEntry(Strict):
    expert_id: Identifier
    name: PersonName
    jurisdiction: JurisdictionCode
    categories: tuple[ProductCategory, ...] = Field(min_length=1)
    linked_firms: tuple[CreditCode, ...] = ()
    active: WireBool = True


class RegistryFile(Strict):
    regions: tuple[RegionEntry, ...] = ()
    stations: tuple[StationEntry, ...] = ()
    manufacturers: tuple[ManufacturerEntry, ...] = ()
    product_kinds: tuple[ProductKindEntry, ...] = ()
    products: tuple[ProductEntry, ...] = ()
    standards: tuple[StandardEntry, ...] = ()
    labs: tuple[LabEntry, ...] = ()
    experts: tuple[ExpertEntry, ...] = ()
