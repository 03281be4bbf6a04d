"""An investigation moved one tier up tells its new owner: one `escalated` alert in the outbox,
in the move's transaction, with the new owner as its jurisdiction; none on a replay, none for a
first assignment (SQLite, test clock)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import delete, select, update

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import InvestigationRow, OutboxRow, TierMoveRow
from recall.adapters.db.storage import SqlStorage
from recall.domain.tiers import SubjectKind
from recall.service.investigations.signals import handle_signals
from recall.service.tiers.escalate import escalate_overdue
from recall.service.tiers.rules import default_rules
from schemas.risk import Alert, AlertKind
from tests.support.investigations import TOPICS, signal

RULES = default_rules()


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[SqlStorage]:
    url = f"sqlite:///{tmp_path / 'recall.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield SqlStorage(make_session_factory(engine))
    engine.dispose()


def escalated(storage: SqlStorage) -> list[dict[str, Any]]:
    """The `escalated` alerts queued so far (each validated against the contract)."""
    with storage.sessions() as session:
        rows = session.scalars(select(OutboxRow).where(OutboxRow.topic == TOPICS.alerts)).all()
        values = [orjson.loads(row.value) for row in rows]
    found = [v for v in values if v["kind"] == AlertKind.ESCALATED.value]
    for value in found:
        Alert.model_validate(value)
    return found


def deadline_of_first_owner(storage: SqlStorage, subject: str) -> datetime:
    with storage.transaction() as tx:
        assert tx.tiers is not None
        owned = tx.tiers.owner_of(SubjectKind.INVESTIGATION, subject)
    assert owned is not None
    return owned.since + timedelta(days=7)  # county, not assigned within 7 days


def test_an_overdue_investigation_tells_its_new_owner_once(storage: SqlStorage) -> None:
    outcome = handle_signals(
        storage, [signal("s1", risk_level="high")], topics=TOPICS, tier_rules=RULES
    )
    assert escalated(storage) == []  # the first assignment is no escalation
    (subject,) = outcome.opened
    deadline = deadline_of_first_owner(storage, subject)
    (move,) = escalate_overdue(storage, deadline, rules=RULES, topics=TOPICS)
    (alert,) = escalated(storage)
    assert alert["jurisdiction"] == "140100" == move.to_owner
    assert alert["subject"] == subject
    assert alert["severity"] == "warning"
    assert alert["title"].startswith("升级至上级监管部门 / Escalated to 140100")
    assert alert["details"] == {
        "subject_kind": "investigation",
        "subject_id": subject,
        "from_owner": "140105",
        "to_owner": "140100",
        "rule": "deadline",
        "reason": move.reason,
        "deadline": deadline.isoformat(),
    }
    assert escalate_overdue(storage, deadline, rules=RULES, topics=TOPICS) == []  # replay
    assert len(escalated(storage)) == 1


def test_placing_an_investigation_opened_before_tiers_is_not_announced(
    storage: SqlStorage,
) -> None:
    handle_signals(storage, [signal("s1", risk_level="high")], topics=TOPICS, tier_rules=RULES)
    with storage.sessions.begin() as session:  # as if opened before tiers existed
        session.execute(update(InvestigationRow).values(owner=None, owner_since=None))
        session.execute(delete(TierMoveRow).where(TierMoveRow.kind == "investigation"))
    now = datetime(2030, 1, 1, tzinfo=UTC)
    (placed,) = escalate_overdue(storage, now, rules=RULES, topics=TOPICS)
    assert placed.from_owner is None
    assert escalated(storage) == []


def test_a_signal_from_a_second_city_tells_the_province(storage: SqlStorage) -> None:
    handle_signals(storage, [signal("s1", risk_level="high")], topics=TOPICS, tier_rules=RULES)
    later = [signal("s2", risk_level="high", jurisdiction="140202")]
    handle_signals(storage, later, topics=TOPICS, tier_rules=RULES)
    (alert,) = escalated(storage)
    assert alert["jurisdiction"] == "140000"
    assert alert["details"]["rule"] == "regions"
    assert alert["details"]["from_owner"] == "140105"
    assert alert["details"]["deadline"] == ""
    handle_signals(storage, later, topics=TOPICS, tier_rules=RULES)  # a replayed signal
    assert len(escalated(storage)) == 1
