"""Signed raw records and a registry of reporters for the intake use case."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from recall.domain.intake import Reporter
from recall.service.intake.admission import IntakeRules, RawRecord
from schemas.signing import (
    SigningKey,
    StationKeyring,
    derive_station_key,
    signing_headers,
)
from tests.unit.schemas.builders import LAB, REPORTER, Event, to_bytes

MASTER = "unit-test-master-secret"
NOW = datetime(2024, 5, 1, 4, 30, tzinfo=UTC)
TOPIC = "intake.raw"
PARTITION = 3
OFFSET = 1234

REPORTERS: dict[str, Reporter] = {
    r.reporter_id: r
    for r in (
        Reporter(REPORTER, "hospital", "140105", enabled=True),
        Reporter(LAB, "lab", "140100", enabled=True),
        Reporter("hosp-140106-01", "hospital", "140106", enabled=True),
        Reporter("city-hosp-140100", "hospital", "140100", enabled=True),
        Reporter("prov-enf-140000", "enforcement", "140000", enabled=True),
        Reporter("firm-acme", "firm", "140100", enabled=True),
        Reporter("hosp-disabled", "hospital", "140105", enabled=False),
    )
}


# "hosp-ghost" holds a key but is not in the registry (a station removed from it).
KEYRING = StationKeyring(MASTER, {r: frozenset({1}) for r in [*REPORTERS, "hosp-ghost"]})
RULES = IntakeRules(REPORTERS, KEYRING)


def key_of(reporter_id: str, version: int = 1) -> bytes:
    return derive_station_key(MASTER, reporter_id, version)


def signed_headers(value: bytes, signer: str, version: int = 1) -> list[tuple[str, bytes]]:
    return signing_headers(SigningKey(signer, version, key_of(signer, version)), value)


def raw_bytes(
    value: bytes | None,
    *,
    key: str | bytes | None = REPORTER,
    signer: str | None = None,
    headers: Sequence[tuple[str, bytes]] | None = None,
) -> RawRecord:
    """A record as a station would produce it: key = reporter id, value signed by `signer`.

    `signer` defaults to the key's reporter; pass `headers` to replace the signature header.
    """
    key_bytes = key.encode() if isinstance(key, str) else key
    if headers is None:
        who = signer or (key if isinstance(key, str) else REPORTER)
        headers = signed_headers(value or b"", who)
    return RawRecord(TOPIC, PARTITION, OFFSET, key_bytes, value, headers)


class _FromEvent:
    """Marker: take the record key from the event's own reporter id."""


FROM_EVENT = _FromEvent()


def raw(
    event: Event,
    *,
    key: str | bytes | _FromEvent | None = FROM_EVENT,
    signer: str | None = None,
    headers: Sequence[tuple[str, bytes]] | None = None,
) -> RawRecord:
    """A signed record for an event dict; the key defaults to the event's reporter id."""
    if isinstance(key, _FromEvent):
        key = str(event.get("reporter_id", REPORTER))
    return raw_bytes(to_bytes(event), key=key, signer=signer, headers=headers)
