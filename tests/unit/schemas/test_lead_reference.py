"""A lead's reference: a person's number in a typed ticket reference is refused; an event id of
ours (a canonical UUID) is never read as one, whatever digits its hex groups spell."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from schemas.common import Reference

REFERENCE: TypeAdapter[str] = TypeAdapter(Reference)


@pytest.mark.parametrize(
    "text", ["13800138-000a-4bcd-8000-000000000000", "12315-2026-000123", "ART.2026:77"]
)
def test_accepted(text: str) -> None:
    assert REFERENCE.validate_python(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "T13800138000",  # a mobile number in a typed reference
        "13800138-000a-4bcd-8000-00000000000",  # one digit short: not a UUID, so scanned
        "13800138-000A-4BCD-8000-00000000000X",  # not hex: scanned
    ],
)
def test_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="must not identify patients"):
        REFERENCE.validate_python(text)
