"""`SqlRecallRepository` on a migrated SQLite file: what is saved is what is loaded back."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db import models
from recall.adapters.db.recall_store import SqlRecallRepository
from recall.adapters.db.storage import SqlStorage
from recall.domain.investigations import Decision, Evidence, EvidenceKind, Investigation, RiskLevel
from recall.domain.recalls import IncidentKind, RecallState
from recall.service.ports import OutputTopics
from recall.service.recalls import commands
from recall.service.recalls.deadlines import check_deadlines
from recall.service.recalls.effectiveness import update_effectiveness
from recall.service.recalls.ordered import order_recall
from recall.service.recalls.ports import ConcurrentRecallUpdateError
from tests.unit.recalls_cli.recalls_cli_support import FIRM, MAKER, NOW, seed_recall, use_database

KEY = f"{MAKER}/童悦/st-100a"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    factory = use_database(tmp_path, monkeypatch)
    seed_recall(factory, "RC-1", days_ago=100, reports=3)  # through the intake and the agent
    return factory


def test_a_recall_round_trips_through_the_tables(db: sessionmaker[Session]) -> None:
    with SqlStorage(db).transaction() as tx:
        loaded = tx.recalls.get("RC-1")
        assert loaded is not None
        assert loaded.spec.product_key == KEY
        assert loaded.spec.firm_id == FIRM
        assert loaded.spec.batches == frozenset({"B202401"})
        assert [t.to_state for t in loaded.recall.history] == ["announced", "in_progress"]
        assert loaded.version == 2
        assert [r.sequence for r in loaded.reports] == [1, 2, 3]
        assert loaded.reports[0].submitted_at.tzinfo is not None
        assert (loaded.jurisdiction, loaded.hazard, loaded.refused) == (
            "140105",
            "mechanical",
            False,
        )
        assert loaded.effectiveness is not None
        assert loaded.effectiveness.rates["overall"].affected == 1000
        assert tx.recalls.latest_report("RC-1") == loaded.reports[-1]
        assert tx.recalls.report_event_id("RC-1", 2) is not None
        assert tx.recalls.spec("RC-1") == loaded.spec
        assert tx.recalls.specs_for_products([KEY]) == [loaded.spec]
        assert [r.recall_id for r in tx.recalls.active()] == ["RC-1"]
        assert tx.recalls.get("RC-NONE") is None
        (head,) = tx.recalls.heads(jurisdiction_prefix="1401", states=["in_progress"], limit=5)
        assert (head.state, head.target_rate, head.effectiveness) == (
            RecallState.IN_PROGRESS,
            0.5,
            loaded.effectiveness,
        )


def test_transitions_verdict_and_sent_keys_are_saved(db: sessionmaker[Session]) -> None:
    storage = SqlStorage(db)
    check_deadlines(storage, OutputTopics(), NOW + timedelta(days=40))  # report 4 is overdue
    seed_recall(db, "RC-2", days_ago=200, reports=6)
    commands.evaluate(storage, "RC-2", actor="inspector.li", now=NOW)
    with storage.transaction() as tx:
        first = tx.recalls.get("RC-1")
        assert first is not None
        assert first.sent_keys == {"RC-1/report/4/overdue"}
        second = tx.recalls.get("RC-2")
        assert second is not None
        assert second.recall.state is RecallState.EVALUATED
        assert second.recall.verdict is not None
        assert second.version == len(second.recall.history) == 4
        assert [r.recall_id for r in tx.recalls.finished("children", exclude="RC-1")] == ["RC-2"]
        assert tx.recalls.finished("children", exclude="RC-2") == []


def test_a_save_over_a_newer_version_is_refused(db: sessionmaker[Session]) -> None:
    with db() as mine, db() as theirs:
        ours = SqlRecallRepository(mine).get("RC-1")
        other = SqlRecallRepository(theirs).get("RC-1")
        assert ours is not None
        assert other is not None
        when = NOW + timedelta(days=1)
        other.recall.mark_lagging(who="agent", when=when, why="behind")
        SqlRecallRepository(theirs).save(other, at=when)
        theirs.commit()
        ours.recall.complete(who="firm", when=when, why="done")
        with pytest.raises(ConcurrentRecallUpdateError):
            SqlRecallRepository(mine).save(ours, at=when)
        mine.rollback()
    with SqlStorage(db).transaction() as tx:
        stored = tx.recalls.get("RC-1")
        assert stored is not None
        assert stored.recall.state is RecallState.LAGGING


def test_the_agent_saves_on_the_version_it_loaded(db: sessionmaker[Session]) -> None:
    storage = SqlStorage(db)
    update_effectiveness(storage, "RC-1", OutputTopics(), NOW)  # nothing new: no move
    update_effectiveness(storage, "RC-1", OutputTopics(), NOW)
    with storage.transaction() as tx:
        loaded = tx.recalls.get("RC-1")
        assert loaded is not None
        assert loaded.version == 2


def _injury_row(event_id: str, batch: str, days_ago: int) -> models.Event:
    occurred = NOW - timedelta(days=days_ago)
    return models.Event(
        reporter_id="hosp-1",
        event_id=event_id,
        type="injury_report",
        jurisdiction="140105",
        product_key=KEY,
        occurred_at=occurred,
        sent_at=occurred,
        received_at=occurred,
        source_topic="intake.raw",
        source_partition=0,
        source_offset=int(uuid.UUID(event_id)) % 10**9,
        content_hash=None,
        payload={"product": {"batch": batch}},
    )


def test_an_ordered_recall_uses_the_registry_and_notes_stored_injuries(
    db: sessionmaker[Session],
) -> None:
    hurt = str(uuid.uuid4())
    with db.begin() as session:
        session.add(
            models.Station(
                station_id=FIRM,
                kind="firm",
                name="童悦制造",
                jurisdiction="140105",
                enabled=True,
                manufacturer_code=MAKER,
            )
        )
        session.add(
            models.Product(
                product_key=KEY,
                manufacturer_code=MAKER,
                brand="童悦",
                model="ST-100A",
                category="children",
                kind="stroller",
                units_in_use=2500,
            )
        )
        session.add(_injury_row(hurt, "B1", days_ago=3))
    storage = SqlStorage(db)
    investigation = _requested()
    with storage.transaction() as tx:
        recall_id = order_recall(tx, investigation, actor="director", now=NOW)
    with storage.transaction() as tx:
        loaded = tx.recalls.get(recall_id)
        assert loaded is not None
        assert (loaded.spec.firm_id, loaded.spec.total_affected) == (FIRM, 2500)
        assert loaded.recall.history[0].who == "director"
        (noted,) = tx.recalls.incidents(recall_id)
        assert (noted.incident.incident_id, noted.incident.kind) == (hurt, IncidentKind.INJURY)
        assert noted.incident.product_key == KEY
        assert noted.after_start is False


def _requested() -> Investigation:
    signal = Evidence("sig-1", EvidenceKind.SIGNAL, "hinge pinches", NOW, RiskLevel.HIGH)
    return (
        Investigation.open(
            product_key=KEY,
            hazard="mechanical",
            seq=1,
            category="children",
            jurisdiction="140105",
            evidence=signal,
            actor="agent",
            at=NOW,
            reason="signal",
        )
        .assign(["E1"], actor="director", at=NOW, reason="panel")
        .conclude(
            Decision.DEFECT_CONFIRMED,
            actor="director",
            at=NOW,
            reason="hinge",
            risk_level=RiskLevel.HIGH,
            hazard_description="fingers caught in the hinge",
        )
        .request_recall(actor="director", at=NOW, reason="order")
    )
