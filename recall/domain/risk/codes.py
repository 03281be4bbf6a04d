"""The shared code vocabularies this package reasons about.

The wire schemas carry these as plain strings; the enums exist so rules are written against
names mypy can check, and so an unknown string is refused once, at the boundary, with a message
that lists what is allowed. `StrEnum` members compare equal to their string values.
"""

from enum import StrEnum
from typing import TypeVar

from recall.domain.risk.errors import UnknownCodeError


class Disposition(StrEnum):
    TREATED_RELEASED = "treated_released"
    OBSERVED = "observed"
    HOSPITALISED = "hospitalised"
    TRANSFERRED = "transferred"
    DIED = "died"


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


E = TypeVar("E", bound=StrEnum)


def parse_code(enum: type[E], value: str) -> E:
    """Return the member for `value`, or raise `UnknownCodeError` naming the allowed values."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise UnknownCodeError(
            f"{enum.__name__.lower()} {value!r} is not a shared code; expected one of: {allowed}"
        ) from None
