"""The registry file format (`recall registry load FILE`): what a provincial registry exports."""

from __future__ import annotations

from pydantic import Field

from schemas.common import (
    Code,
    CreditCode,
    Gtin,
    Identifier,
    JurisdictionCode,
    Label,
    ProductCategory,
    StationKind,
    Strict,
)


class StationEntry(Strict):
    station_id: Identifier
    kind: StationKind
    name: str = Field(min_length=1, max_length=200)
    jurisdiction: JurisdictionCode
    enabled: bool = True
    manufacturer_code: CreditCode | None = Field(default=None, description="For kind=firm")


class ManufacturerEntry(Strict):
    credit_code: CreditCode
    name: str = Field(min_length=1, max_length=200)
    jurisdiction: JurisdictionCode


class ProductKindEntry(Strict):
    kind: Code
    category: ProductCategory
    name_zh: str = Field(min_length=1, max_length=80)
    name_en: str = Field(min_length=1, max_length=80)


class ProductEntry(Strict):
    manufacturer_code: CreditCode
    brand: Label
    model: Label
    category: ProductCategory
    kind: Code
    gtin: Gtin | None = None
    units_in_use: int | None = Field(default=None, ge=0)


class StandardEntry(Strict):
    code: str = Field(min_length=2, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    category: ProductCategory


class LabEntry(Strict):
    lab_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    jurisdiction: JurisdictionCode
    accreditation: str = Field(min_length=1, max_length=64)


class ExpertEntry(Strict):
    expert_id: Identifier
    name: str = Field(min_length=1, max_length=100)
    jurisdiction: JurisdictionCode
    categories: tuple[ProductCategory, ...] = Field(min_length=1)
    linked_firms: tuple[CreditCode, ...] = ()
    active: bool = True


class RegistryFile(Strict):
    stations: tuple[StationEntry, ...] = ()
    manufacturers: tuple[ManufacturerEntry, ...] = ()
    product_kinds: tuple[ProductKindEntry, ...] = ()
    products: tuple[ProductEntry, ...] = ()
    standards: tuple[StandardEntry, ...] = ()
    labs: tuple[LabEntry, ...] = ()
    experts: tuple[ExpertEntry, ...] = ()
