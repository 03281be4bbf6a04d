"""Recall events as firms and hospitals send them, and the in-memory storage they land in."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from recall.domain.intake import Reporter
from recall.domain.recalls import Incident, IncidentKind
from recall.service.ports import OutputTopics
from recall.service.recalls.intake import Refusal, check_and_store
from schemas import STATION_EVENT_ADAPTER
from schemas.common import ProductRef
from schemas.envelope import (
    InjuryReportEvent,
    RecallNoticeEvent,
    RecallProgressReportEvent,
    StationEvent,
)
from schemas.recalls import LevelCounts, RecallNotice, RecallProgressReport
from tests.support.fakes.recalls import MemoryRecallRepository
from tests.support.memory_storage import MemoryStorage
from tests.unit.schemas.builders import USCC, injury_payload
from tests.unit.schemas.builders import product as product_json

START = datetime(2025, 1, 1, tzinfo=UTC)
FIRM = "firm-acme"
AREA = "140105"
AFFECTED = 1000
BATCH = "B1"
PRODUCT = ProductRef(
    category="appliances", kind="electric_kettle", manufacturer_code=USCC, brand="Acme", model="K-1"
)
REPORTERS = {FIRM: Reporter(FIRM, "firm", AREA, True, USCC)}
TOPICS = OutputTopics(investigations="inv", effectiveness="eff", alerts="alerts")


def day(n: float) -> datetime:
    return START + timedelta(days=n)


def corrected_at(n: float, final: float = 0.7, tau: float = 60.0) -> int:
    """Exact saturating curve: final × (1 − e^(−day/τ)) of the affected units."""
    return round(AFFECTED * final * -math.expm1(-n / tau))


def notice(
    recall_id: str = "R-1",
    *,
    start: datetime = START,
    days: int = 180,
    target_rate: float = 0.5,
    reporter: str = FIRM,
    maker: str = USCC,
    event_id: uuid.UUID | None = None,
) -> RecallNoticeEvent:
    payload = RecallNotice(
        recall_id=recall_id,
        kind="voluntary",
        title="Kettle lid may open while boiling",
        product=PRODUCT.model_copy(update={"manufacturer_code": maker}),
        batches=(BATCH,),
        affected={"consumer": AFFECTED},
        hazard="burns",
        risk_level="high",
        remedies=("repair",),
        channels=("direct_notice",),
        start=start,
        target_date=start + timedelta(days=days),
        target_rate=target_rate,
    )
    return RecallNoticeEvent(
        event_id=event_id or uuid.uuid4(),
        reporter_id=reporter,
        jurisdiction=AREA,
        sent_at=start,
        payload=payload,
    )


def report(
    k: int,
    corrected: int,
    *,
    recall_id: str = "R-1",
    start: datetime = START,
    late_days: float = 0.0,
    refused: bool = False,
    reporter: str = FIRM,
    event_id: uuid.UUID | None = None,
) -> RecallProgressReportEvent:
    """Report k covers days 30(k−1)..30k and is sent `late_days` after its period ends."""
    end = start + timedelta(days=30 * k)
    located = max(corrected, 900)
    payload = RecallProgressReport(
        recall_id=recall_id,
        sequence=k,
        period_start=end - timedelta(days=30),
        period_end=end,
        levels={
            "consumer": LevelCounts(
                located=located, notified=located, corrected={"repair": corrected}
            )
        },
        refused=refused,
    )
    return RecallProgressReportEvent(
        event_id=event_id or uuid.uuid4(),
        reporter_id=reporter,
        jurisdiction=AREA,
        sent_at=end + timedelta(days=late_days),
        payload=payload,
    )


def reports(count: int, *, final: float = 0.7, tau: float = 60.0, **kw: Any) -> list[StationEvent]:
    return [report(k, corrected_at(30 * k, final, tau), **kw) for k in range(1, count + 1)]


def injury(occurred_at: datetime, *, batch: str | None = BATCH) -> InjuryReportEvent:
    payload = injury_payload(
        occurred_at=occurred_at.isoformat(),
        product=product_json(
            category="appliances", kind="electric_kettle", brand="Acme", model="K-1", batch=batch
        ),
    )
    event = {
        "event_id": str(uuid.uuid4()),
        "schema_version": 1,
        "reporter_id": "hosp-140105-01",
        "jurisdiction": AREA,
        "sent_at": occurred_at.isoformat(),
        "type": "injury_report",
        "payload": payload,
    }
    parsed = STATION_EVENT_ADAPTER.validate_json(orjson.dumps(event))
    assert isinstance(parsed, InjuryReportEvent)
    return parsed


def accepted(event: InjuryReportEvent) -> Incident:
    """The incident an injury report stands for, as the intake stored it earlier."""
    payload = event.payload
    product = payload.product
    return Incident(
        str(event.event_id),
        IncidentKind.INJURY,
        payload.occurred_at,
        product.product_key,
        product.batch,
    )


def memory_storage() -> MemoryStorage:
    return MemoryStorage(recalls=MemoryRecallRepository())


def intake(
    storage: MemoryStorage, events: Sequence[StationEvent], now: datetime
) -> dict[tuple[str, str], Refusal]:
    """What the intake batch does: check and store the events in one unit of work."""
    with storage.transaction() as tx:
        return check_and_store(tx, events, REPORTERS, now)


def seeded(events: Sequence[StationEvent], now: datetime) -> MemoryStorage:
    storage = memory_storage()
    assert intake(storage, events, now) == {}
    return storage


def repository(storage: MemoryStorage) -> MemoryRecallRepository:
    recalls = storage.state.recalls
    assert isinstance(recalls, MemoryRecallRepository)
    return recalls


def published(storage: MemoryStorage, topic: str) -> list[dict[str, Any]]:
    """Values queued on the outbox for `topic`, decoded, in the order they were queued."""
    return [
        orjson.loads(r.value) for r in storage.state.outbox.records.values() if r.topic == topic
    ]


def states(storage: MemoryStorage, recall_id: str = "R-1") -> list[str]:
    return [step.to_state.value for step in repository(storage).recalls[recall_id].history]
