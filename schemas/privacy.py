"""Refuse personal identifiers in free text.

Injury reports must never carry a patient's name, phone or ID number (DESIGN.md §2). Structured
fields cannot hold them (there is no such field and unknown fields are refused); free text is the
remaining hole, so it is scanned for the shapes that identify a person.
"""

from __future__ import annotations

import re
import unicodedata

from schemas.codes import is_resident_id_number

_ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_BIRTH_IN_15 = re.compile(r"^\d{6}(\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}$")


def personal_identifier_in(text: str) -> str | None:
    """Name the kind of personal identifier found in `text`, or None when it looks clean.

    The scan runs on the NFKC form, so full-width digits typed with a Chinese input method
    (１３８…, Ｘ) are caught like ASCII ones.
    """
    text = unicodedata.normalize("NFKC", text)
    for match in _ID_CANDIDATE.finditer(text):
        candidate = match.group(1)
        if len(candidate) == 18 and is_resident_id_number(candidate):
            return "a resident ID number (居民身份证号)"
        if len(candidate) == 15 and _BIRTH_IN_15.match(candidate):
            return "a 15-digit resident ID number (旧版身份证号)"
    if _MOBILE.search(text):
        return "a mobile phone number (手机号)"
    return None


def refuse_personal_identifiers(text: str) -> str:
    """Pydantic after-validator: pass text through or explain what must be removed."""
    found = personal_identifier_in(text)
    if found:
        raise ValueError(
            f"text contains what looks like {found}; reports must not identify patients — "
            "remove it and resend"
        )
    return text
