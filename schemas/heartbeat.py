"""Station heartbeat: lets regulators see a silent station before its silence hides injuries."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from schemas.common import Strict, WireInt


class StationStatus(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"


class StationHeartbeat(Strict):
    """The payload of a `station_heartbeat` event."""

    status: StationStatus
    software_version: str = Field(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z.+_-]+$")
    queued_reports: WireInt = Field(default=0, ge=0, le=10_000_000)
