"""Injury report: one case from a monitoring station.

Modelled on national injury surveillance cards and NEISS. It holds age and sex only — no
field can carry a name, phone or ID number, and free text is scanned for them.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from schemas.common import (
    FreeText,
    Identifier,
    ProductRef,
    ShortText,
    Strict,
    WireDatetime,
    WireInt,
)


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class BodyPart(StrEnum):
    HEAD = "head"
    FACE = "face"
    EYE = "eye"
    NECK = "neck"
    TRUNK = "trunk"
    UPPER_LIMB = "upper_limb"
    HAND = "hand"
    LOWER_LIMB = "lower_limb"
    FOOT = "foot"
    INTERNAL = "internal"
    MULTIPLE = "multiple"
    UNKNOWN = "unknown"


class InjuryNature(StrEnum):
    CONTUSION_ABRASION = "contusion_abrasion"
    LACERATION = "laceration"
    FRACTURE = "fracture"
    DISLOCATION = "dislocation"
    SPRAIN_STRAIN = "sprain_strain"
    BURN_SCALD = "burn_scald"
    ELECTRIC_SHOCK = "electric_shock"
    POISONING = "poisoning"
    FOREIGN_BODY = "foreign_body"
    CHOKING_SUFFOCATION = "choking_suffocation"
    DROWNING = "drowning"
    CONCUSSION = "concussion"
    INTERNAL_ORGAN = "internal_organ"
    AMPUTATION = "amputation"
    CRUSH = "crush"
    OTHER = "other"


class Mechanism(StrEnum):
    FALL = "fall"
    CUT_PIERCE = "cut_pierce"
    STRUCK_BY = "struck_by"
    CAUGHT_IN = "caught_in"
    FIRE_FLAME = "fire_flame"
    HOT_OBJECT = "hot_object"
    ELECTRIC = "electric"
    CHEMICAL = "chemical"
    CHOKING = "choking"
    SUFFOCATION = "suffocation"
    STRANGULATION = "strangulation"
    ENTRAPMENT = "entrapment"
    TIP_OVER = "tip_over"
    EXPLOSION = "explosion"
    INGESTION = "ingestion"
    DROWNING = "drowning"
    OTHER = "other"


class Disposition(StrEnum):
    TREATED_RELEASED = "treated_released"
    OBSERVED = "observed"
    HOSPITALISED = "hospitalised"
    TRANSFERRED = "transferred"
    DIED = "died"


class Setting(StrEnum):
    HOME = "home"
    SCHOOL = "school"
    PUBLIC_PLACE = "public_place"
    ROAD = "road"
    WORKPLACE = "workplace"
    SPORTS_VENUE = "sports_venue"
    OTHER = "other"


class Activity(StrEnum):
    PLAY = "play"
    SPORTS = "sports"
    HOUSEWORK = "housework"
    WORK = "work"
    TRAVEL = "travel"
    EATING = "eating"
    SLEEPING = "sleeping"
    OTHER = "other"


class InjuryReport(Strict):
    """The payload of an `injury_report` event."""

    case_ref: Identifier = Field(description="The station's own case reference (not a patient id)")
    occurred_at: WireDatetime
    age_years: WireInt | None = Field(default=None, ge=0, le=120)
    sex: Sex
    body_part: BodyPart
    injury_nature: InjuryNature
    diagnosis: ShortText | None = None
    mechanism: Mechanism
    disposition: Disposition
    setting: Setting
    activity: Activity
    product: ProductRef
    narrative: FreeText = Field(default="", description="Free text in any language")
