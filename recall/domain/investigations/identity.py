"""Deterministic investigation identity: one investigation per (product_key, hazard, seq).

Why deterministic: the stream layer delivers at least once and a worker may die between opening an
investigation and committing its offset. If the id were random, the replay would open a second
investigation; because the id is a pure function of what the investigation is *about*, the replay
computes the same id and the write becomes an upsert (SQL primary key, Kafka message key).

`seq` starts at 1 and grows only when a concluded investigation is followed by a new one for the
same product and hazard (see `routing.py`), so at most one investigation per pair is open at a
time and the history of earlier decisions is preserved.
"""

from __future__ import annotations

import json
import uuid

from recall.domain.investigations.model import HAZARDS, InvestigationInputError

INVESTIGATION_NAMESPACE = uuid.UUID("5d1f0c3e-8a57-5b7e-9c1e-3f4a2b6d7e80")
"""Fixed UUIDv5 namespace; changing it would re-key every stored investigation. Never change it."""

UNKNOWN_MANUFACTURER = "unknown"


def _check_key(product_key: str, hazard: str, seq: int) -> None:
    if not isinstance(product_key, str) or not product_key.strip():
        raise InvestigationInputError("product_key must be non-empty text")
    if hazard not in HAZARDS:
        raise InvestigationInputError(
            f"hazard {hazard!r} is not a hazard code; expected one of {sorted(HAZARDS)}"
        )
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise InvestigationInputError(f"seq must be an integer >= 1, got {seq!r}")


def investigation_id_for(product_key: str, hazard: str, seq: int) -> str:
    """UUIDv5 (RFC 4122) string naming investigation number `seq` of (product_key, hazard).

    The three parts are JSON-encoded before hashing so no choice of separator can make two
    different keys collide ("a/b" + "c" versus "a" + "b/c"). `product_key` is taken as given:
    the adapters normalise it, and normalising twice could silently merge two products.
    """
    _check_key(product_key, hazard, seq)
    name = json.dumps([product_key, hazard, seq], ensure_ascii=False, separators=(",", ":"))
    return str(uuid.uuid5(INVESTIGATION_NAMESPACE, name))


def manufacturer_of(product_key: str) -> str | None:
    """The unified social credit code that starts a product key, or None when it is unknown.

    Product keys are ``"<uscc or 'unknown'>/<brand>/<model>"``; the manufacturer is what the
    conflict-of-interest rule for expert panels is checked against.
    """
    head = product_key.split("/", 1)[0].strip()
    if not head or head == UNKNOWN_MANUFACTURER:
        return None
    return head
