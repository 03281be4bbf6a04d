"""Stored injury reports for the lead-triage tests: what a newsroom or a hospital sent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from recall.adapters.db.models import Event, Station


def station(station_id: str, kind: str) -> Station:
    """A registered station of `kind` in 140105."""
    return Station(station_id=station_id, kind=kind, name=station_id, jurisdiction="140105")


def stored_report(i: int, reporter: str) -> Event:
    """Accepted injury report number `i` (its event id is UUID(int=i)): a heater fire."""
    at = datetime(2025, 6, 1, 8, tzinfo=UTC)
    return Event(
        reporter_id=reporter,
        event_id=str(uuid.UUID(int=i)),
        type="injury_report",
        jurisdiction="140105",
        product_key="unknown/acme/k-5",
        occurred_at=at,
        sent_at=at,
        received_at=at,
        source_topic="intake",
        source_partition=0,
        source_offset=i,
        payload={
            "mechanism": "fire_flame",
            "injury_nature": "burn_scald",
            "narrative": "电暖器起火 the heater caught fire",
            "product": {
                "category": "appliances",
                "kind": "electric_heater",
                "brand": "Acme",
                "model": "K-5",
            },
        },
    )
