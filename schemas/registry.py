"""The registry file format (`recall registry load FILE`): what a provincial registry exports.

Names are `Name`s (NFKC-folded, whitespace collapsed, no hidden characters) like the labels on
the wire: a station or firm name with a zero-width space would look right on a dashboard and
never match a search. Numbers and flags are strict, as on the wire: `"enabled": "false"` in a
hand-edited file is refused rather than read as a true string.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

import orjson
from pydantic import BaseModel, Field, model_validator

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
    WireDatetime,
    WireInt,
    make_product_key,
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


class StandardStatus(StrEnum):
    """A standard's status in the national catalogue: 现行 / 被代替 / 废止."""

    IN_FORCE = "in_force"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"


class StandardEntry(Strict):
    """A product standard; intake refuses sampling results against one not in force on the
    sampling date (docs/registry.md). Older files without status load as in force."""

    code: str = Field(min_length=2, max_length=40)
    title: Name
    category: ProductCategory
    status: StandardStatus = StandardStatus.IN_FORCE
    superseded_by: str | None = Field(
        default=None, min_length=2, max_length=40, description="The code that replaces it"
    )
    valid_from: date | None = Field(default=None, description="实施日期, the first day in force")
    valid_until: date | None = Field(
        default=None, description="废止日期, the first day no longer in force; none while current"
    )


class LabStatus(StrEnum):
    """The lab's accreditation (CNAS / CMA): 有效 / 暂停 / 撤销."""

    ACCREDITED = "accredited"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class LabEntry(Strict):
    """A testing lab. A lab station's id is its lab id: it reports only its own results."""

    lab_id: Identifier
    name: Name
    jurisdiction: JurisdictionCode
    accreditation: str = Field(min_length=1, max_length=64)
    status: LabStatus = LabStatus.ACCREDITED
    accredited_until: date | None = Field(default=None, description="Expiry of accreditation")
    scope: tuple[ProductCategory, ...] = Field(
        default=(),
        description="Product categories the accreditation covers; results for others are refused",
    )


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


# --- registry changes (`registry.changes`) -------------------------------------------------

REGISTRY_SECTIONS: dict[str, type[Strict]] = {
    "regions": RegionEntry,
    "stations": StationEntry,
    "manufacturers": ManufacturerEntry,
    "product_kinds": ProductKindEntry,
    "products": ProductEntry,
    "standards": StandardEntry,
    "labs": LabEntry,
    "experts": ExpertEntry,
}
"""Each registry section and the model of its entries (the file's sections, by the same name)."""

RETIRABLE_SECTIONS = ("stations", "standards", "labs", "experts")
"""Sections whose entries retire by status (disabled, withdrawn, revoked, inactive): events and
decisions still refer to them, so nothing is deleted."""


class RegistrySection(StrEnum):
    REGIONS = "regions"
    STATIONS = "stations"
    MANUFACTURERS = "manufacturers"
    PRODUCT_KINDS = "product_kinds"
    PRODUCTS = "products"
    STANDARDS = "standards"
    LABS = "labs"
    EXPERTS = "experts"


class ChangeOperation(StrEnum):
    UPSERT = "upsert"
    RETIRE = "retire"


class RegistryChange(Strict):
    """One change to one registry entry, on `registry.changes` (keyed by section|key).

    Applied idempotently by its `change_id` and audited (table `registry_changes`, who, when,
    why, before and after); intake workers see it at their next registry refresh.
    """

    change_id: UUID
    section: RegistrySection
    key: str = Field(
        min_length=1,
        max_length=512,
        description="The entry's natural key: station_id, credit_code, code, lab_id, …",
    )
    operation: ChangeOperation
    entry: dict[str, Any] | None = Field(
        default=None,
        description="For upsert: the whole new entry, as in a registry file's section",
    )
    by: Name = Field(description="Who made the change (an official's or a system's name)")
    at: WireDatetime
    reason: Name = Field(description="Why: a notice number, a decision, a correction")

    @model_validator(mode="after")
    def _entry_fits(self) -> RegistryChange:
        if self.operation is ChangeOperation.UPSERT:
            if self.entry is None:
                raise ValueError("an upsert carries the new entry")
            model = REGISTRY_SECTIONS[self.section.value]
            parsed = model.model_validate_json(orjson.dumps(self.entry))
            if entry_key(self.section.value, parsed) != self.key:
                raise ValueError("key must be the entry's own natural key")
        elif self.entry is not None:
            raise ValueError("a retire carries no entry")
        elif self.section.value not in RETIRABLE_SECTIONS:
            raise ValueError(f"entries of {self.section.value} cannot be retired, only updated")
        return self

    def parsed_entry(self) -> Strict:
        """The entry validated by its section's model (upserts only)."""
        assert self.entry is not None
        return REGISTRY_SECTIONS[self.section.value].model_validate_json(orjson.dumps(self.entry))


def entry_key(section: str, entry: BaseModel) -> str:
    """An entry's natural key, as `RegistryChange.key` and the audit trail name it."""
    data = entry.model_dump(mode="json")
    if section == "products":
        return make_product_key(data["manufacturer_code"], data["brand"], data["model"])
    field = {
        "regions": "code",
        "stations": "station_id",
        "manufacturers": "credit_code",
        "product_kinds": "kind",
        "standards": "code",
        "labs": "lab_id",
        "experts": "expert_id",
    }[section]
    return str(data[field])
