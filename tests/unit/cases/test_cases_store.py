"""Referral cases through the SQL store (SQLite): opened once by the deadline check, decided,
escalated on a test clock, and the credit record written and announced once per outcome."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db import models
from recall.adapters.db.storage import SqlStorage
from recall.domain.cases import CaseState, IllegalCaseTransition, Penalty
from recall.service.cases import commands, queries
from recall.service.cases.ports import CaseNotFoundError
from recall.service.ports import OutputTopics
from recall.service.recalls.deadlines import check_deadlines
from tests.unit.recalls_cli.recalls_cli_support import MAKER, NOW, seed_recall, use_database

TOPICS = OutputTopics()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    factory = use_database(tmp_path, monkeypatch)
    with factory.begin() as session:  # the firm's home differs from the recall's area
        session.add(models.Manufacturer(credit_code=MAKER, name="童悦", jurisdiction="140106"))
    seed_recall(factory, "RC-1", days_ago=100, reports=1)  # reports 2 and 3 are missed
    return factory


def _outbox(db: sessionmaker[Session], topic: str) -> list[dict[str, Any]]:
    with db() as session:
        rows = session.scalars(select(models.OutboxRow).where(models.OutboxRow.topic == topic))
        return [orjson.loads(r.value) for r in rows]


def _open(db: sessionmaker[Session]) -> str:
    storage = SqlStorage(db)
    check_deadlines(storage, TOPICS, NOW)
    (case,) = queries.list_cases(storage, scope=None)
    return case.case_id


def test_a_referral_opens_one_case_at_the_firms_home_county(db: sessionmaker[Session]) -> None:
    storage = SqlStorage(db)
    check_deadlines(storage, TOPICS, NOW)
    (case,) = queries.list_cases(storage, scope=None)
    (alert,) = [a for a in _outbox(db, "alerts") if a["kind"] == "referral"]
    assert case.recall_id == "RC-1"
    assert case.firm_code == MAKER
    assert case.owner == "140106"  # the manufacturers registry, not the recall's 140105
    assert case.grounds.value == "missed_progress_reports"
    assert case.evidence[0] == f"referral alert {alert['alert_id']}"
    assert any("missing" in e for e in case.evidence[1:])
    assert case.deadline == NOW + timedelta(days=30)


def test_replays_open_nothing_more(db: sessionmaker[Session]) -> None:
    storage = SqlStorage(db)
    check_deadlines(storage, TOPICS, NOW)
    check_deadlines(storage, TOPICS, NOW + timedelta(hours=1))
    with storage.transaction() as tx:  # a replay that forgot the sent keys (a restore)
        tx.recalls.mark_sent("RC-1", frozenset())
    check_deadlines(storage, TOPICS, NOW + timedelta(hours=2))
    assert len(queries.list_cases(storage, scope=None)) == 1


def test_outcome_writes_the_credit_record_and_event_once(db: sessionmaker[Session]) -> None:
    case_id = _open(db)
    storage = SqlStorage(db)
    commands.assign(
        storage, case_id, assignee="team 2", reason="ours", actor="acc-1", topics=TOPICS
    )
    penalty = Penalty(decision_no="晋市监罚〔2026〕12号", fine_yuan=50_000)
    done = commands.penalise(
        storage, case_id, penalty=penalty, reason="未按期报告", actor="acc-1", topics=TOPICS
    )
    assert done.state is CaseState.PENALISED
    with pytest.raises(IllegalCaseTransition):
        commands.close(storage, case_id, reason="again", actor="acc-1", topics=TOPICS)
    (event,) = _outbox(db, "firms.credit")
    assert event["firm"] == MAKER
    assert event["case_id"] == case_id
    assert event["outcome"] == "penalised"
    assert event["penalty"]["fine_yuan"] == 50_000
    assert event["decided_by"] == "acc-1"
    (record,) = queries.credit_records(storage, MAKER)
    assert record.record_id == f"credit:{case_id}"
    assert queries.credit_records(storage, "91110000000000000X") == []


def test_overdue_cases_escalate_on_the_clock_once(db: sessionmaker[Session]) -> None:
    case_id = _open(db)
    storage = SqlStorage(db)
    deadline = queries.get_case(storage, case_id).deadline
    assert commands.escalate_overdue(storage, deadline, topics=TOPICS) == []
    (moved,) = commands.escalate_overdue(storage, deadline + timedelta(seconds=1), topics=TOPICS)
    assert moved.owner == "140100"
    assert commands.escalate_overdue(storage, deadline + timedelta(seconds=2), topics=TOPICS) == []
    stored = queries.get_case(storage, case_id)
    assert stored.owner == "140100"
    assert stored.audit[-1].action.value == "escalate"
    assert [c.case_id for c in queries.list_cases(storage, scope="140100")] == [case_id]
    assert queries.list_cases(storage, scope="140106") == []


def test_a_missing_case_is_named(db: sessionmaker[Session]) -> None:
    with pytest.raises(CaseNotFoundError, match="RC-NOPE"):
        queries.get_case(SqlStorage(db), "RC-NOPE")


def _escalated(db: sessionmaker[Session]) -> list[dict[str, Any]]:
    return [a for a in _outbox(db, "alerts") if a["kind"] == "escalated"]


def test_an_escalated_case_tells_its_new_owner_once(db: sessionmaker[Session]) -> None:
    case_id = _open(db)
    assert _escalated(db) == []  # opening the case is a first assignment, not an escalation
    storage = SqlStorage(db)
    deadline = queries.get_case(storage, case_id).deadline
    now = deadline + timedelta(seconds=1)
    commands.escalate_overdue(storage, now, topics=TOPICS)
    assert commands.escalate_overdue(storage, now, topics=TOPICS) == []  # replay at one `now`
    (alert,) = _escalated(db)
    assert alert["jurisdiction"] == "140100"  # the new owner's regulators see it
    assert alert["subject"] == case_id
    assert alert["severity"] == "warning"
    assert alert["title"].startswith("升级至上级监管部门 / Escalated to 140100")
    details = alert["details"]
    assert details["subject_kind"] == "referral_case"
    assert (details["from_owner"], details["to_owner"]) == ("140106", "140100")
    assert details["rule"] == "missed_progress_reports"
    assert details["deadline"] == deadline.isoformat()
    assert "140106" in details["reason"]
