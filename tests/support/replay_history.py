"""A stored history for the replay tests: canonical records as the intake produced them, and
the same events as `events` rows, so the live agent and the replay read the same facts.

Forty days of a few kitchenware products (and one appliance), seeded: a quiet background of
minor burns; a spike of eight on one day (a `live_nb` signal), three hospitalisations within
a week (a `severe_cluster`), a death (a `fatal_case`), a failed sampling clause with a serious
scenario (a `sampling_failure`), and reports that arrive days after they occurred (late).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import orjson

from recall.service.risk.replay import StoredEvent
from streams.agents.risk import process_risk_batch
from tests.support.fakes.risk_agents import FakeBroker, recording_ports

START = datetime(2024, 9, 1, 1, 0, tzinfo=UTC)
DAYS = 40
PRODUCTS = (*(f"unknown/acme/k-{n}" for n in range(5)), "unknown/acme/fan-1")
JURISDICTION = "140105"


@dataclass(frozen=True, slots=True)
class Stored:
    """One accepted event: its canonical record (as on `events.canonical`) and its row."""

    canonical: dict[str, Any]
    row: dict[str, Any]

    @property
    def event(self) -> StoredEvent:
        r = self.row
        return StoredEvent(
            r["event_id"], r["type"], r["jurisdiction"], r["product_key"], r["payload"],
            r["received_at"],
        )  # fmt: skip


def history(seed: int = 7) -> list[Stored]:
    """The history in arrival order (receipt time, then source offset)."""
    rng = random.Random(seed)
    events: list[tuple[datetime, datetime, str, dict[str, Any]]] = []
    for day in range(DAYS):
        base = START + timedelta(days=day)
        for product in PRODUCTS:
            for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
                events.append(_injury(rng, base, product, "treated_released"))
    spike = START + timedelta(days=30)
    events += [_injury(rng, spike, PRODUCTS[0], "treated_released") for _ in range(8)]
    events += [
        _injury(rng, START + timedelta(days=d), PRODUCTS[1], "hospitalised") for d in (20, 21, 23)
    ]
    events.append(_injury(rng, START + timedelta(days=15), PRODUCTS[2], "died"))
    events.append(_sampling(rng, START + timedelta(days=10), PRODUCTS[3]))
    late = _injury(rng, START + timedelta(days=12), PRODUCTS[4], "treated_released")
    events.append((late[0], late[1] + timedelta(days=9), late[2], late[3]))
    events.sort(key=lambda e: e[1])
    return [_stored(n, *event) for n, event in enumerate(events)]


def _injury(
    rng: random.Random, day: datetime, product: str, disposition: str
) -> tuple[datetime, datetime, str, dict[str, Any]]:
    occurred = day + timedelta(minutes=rng.randrange(0, 600))
    payload = {
        "occurred_at": occurred.isoformat(),
        "disposition": disposition,
        "injury_nature": "burn_scald",
        "body_part": "hand",
        "age_years": rng.randrange(2, 80),
        "mechanism": "hot_object",
        "product": {"category": "appliances" if "fan" in product else "kitchenware"},
    }
    received = occurred + timedelta(minutes=rng.randrange(1, 240))
    return occurred, received, product, {"type": "injury_report", "payload": payload}


def _sampling(
    rng: random.Random, day: datetime, product: str
) -> tuple[datetime, datetime, str, dict[str, Any]]:
    payload = {
        "sampled_at": day.isoformat(),
        "product": {"category": "kitchenware"},
        "items": [{"clause": "8.1", "verdict": "fail"}, {"clause": "13.2", "verdict": "pass"}],
        "hazards": ["electric_shock"],
        "vulnerable_users": True,
    }
    received = day + timedelta(hours=rng.randrange(1, 5))
    return day, received, product, {"type": "sampling_result", "payload": payload}


def _stored(
    offset: int, occurred: datetime, received: datetime, product: str, body: dict[str, Any]
) -> Stored:
    event_id = str(uuid.UUID(int=offset + 1, version=4))
    event = {"event_id": event_id, "jurisdiction": JURISDICTION, **body, "reporter_id": "H1"}
    canonical = {"event": event, "product_key": product, "received_at": received.isoformat()}
    row = {
        "reporter_id": "H1",
        "event_id": event_id,
        "type": body["type"],
        "jurisdiction": JURISDICTION,
        "product_key": product,
        "occurred_at": occurred,
        "sent_at": received,
        "received_at": received,
        "source_topic": "intake.raw",
        "source_partition": 0,
        "source_offset": offset,
        "content_hash": None,
        "payload": body["payload"],
    }
    return Stored(canonical, row)


def live_run(
    stored: list[Stored], batch: int
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The live agent's own batch code (`process_risk_batch`) over the history, against a
    recording broker and an in-memory table: its last score record per product, and its
    signal records by id."""
    broker, table = FakeBroker(), dict[bytes, bytes]()
    ports = recording_ports(broker, table)

    async def run() -> None:
        for messages, now in live_batches(stored, batch):
            for key, value in await process_risk_batch(messages, ports, now):
                table[key] = value

    asyncio.run(run())
    scores = {s["product_key"]: s for s in broker.on("scores")}
    return scores, {s["signal_id"]: s for s in broker.on("signals")}


def live_batches(stored: list[Stored], size: int) -> list[tuple[list[SimpleNamespace], datetime]]:
    """The history as the live agent takes it: `size` records a batch, each assessed at its
    latest receipt time, each message timestamped when the intake produced it."""
    out = []
    for start in range(0, len(stored), size):
        chunk = stored[start : start + size]
        messages = [
            SimpleNamespace(
                topic="events.canonical",
                partition=0,
                offset=start + n,
                value=orjson.dumps(s.canonical),
                timestamp=s.row["received_at"].timestamp(),
            )
            for n, s in enumerate(chunk)
        ]
        out.append((messages, max(s.row["received_at"] for s in chunk)))
    return out
