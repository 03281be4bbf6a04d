"""Coded values and shared field types of the wire contract.

Coded fields are enums so that a station cannot invent a category that no rule downstream
understands; free text is bounded and scanned for personal identifiers.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from schemas.codes import check_gtin, check_jurisdiction, check_uscc
from schemas.privacy import refuse_personal_identifiers

SCHEMA_VERSION = 1


class Strict(BaseModel):
    """Base for every wire model: unknown fields are refused, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


JurisdictionCode = Annotated[str, AfterValidator(check_jurisdiction)]
CreditCode = Annotated[str, StringConstraints(to_upper=True), AfterValidator(check_uscc)]
Gtin = Annotated[str, AfterValidator(check_gtin)]
Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]
Code = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]


LABEL_MAX = 80


def _normalise_label(text: str) -> str:
    """NFKC-fold and collapse whitespace, then bound the length of what will be stored.

    The bound is checked after folding because NFKC can expand one character into many
    ("㍿" → "株式会社"), and the stored column has a fixed size.
    """
    folded = " ".join(unicodedata.normalize("NFKC", text).split())
    if not folded:
        raise PydanticCustomError(
            "string_too_short", "String should have at least 1 character (it is blank)"
        )
    if len(folded) > LABEL_MAX:
        raise PydanticCustomError(
            "string_too_long",
            "String should have at most {max_length} characters after normalisation",
            {"max_length": LABEL_MAX},
        )
    return folded


Label = Annotated[
    str,
    StringConstraints(min_length=1, max_length=4 * LABEL_MAX),
    AfterValidator(_normalise_label),
    AfterValidator(refuse_personal_identifiers),
]
FreeText = Annotated[
    str, StringConstraints(max_length=4000), AfterValidator(refuse_personal_identifiers)
]
ShortText = Annotated[
    str, StringConstraints(max_length=200), AfterValidator(refuse_personal_identifiers)
]


class StationKind(StrEnum):
    HOSPITAL = "hospital"
    SCHOOL = "school"
    TRAFFIC_POLICE = "traffic_police"
    MALL = "mall"
    SUPERMARKET = "supermarket"
    ENFORCEMENT = "enforcement"
    LAB = "lab"
    MEDIA = "media"
    FIRM = "firm"


class ProductCategory(StrEnum):
    CHILDREN = "children"
    APPLIANCES = "appliances"
    ELECTRONICS = "electronics"
    TEXTILES = "textiles"
    FURNITURE = "furniture"
    VEHICLES = "vehicles"
    SPORTS = "sports"
    KITCHENWARE = "kitchenware"
    LIGHTING = "lighting"
    PERSONAL_CARE = "personal_care"


class Hazard(StrEnum):
    MECHANICAL = "mechanical"
    CUTS = "cuts"
    ELECTRIC_SHOCK = "electric_shock"
    FIRE = "fire"
    BURNS = "burns"
    CHOKING = "choking"
    SUFFOCATION = "suffocation"
    STRANGULATION = "strangulation"
    CHEMICAL = "chemical"
    ENTRAPMENT = "entrapment"
    DROWNING = "drowning"
    DAMAGE_TO_SIGHT = "damage_to_sight"
    DAMAGE_TO_HEARING = "damage_to_hearing"
    MICROBIOLOGICAL = "microbiological"
    OTHER = "other"


class ProductRef(Strict):
    """What a reporter knows about the product: enough to key its history consistently."""

    category: ProductCategory
    kind: Code = Field(description="Product kind code from the consumer-product taxonomy")
    manufacturer_code: CreditCode | None = Field(
        default=None, description="Unified social credit code (GB 32100), when known"
    )
    brand: Label
    model: Label
    gtin: Gtin | None = None
    batch: Identifier | None = None

    @property
    def product_key(self) -> str:
        return make_product_key(self.manufacturer_code, self.brand, self.model)


def make_product_key(manufacturer_code: str | None, brand: str, model: str) -> str:
    """Stable key for per-product state: partition key, table key and SQL column.

    Brand and model are compared case-insensitively (after the NFKC folding `Label` applies),
    so "MK-1" from a hospital and "mk-1" from a lab are one product's history.
    """
    return f"{manufacturer_code or 'unknown'}/{brand.casefold()}/{model.casefold()}"


PRODUCT_KEY_MAX = 18 + 2 + 2 * 3 * LABEL_MAX  # casefold may triple a character (e.g. "ΐ")
