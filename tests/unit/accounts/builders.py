"""Shared by the accounts tests: a registry with one station, one firm reporter, one expert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recall.service.accounts.ports import RegisteredStation
from tests.support.fakes.accounts import MemoryAccountStorage, MemoryRegistry

STATION = "HOSP-140105-001"
FIRM_REPORTER = "FIRM-91140100MA0000000X"
FIRM_CODE = "91140100MA0000000X"
EXPERT = "EXP-0001"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def registry() -> MemoryRegistry:
    return MemoryRegistry(
        stations={
            STATION: RegisteredStation(STATION, "hospital", True, None),
            FIRM_REPORTER: RegisteredStation(FIRM_REPORTER, "firm", True, FIRM_CODE),
            "OFF-1": RegisteredStation("OFF-1", "school", False, None),
        },
        experts={EXPERT},
    )


def storage() -> MemoryAccountStorage:
    return MemoryAccountStorage(registry())
