"""One investigation opened by a signal, with the experts a panel is chosen from."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Expert
from recall.adapters.db.storage import SqlStorage
from recall.service.investigations.signals import handle_signals
from recall.service.ports import OutputTopics
from schemas.risk import SignalRaised

USCC = "91140100MA0L2K3M4N"
PRODUCT = f"{USCC}/acme/k-1"
TOPICS = OutputTopics()


def signal(signal_id: str = "sig-1") -> SignalRaised:
    return SignalRaised(
        signal_id=signal_id,
        product_key=PRODUCT,
        hazard="electric_shock",
        category="appliances",
        jurisdiction="140105",
        method="ears_c2",
        risk_level="serious",
        day="2024-03-01",
        observed=7.0,
        expected=1.5,
        statistic=4.2,
        threshold=3.0,
        window="2024-W09",
        explanation=("7 shocks in week 9", "expected 1.5"),
        trigger_event_id="ev-1",
        raised_at=datetime(2024, 3, 1, 9, tzinfo=UTC),
    )


def expert(expert_id: str, jurisdiction: str, *, linked: tuple[str, ...] = ()) -> Expert:
    return Expert(
        expert_id=expert_id,
        name=f"专家 {expert_id}",
        jurisdiction=jurisdiction,
        categories=["appliances"],
        linked_firms=list(linked),
        active=True,
    )


def open_investigation(db: sessionmaker[Session]) -> str:
    """One opened investigation (region 140105) and four experts; EXP-001 (best ranked) works
    for the maker."""
    outcome = handle_signals(SqlStorage(db), [signal()], topics=TOPICS)
    with db.begin() as session:
        session.add_all(
            [
                expert("EXP-001", "140105", linked=(USCC,)),
                expert("EXP-002", "140105"),
                expert("EXP-003", "140100"),
                expert("EXP-004", "310101"),
            ]
        )
    return outcome.opened[0]
