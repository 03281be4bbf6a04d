"""Builders for the tests of the investigation stage: signals, experts, storage in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from recall.domain.experts import Expert
from recall.service.ports import OutputTopics
from schemas.risk import SignalRaised
from tests.support.fakes.investigations import MemoryInvestigationRepository
from tests.support.memory_storage import MemoryStorage

USCC = "91140100MA0L2K3M4N"
PRODUCT = f"{USCC}/acme/k-1"
OTHER_PRODUCT = f"{USCC}/acme/k-2"
HAZARD = "electric_shock"
RAISED = datetime(2024, 3, 1, 9, tzinfo=UTC)
TOPICS = OutputTopics(
    investigations="t.investigations.events", effectiveness="t.effectiveness", alerts="t.alerts"
)


def signal(
    signal_id: str = "sig-1",
    *,
    product_key: str = PRODUCT,
    hazard: str = HAZARD,
    method: str = "live_nb",
    risk_level: str = "serious",
    raised_at: datetime = RAISED,
    trigger_sent_at: datetime | None = None,
    jurisdiction: str = "140105",
) -> SignalRaised:
    return SignalRaised(
        signal_id=signal_id,
        product_key=product_key,
        hazard=hazard,
        category="appliances",
        jurisdiction=jurisdiction,
        method=method,
        risk_level=risk_level,
        day=raised_at.date().isoformat(),
        observed=7.0,
        expected=1.5,
        threshold=3.0,
        statistic=4.2,
        window="2024-02-23/2024-03-01",
        explanation=("7 shocks in 7 days", "expected 1.5"),
        trigger_event_id=f"ev-{signal_id}",
        raised_at=raised_at,
        trigger_sent_at=trigger_sent_at,
    )


def later(hours: float = 1) -> datetime:
    """A moment after anything the services stamp now (for evidence after a conclusion)."""
    return datetime.now(UTC) + timedelta(hours=hours)


def expert(expert_id: str, jurisdiction: str = "140105", *, linked: tuple[str, ...] = ()) -> Expert:
    return Expert(
        expert_id=expert_id,
        name=f"专家 {expert_id}",
        categories=frozenset({"appliances"}),
        jurisdiction=jurisdiction,
        linked_firms=frozenset(linked),
    )


def panel_pool() -> list[Expert]:
    """Four experts; EXP-001 (best ranked by place) works for the manufacturer."""
    return [
        expert("EXP-001", "140105", linked=(USCC,)),
        expert("EXP-002", "140105"),
        expert("EXP-003", "140100"),
        expert("EXP-004", "310101"),
    ]


def memory_storage(experts: list[Expert] | None = None, **others: Any) -> MemoryStorage:
    repository = MemoryInvestigationRepository.with_experts(experts or [])
    return MemoryStorage(investigations=repository, **others)


def repository(storage: MemoryStorage) -> MemoryInvestigationRepository:
    """The committed state of the investigations (what a later transaction would see)."""
    found = storage.state.investigations
    assert isinstance(found, MemoryInvestigationRepository)
    return found


def outbox(storage: MemoryStorage) -> dict[str, dict[str, Any]]:
    """Committed outbox records by id: their topic and key beside the decoded value."""
    return {
        record_id: {"topic": r.topic, "key": r.key, **orjson.loads(r.value)}
        for record_id, r in storage.state.outbox.records.items()
    }


def alerts(storage: MemoryStorage) -> dict[str, dict[str, Any]]:
    """Committed alerts by kind."""
    return {v["kind"]: v for v in outbox(storage).values() if v["topic"] == TOPICS.alerts}
