"""Property-style: `process_record` answers Accepted or Rejected for any bytes, never raises.

Seeded `random`, no extra dependency: random bytes, byte-level mutations of a valid event and
structural mutations of its JSON, each re-signed so that it gets past authentication and
reaches the parser and the admission rules.
"""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Iterator
from typing import Any

import orjson

from recall.service.intake.admission import Accepted, RawRecord, Rejected, process_record
from schemas import DEAD_LETTER_ORIGINAL_MAX, CanonicalEvent
from schemas.signing import SIGNATURE_HEADER
from tests.unit.schemas.builders import (
    Event,
    heartbeat_event,
    injury_event,
    sampling_event,
    set_path,
    to_bytes,
)
from tests.unit.service.intake.intake_builders import NOW, RULES, raw_bytes

SEEDS = (2260, 32100, 11643)
VALID = (injury_event(), sampling_event(), heartbeat_event())
ODD_VALUES: tuple[Any, ...] = (
    None,
    True,
    -1,
    0,
    1.5,
    10**30,
    "",
    " ",
    "x" * 5000,
    "\u0000",
    "\ud7ff\ufeff",
    "１３８００１３８０００",
    "13800138000",
    "2024-02-30T00:00:00Z",
    [],
    {},
    [None],
    {"nested": {"deeper": [1, "2"]}},
)


def _check(record: RawRecord) -> Accepted | Rejected:
    outcome = process_record(record, RULES, NOW)
    assert isinstance(outcome, Accepted | Rejected)
    if isinstance(outcome, Rejected):
        letter = orjson.loads(outcome.dead_letter)
        value = record.value or b""
        kept = base64.b64decode(letter["original_b64"])
        assert kept == value[:DEAD_LETTER_ORIGINAL_MAX] or letter["redactions"] > 0
        assert letter["original_size"] == len(value)
        assert letter["original_sha256"] == hashlib.sha256(value).hexdigest()
    else:
        CanonicalEvent.model_validate_json(outcome.canonical)
    return outcome


def _random_bytes(rng: random.Random) -> bytes:
    return rng.randbytes(rng.randrange(0, 300))


def _mutate_bytes(rng: random.Random, value: bytes) -> bytes:
    data = bytearray(value)
    for _ in range(rng.randrange(1, 4)):
        where = rng.randrange(len(data)) if data else 0
        action = rng.randrange(5)
        if action == 0 and data:
            data[where] = rng.randrange(256)
        elif action == 1 and data:
            del data[where : where + rng.randrange(1, 20)]
        elif action == 2:
            data[where:where] = rng.randbytes(rng.randrange(1, 10))
        elif action == 3:
            data = data[:where]
        else:
            data[where:where] = data[rng.randrange(len(data) or 1) :][:30]
    return bytes(data)


def _leaf_paths(node: Any, prefix: str = "") -> Iterator[str]:
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for name, child in items:
        path = f"{prefix}{name}"
        yield path
        if isinstance(child, dict | list) and child:
            yield from _leaf_paths(child, f"{path}.")


def _mutate_structure(rng: random.Random, event: Event) -> Event:
    for _ in range(rng.randrange(1, 3)):
        event = set_path(event, rng.choice(list(_leaf_paths(event))), rng.choice(ODD_VALUES))
    return event


def _signed(value: bytes, reporter_id: str = "hosp-140105-01") -> RawRecord:
    return raw_bytes(value, key=reporter_id)


def test_random_bytes_never_raise() -> None:
    rng = random.Random(SEEDS[0])
    reasons = set()
    for _ in range(100):
        value = _random_bytes(rng)
        reasons.add(_check(_signed(value)).__class__)
        _check(raw_bytes(value, headers=[(SIGNATURE_HEADER, rng.randbytes(64))]))
        _check(raw_bytes(value, key=rng.randbytes(rng.randrange(0, 10)), headers=[]))
    assert reasons == {Rejected}


def test_byte_mutations_of_valid_events_never_raise() -> None:
    rng = random.Random(SEEDS[1])
    outcomes: set[type] = set()
    for _ in range(300):
        event = rng.choice(VALID)
        value = _mutate_bytes(rng, to_bytes(event))
        outcomes.add(type(_check(_signed(value, event["reporter_id"]))))
    assert Rejected in outcomes


def test_structural_mutations_of_valid_events_never_raise() -> None:
    rng = random.Random(SEEDS[2])
    reasons = set()
    for _ in range(300):
        event = _mutate_structure(rng, rng.choice(VALID))
        claimed = event.get("reporter_id")
        key = claimed if isinstance(claimed, str) and claimed else "hosp-140105-01"
        outcome = _check(_signed(to_bytes(event), key))
        if isinstance(outcome, Rejected):
            reasons.add(outcome.reason.value)
    # an unregistered reporter has no active key, so it is refused as unauthenticated
    assert {"schema", "unauthenticated"} <= reasons


def test_deeply_nested_json_never_raises() -> None:
    for depth in (100, 1000, 20_000):
        _check(_signed(b"[" * depth + b"]" * depth))
        _check(_signed(b'{"a":' * depth + b"1" + b"}" * depth))
