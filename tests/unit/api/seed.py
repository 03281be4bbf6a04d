"""Data for the API tests: investigations, recalls and dead letters across three regions,
stored the way the agents store them (signals through `handle_signals`, notices and reports
through the intake's `check_and_store`)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import DeadLetterRow, Station
from recall.adapters.db.models import Expert as ExpertRow
from recall.adapters.db.storage import SqlStorage
from recall.domain.access import Principal, Role
from recall.domain.intake import Reporter
from recall.service.investigations.signals import handle_signals
from recall.service.ports import OutputTopics
from recall.service.recalls.effectiveness import update_effectiveness
from recall.service.recalls.intake import check_and_store
from recall.tools.registry.sample import credit_code
from schemas.common import ProductRef
from schemas.envelope import RecallNoticeEvent, RecallProgressReportEvent, StationEvent
from schemas.recalls import LevelCounts, RecallNotice, RecallProgressReport
from schemas.risk import SignalRaised
from tests.unit.recalls_cli.recalls_cli_support import corrected_at

TAIYUAN_MAKER = credit_code(random.Random(1), "140105")
SHANGHAI_MAKER = credit_code(random.Random(2), "310101")
NOW = datetime.now(UTC).replace(microsecond=0)
TOPICS = OutputTopics()

# Investigations: (product suffix, hazard, jurisdiction)
SHANXI_INVESTIGATIONS = [
    ("k-1", "electric_shock", "140105"),
    ("k-2", "fire", "140105"),
    ("k-3", "burns", "140106"),
    ("k-4", "electric_shock", "140202"),  # Datong: in Shanxi, not in Taiyuan
    ("k-5", "cuts", "140105"),
    ("k-6", "fire", "140107"),
    ("k-7", "mechanical", "140108"),
]
SHANGHAI_INVESTIGATIONS = [("s-1", "fire", "310101"), ("s-2", "electric_shock", "310104")]

PROVINCE = Principal("acc-shanxi", Role.REGULATOR, region="140000")
TAIYUAN = Principal("acc-taiyuan", Role.REGULATOR, region="140100")
SHANGHAI = Principal("acc-shanghai", Role.REGULATOR, region="310000")
EXPERT = Principal("acc-expert", Role.EXPERT, expert_id="EXP-002")
STATION = Principal("acc-station", Role.STATION, station_id="ST-TY-1")
FIRM = Principal("acc-firm", Role.FIRM, manufacturer_code=TAIYUAN_MAKER)
PUBLIC = Principal("acc-public", Role.PUBLIC)

DONE = "RC-DONE-1"  # Taiyuan, completed: may be evaluated
OPEN = "RC-OPEN-1"  # Taiyuan, in progress
SH_RECALL = "RC-SH-1"  # Shanghai


def signal(product: str, hazard: str, jurisdiction: str, day: int) -> SignalRaised:
    maker = SHANGHAI_MAKER if jurisdiction.startswith("31") else TAIYUAN_MAKER
    raised = datetime(2024, 3, 1, 9, tzinfo=UTC) + timedelta(days=day)
    return SignalRaised(
        signal_id=f"sig-{product}",
        product_key=f"{maker}/acme/{product}",
        hazard=hazard,
        category="appliances",
        jurisdiction=jurisdiction,
        method="ears_c2",
        risk_level="serious",
        day=raised.date().isoformat(),
        observed=7.0,
        expected=1.5,
        statistic=4.2,
        threshold=3.0,
        window="2024-W09",
        explanation=("7 reports in a week", "expected 1.5"),
        trigger_event_id=f"ev-{product}",
        raised_at=raised,
    )


def seed_investigations(db: sessionmaker[Session]) -> dict[str, str]:
    """Every investigation, opened one per signal; returns their ids by product suffix."""
    everything = SHANXI_INVESTIGATIONS + SHANGHAI_INVESTIGATIONS
    ids: dict[str, str] = {}
    for day, (product, hazard, jurisdiction) in enumerate(everything):
        outcome = handle_signals(
            SqlStorage(db), [signal(product, hazard, jurisdiction, day)], topics=TOPICS
        )
        ids[product] = outcome.opened[0]
    with db.begin() as session:
        session.add_all(
            [
                _expert("EXP-001", "140105", linked=(TAIYUAN_MAKER,)),
                _expert("EXP-002", "140105"),
                _expert("EXP-003", "140100"),
                _expert("EXP-004", "310101"),
            ]
        )
    return ids


def _expert(expert_id: str, jurisdiction: str, *, linked: tuple[str, ...] = ()) -> ExpertRow:
    return ExpertRow(
        expert_id=expert_id,
        name=f"专家 {expert_id}",
        jurisdiction=jurisdiction,
        categories=["appliances"],
        linked_firms=list(linked),
        active=True,
    )


def seed_recall(
    db: sessionmaker[Session],
    recall_id: str,
    *,
    days_ago: int,
    reports: int,
    area: str = "140105",
    maker: str = TAIYUAN_MAKER,
) -> None:
    """A notice and `reports` monthly reports through the intake, then the agent's update."""
    firm = f"FIRM-{maker}"
    start = NOW - timedelta(days=days_ago)
    notice = RecallNotice(
        recall_id=recall_id,
        kind="voluntary",
        title="童车折叠铰链夹手 stroller hinge",
        product=ProductRef(
            category="children",
            kind="stroller",
            manufacturer_code=maker,
            brand="童悦",
            model=f"ST-{recall_id}",
        ),
        batches=("B202401",),
        affected={"consumer": 1000},
        hazard="mechanical",
        risk_level="high",
        remedies=("repair",),
        channels=("direct_notice",),
        start=start,
        target_date=start + timedelta(days=180),
        target_rate=0.5,
    )
    events: list[StationEvent] = [
        RecallNoticeEvent(
            event_id=uuid.uuid4(),
            reporter_id=firm,
            jurisdiction=area,
            sent_at=start,
            payload=notice,
        )
    ]
    for k in range(1, reports + 1):
        end = start + timedelta(days=30 * k)
        counts = LevelCounts(located=900, notified=900, corrected={"repair": corrected_at(30 * k)})
        payload = RecallProgressReport(
            recall_id=recall_id,
            sequence=k,
            period_start=end - timedelta(days=30),
            period_end=end,
            levels={"consumer": counts},
        )
        events.append(
            RecallProgressReportEvent(
                event_id=uuid.uuid4(),
                reporter_id=firm,
                jurisdiction=area,
                sent_at=end,
                payload=payload,
            )
        )
    reporter = Reporter(firm, "firm", area, True, maker)
    storage = SqlStorage(db)
    with storage.transaction() as tx:
        refused = check_and_store(tx, events, {firm: reporter}, NOW)
    assert refused == {}
    update_effectiveness(storage, recall_id, TOPICS, NOW)


def seed_recalls(db: sessionmaker[Session]) -> None:
    seed_recall(db, DONE, days_ago=200, reports=6)
    seed_recall(db, OPEN, days_ago=100, reports=3)
    seed_recall(db, SH_RECALL, days_ago=100, reports=2, area="310101", maker=SHANGHAI_MAKER)


LETTERS = {"ST-TY-1": ("140105", 5), "ST-TY-2": ("140106", 2), "ST-SH-1": ("310101", 3)}


def seed_dead_letters(db: sessionmaker[Session]) -> None:
    """Letters of three stations (Taiyuan ×2, Shanghai) and one of an unregistered reporter."""
    with db.begin() as session:
        offset = 0
        for station_id, (region, count) in LETTERS.items():
            session.add(
                Station(
                    station_id=station_id, kind="hospital", name=station_id, jurisdiction=region
                )
            )
            for i in range(count):
                session.add(_letter(station_id, offset, i))
                offset += 1
        session.add(_letter("NOBODY", offset, 0))


def _letter(reporter: str, offset: int, i: int) -> DeadLetterRow:
    return DeadLetterRow(
        source_topic="intake.raw",
        source_partition=offset % 2,
        source_offset=offset,
        reason="schema" if i % 2 == 0 else "unauthenticated",
        errors=[{"field": "payload.age", "message": '=HYPERLINK("x") is not an integer'}],
        reporter_id=reporter,
        received_at=NOW - timedelta(minutes=offset),
        original=b'{"secret": "ORIGINAL-BYTES"}',
        original_size=28,
        original_sha256="0" * 64,
        detail="",
    )
