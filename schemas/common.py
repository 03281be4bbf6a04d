"""Coded values and shared field types of the wire contract.

Coded fields are enums so that a station cannot invent a category that no rule downstream
understands; free text is bounded and scanned for personal identifiers.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
)
from pydantic import Strict as StrictMode
from pydantic_core import PydanticCustomError

from schemas.codes import check_gtin, check_jurisdiction, check_uscc
from schemas.privacy import refuse_personal_identifiers

SCHEMA_VERSION = 1


class Strict(BaseModel):
    """Base for every wire model: unknown fields are refused, values are immutable.

    Scalars are strict through their field types, not through `ConfigDict(strict=True)`:
    model-wide strict mode would also refuse, in Python mode, an enum given as its string
    value, a UUID or time given as a string and a tuple given as a list — exactly what a JSON
    document decoded into Python holds, and what the registry generator and many callers
    pass. The field types below are strict in the same way in JSON and Python mode: numbers
    and booleans are never coerced, times come only from ISO-8601 strings with an offset (or
    from aware `datetime` objects built by our own code). `test_schema_strict` walks every
    model and fails on a lax int, float, bool or datetime, so a new field cannot slip back.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --- strict scalars ---------------------------------------------------------------------------

WireInt = StrictInt
"""An integer only from a JSON integer: "4", 4.0, 4e0 and true are refused."""
WireBool = StrictBool
"""A boolean only from a JSON boolean: 1, "true" and "yes" are refused."""
WireFloat = StrictFloat
"""A number from a JSON number (integers included): "0.5" and true are refused."""

_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
    r"(?P<offset>Z|[+-][0-9]{2}:[0-9]{2})?"
)
_DATETIME_EXAMPLE = "2024-05-01T10:00:00+08:00"


def _parse_wire_datetime(value: object) -> object:
    """Turn an ISO-8601 string with an offset into a datetime; refuse every other spelling.

    Lax pydantic would read 1700000000 and "1700000000" as Unix time and "2024-01-01 00:00"
    (space separator) as a time too; a station clock sending epoch seconds by mistake would
    then be stored silently. Datetime objects pass: they are built by our own code.
    """
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "datetime_type",
            "Input should be an ISO-8601 date-time string with a UTC offset, such as {example}",
            {"example": _DATETIME_EXAMPLE},
        )
    match = _ISO_DATETIME.fullmatch(value)
    if match is None:
        raise PydanticCustomError(
            "datetime_parsing",
            "Input should be an ISO-8601 date-time such as {example} (YYYY-MM-DDThh:mm:ss±hh:mm)",
            {"example": _DATETIME_EXAMPLE},
        )
    if match.group("offset") is None:
        raise PydanticCustomError(
            "timezone_aware",
            "Input should have a UTC offset (+08:00 or Z), such as {example}",
            {"example": _DATETIME_EXAMPLE},
        )
    try:
        return datetime.fromisoformat(value)
    except ValueError as error:  # month 13, hour 25, offset beyond 24 h
        reason = {"reason": str(error)}
        raise PydanticCustomError(
            "datetime_parsing", "Input should be a valid date-time: {reason}", reason
        ) from error


def in_utc(moment: datetime) -> datetime:
    """`moment` as the instant in UTC (one without an offset is read as UTC).

    Raises ValueError, not OverflowError, when UTC cannot hold it: `9999-12-31T23:59:59-01:00`
    is a valid ISO-8601 time whose UTC year is 10000. Validators may raise ValueError (a 422,
    a dead letter); an OverflowError escapes them as a server error.
    """
    try:
        return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    except OverflowError as error:
        raise ValueError(f"{moment.isoformat()} is outside the years UTC holds (1-9999)") from error


def _representable_in_utc(moment: datetime) -> datetime:
    try:
        in_utc(moment)
    except ValueError as error:
        reason = {"reason": str(error)}
        raise PydanticCustomError(
            "datetime_range", "Input should be a time UTC can hold: {reason}", reason
        ) from error
    return moment


WireDatetime = Annotated[AwareDatetime, StrictMode(), BeforeValidator(_parse_wire_datetime)]
StoredDatetime = Annotated[WireDatetime, AfterValidator(_representable_in_utc)]
"""A wire time the API stores as sent (a lead's receipt): it must have a UTC form, which the
database column holds. Events need no such type: the intake's time windows refuse such a time
with their own reason (`event_time_out_of_range`)."""
"""A timezone-aware time from an ISO-8601 string with an offset, in JSON and Python mode."""


# --- Unicode ------------------------------------------------------------------------------------


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".rstrip()


class _HiddenTable(dict[int, str | None]):
    """`str.translate` table keeping only control, format and surrogate characters.

    Each character's category is looked up once, on first sight, like the privacy scan's class
    table: translating a clean string gives "" in one C-level pass instead of a Python loop
    calling `unicodedata.category` per character. Only characters seen are held, and at most
    `_HIDDEN_CACHED` of them, so text crafted to hold every code point cannot grow it without
    bound; past that, characters are still classified, only not remembered.
    """

    def __missing__(self, code_point: int) -> str | None:
        char = chr(code_point)
        value = char if unicodedata.category(char) in ("Cf", "Cc", "Cs") else None
        if len(self) < _HIDDEN_CACHED:
            self[code_point] = value
        return value


_HIDDEN_CACHED = 1 << 16


_HIDDEN = _HiddenTable()
_ASCII_CONTROLS = re.compile("[\x00-\x1f\x7f]")


def _has_hidden_character(text: str) -> bool:
    """Whether `text` holds a control, format or surrogate character (allowed ones included).

    ASCII text can hold only controls (C0 and DEL), found by one regular expression; other
    text goes through `_HIDDEN`.
    """
    if text.isascii():
        return _ASCII_CONTROLS.search(text) is not None
    return bool(text.translate(_HIDDEN))


def _refuse_hidden_characters(text: str, what: str, allowed: str = "") -> None:
    """Refuse control, format (invisible) and surrogate characters, naming the first one.

    Invisible characters make two strings that look identical compare different: "Acme" and
    "Ac<U+200B>me" would be two products, two risk histories, and a signal split in half.
    Clean text, nearly all of it, is passed by `_has_hidden_character` without the loop below,
    which names the first offending character (or finds only `allowed` ones).
    """
    if not _has_hidden_character(text):
        return
    for char in text:
        if char in allowed:
            continue
        category = unicodedata.category(char)
        if category == "Cf":
            raise PydanticCustomError(
                "invisible_character",
                "{what} contains the invisible format character {char}; remove it and resend",
                {"what": what, "char": _describe(char)},
            )
        if category == "Cc":
            raise PydanticCustomError(
                "control_character",
                "{what} contains the control character {char}; remove it and resend",
                {"what": what, "char": _describe(char)},
            )
        if category == "Cs":
            raise PydanticCustomError(
                "surrogate_character",
                "{what} contains an unpaired surrogate {char}; send valid Unicode",
                {"what": what, "char": _describe(char)},
            )


def _normalise_identifier(value: object) -> object:
    """NFKC-fold an identifier and refuse hidden characters before its pattern is checked.

    Runs before the pattern so the error names the problem ("invisible format character
    U+200B") instead of a bare pattern mismatch, and so a full-width "ＥＲ－１" is stored as the
    "ER-1" a regulator would type when searching.
    """
    if not isinstance(value, str):
        return value  # the str validator refuses it with the usual message
    folded = unicodedata.normalize("NFKC", value)
    _refuse_hidden_characters(folded, "identifier")
    return folded


JurisdictionCode = Annotated[str, AfterValidator(check_jurisdiction)]
CreditCode = Annotated[str, StringConstraints(to_upper=True), AfterValidator(check_uscc)]
Gtin = Annotated[str, AfterValidator(check_gtin)]
Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"),
    BeforeValidator(_normalise_identifier),
    AfterValidator(refuse_personal_identifiers),
]


def _system_id_or_clean(text: str) -> str:
    """A canonical UUID is an id this system issued (an event id), never a person's number:
    its hex groups can spell an 11-digit run that reads as a mobile number, so it is not
    scanned. Anything else a person typed is scanned like any identifier."""
    try:
        if str(uuid.UUID(text)) == text.lower():
            return text
    except ValueError:
        pass
    return refuse_personal_identifiers(text)


Reference = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"),
    BeforeValidator(_normalise_identifier),
    AfterValidator(_system_id_or_clean),
]
"""An outside channel's reference (a 12315 ticket, an article id) or an event id of ours."""
Code = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]


LABEL_MAX = 80
_LABEL_WHITESPACE_CONTROLS = "\t\n\r"  # collapsed to one space, like any other whitespace


def _label_normaliser(max_length: int) -> AfterValidator:
    def normalise(text: str) -> str:
        """NFKC-fold, refuse hidden characters, collapse whitespace, then bound the length.

        Tabs and line breaks (a name pasted from a spreadsheet cell) are whitespace and are
        collapsed; every other control or format character is refused, because it would make
        two labels that look the same key two different products. The bound is checked after
        folding because NFKC can expand one character into many ("㍿" → "株式会社"), and the
        stored column has a fixed size.
        """
        folded = unicodedata.normalize("NFKC", text)
        _refuse_hidden_characters(folded, "text", allowed=_LABEL_WHITESPACE_CONTROLS)
        folded = " ".join(folded.split())
        if not folded:
            raise PydanticCustomError(
                "string_too_short", "String should have at least 1 character (it is blank)"
            )
        if len(folded) > max_length:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters after normalisation",
                {"max_length": max_length},
            )
        return folded

    return AfterValidator(normalise)


Label = Annotated[
    str,
    StringConstraints(min_length=1, max_length=4 * LABEL_MAX),
    _label_normaliser(LABEL_MAX),
    AfterValidator(refuse_personal_identifiers),
]
"""Brand, model, names of items and shops: one line, NFKC-folded, no hidden characters."""
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=4 * 200),
    _label_normaliser(200),
    AfterValidator(refuse_personal_identifiers),
]
"""Names in the registry (stations, firms, labs, standards): a `Label` of up to 200 characters."""
PersonName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=4 * 100),
    _label_normaliser(100),
    AfterValidator(refuse_personal_identifiers),
]
"""An expert's name in the registry: a `Label` of up to 100 characters (experts.name)."""

# Bidi embeddings, overrides and isolates reorder what a reader sees ("Trojan Source"): an
# expert would read a different narrative from the one stored and scanned.
_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_FREE_TEXT_REFUSED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + _BIDI_CONTROLS + "\ud800-\udfff]")
# Invisible characters with no meaning in running text: stripped, not refused. They arrive
# with text pasted from word processors and web pages (soft hyphens, zero-width spaces, a
# byte-order mark) where the reporter cannot see them, so refusing would dead-letter honest
# reports for something nobody can find to remove. Tag characters can smuggle hidden ASCII.
# Zero-width (non-)joiners and left-to-right/right-to-left marks are kept: Persian, Indic
# scripts and emoji sequences need them, and the narrative is "free text in any language".
_FREE_TEXT_STRIPPED = dict.fromkeys(
    [
        *(0x00AD, 0x180E, 0x200B, 0xFEFF, 0xE0001),
        *range(0x2060, 0x2065),
        *range(0x206A, 0x2070),
        *range(0xFFF9, 0xFFFC),
        *range(0xE0020, 0xE0080),
    ]
)


def _free_text_normaliser(max_length: int) -> AfterValidator:
    def normalise(text: str) -> str:
        """NFKC-fold multi-line text, strip invisible characters, refuse controls.

        Windows line ends (CR LF, lone CR) become LF first: they are line breaks, not an
        attack. Then every control character except tab and line feed is refused (NUL
        truncates strings in C libraries and some databases), as are bidi controls.
        """
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        folded = unicodedata.normalize("NFKC", text).translate(_FREE_TEXT_STRIPPED).strip()
        bad = _FREE_TEXT_REFUSED.search(folded)
        if bad is not None:
            char = bad.group()
            kind = "bidi control" if char in _BIDI_CONTROLS else "control character"
            raise PydanticCustomError(
                "control_character",
                "text contains the {kind} {char}; remove it and resend",
                {"kind": kind, "char": _describe(char)},
            )
        if len(folded) > max_length:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters after normalisation",
                {"max_length": max_length},
            )
        return folded

    return AfterValidator(normalise)


FreeText = Annotated[
    str,
    StringConstraints(max_length=4000),
    _free_text_normaliser(4000),
    AfterValidator(refuse_personal_identifiers),
]
"""Multi-line text in any language (narratives): NFKC-folded, no controls but tab and LF."""
ShortText = Annotated[
    str,
    StringConstraints(max_length=200),
    _free_text_normaliser(200),
    AfterValidator(refuse_personal_identifiers),
]
"""Short free text (diagnosis, measured values, notes), with `FreeText`'s rules."""


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


class RiskLevel(StrEnum):
    """EU Safety Gate risk levels (DESIGN.md §4): low < medium < high < serious."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    SERIOUS = "serious"


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
