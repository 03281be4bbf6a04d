"""A fresh SQLite system of record with recalls stored the way the intake stores them."""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from recall.adapters.db.storage import SqlStorage
from recall.cli.main import app
from recall.domain.intake import Reporter
from recall.service.ports import OutputTopics
from recall.service.recalls.effectiveness import update_effectiveness
from recall.service.recalls.intake import check_and_store
from recall.tools.registry.sample import credit_code
from schemas.common import ProductRef
from schemas.envelope import RecallNoticeEvent, RecallProgressReportEvent, StationEvent
from schemas.recalls import LevelCounts, RecallNotice, RecallProgressReport

MAKER = credit_code(random.Random(1), "140105")
FIRM = f"FIRM-{MAKER}"
AREA = "140105"
NOW = datetime.now(UTC).replace(microsecond=0)
AFFECTED = 1000


def use_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    """Point the CLI at a new SQLite file and return a migrated session factory."""
    from recall.cli.common import sessions, settings

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("RECALL_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "250")
    return sessions(settings())


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def corrected_at(day: float, final: float = 0.7, tau: float = 60.0) -> int:
    """Exact saturating curve: final × (1 − e^(−day/τ)) of the affected units."""
    return round(AFFECTED * final * -math.expm1(-day / tau))


def seed_recall(db: sessionmaker[Session], recall_id: str, *, days_ago: int, reports: int) -> None:
    """Notice + `reports` on-time monthly reports through the intake, then the agent's update."""
    start = NOW - timedelta(days=days_ago)
    notice = RecallNotice(
        recall_id=recall_id,
        kind="voluntary",
        title="童车折叠铰链夹手 stroller hinge",
        product=ProductRef(
            category="children",
            kind="stroller",
            manufacturer_code=MAKER,
            brand="童悦",
            model="ST-100A",
        ),
        batches=("B202401",),
        affected={"consumer": AFFECTED},
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
            reporter_id=FIRM,
            jurisdiction=AREA,
            sent_at=start,
            payload=notice,
        )
    ]
    for k in range(1, reports + 1):
        end = start + timedelta(days=30 * k)
        fixed = corrected_at(30 * k)
        counts = LevelCounts(located=900, notified=900, corrected={"repair": fixed})
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
                reporter_id=FIRM,
                jurisdiction=AREA,
                sent_at=end,
                payload=payload,
            )
        )
    reporter = Reporter(FIRM, "firm", AREA, True, MAKER)
    storage = SqlStorage(db)
    with storage.transaction() as tx:
        refused = check_and_store(tx, events, {FIRM: reporter}, NOW)
    assert refused == {}
    update_effectiveness(storage, recall_id, OutputTopics(), NOW)
