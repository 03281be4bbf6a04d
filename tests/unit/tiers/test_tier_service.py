"""Tiers through the services on SQLite: owners assigned with the signals, every move audited,
replays harmless, escalation on time with a test clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import InvestigationRow, Manufacturer, TierMoveRow
from recall.adapters.db.storage import SqlStorage
from recall.domain.investigations import investigation_id_for
from recall.domain.tiers import Rule, SubjectKind
from recall.service.investigations.signals import handle_signals
from recall.service.tiers.escalate import escalate_overdue
from recall.service.tiers.rules import default_rules
from tests.support.investigations import HAZARD, PRODUCT, TOPICS, USCC, signal

RULES = default_rules()
INVESTIGATION = investigation_id_for(PRODUCT, HAZARD, 1)


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[SqlStorage]:
    url = f"sqlite:///{tmp_path / 'recall.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield SqlStorage(make_session_factory(engine))
    engine.dispose()


def moves(storage: SqlStorage, kind: SubjectKind, subject: str) -> list[tuple[object, ...]]:
    with storage.transaction() as tx:
        assert tx.tiers is not None
        return [(m.from_owner, m.to_owner, m.rule, m.actor) for m in tx.tiers.moves(kind, subject)]


def owner_row(sessions: sessionmaker[Session]) -> str | None:
    with sessions() as session:
        row = session.get(InvestigationRow, INVESTIGATION)
        assert row is not None
        return row.owner


def test_a_signal_and_its_investigation_get_owners_and_the_moves_are_audited(
    storage: SqlStorage,
) -> None:
    handle_signals(storage, [signal("s1", risk_level="high")], topics=TOPICS, tier_rules=RULES)
    assert moves(storage, SubjectKind.SIGNAL, "s1") == [
        (None, "140105", Rule.DEFAULT, "risk-agent")
    ]
    assert moves(storage, SubjectKind.INVESTIGATION, INVESTIGATION) == [
        (None, "140105", Rule.DEFAULT, "risk-agent")
    ]
    assert owner_row(storage.sessions) == "140105"  # the column lists and statistics read


def test_a_replayed_signal_moves_nothing_twice(storage: SqlStorage) -> None:
    batch = [signal("s1", risk_level="high")]
    handle_signals(storage, batch, topics=TOPICS, tier_rules=RULES)
    handle_signals(storage, batch, topics=TOPICS, tier_rules=RULES)
    with storage.sessions() as session:
        assert len(session.scalars(select(TierMoveRow)).all()) == 2  # one signal, one investigation


def test_a_signal_from_another_city_moves_the_investigation_to_the_province(
    storage: SqlStorage,
) -> None:
    handle_signals(storage, [signal("s1", risk_level="high")], topics=TOPICS, tier_rules=RULES)
    later = signal("s2", risk_level="high", jurisdiction="140202")
    handle_signals(storage, [later], topics=TOPICS, tier_rules=RULES)
    history = moves(storage, SubjectKind.INVESTIGATION, INVESTIGATION)
    assert history[-1] == ("140105", "140000", Rule.REGIONS, "risk-agent")
    assert moves(storage, SubjectKind.SIGNAL, "s2") == [
        (None, "140000", Rule.REGIONS, "risk-agent")
    ]
    with storage.transaction() as tx:
        assert tx.tiers is not None
        reason = tx.tiers.moves(SubjectKind.INVESTIGATION, INVESTIGATION)[-1].reason
    assert "2 cities" in reason and "跨市" in reason
    assert owner_row(storage.sessions) == "140000"


def test_the_firms_home_from_the_registry_takes_the_investigation(storage: SqlStorage) -> None:
    with storage.sessions.begin() as session:
        session.add(Manufacturer(credit_code=USCC, name="Acme", jurisdiction="140100"))
    handle_signals(storage, [signal("s1", risk_level="high")], topics=TOPICS, tier_rules=RULES)
    assert moves(storage, SubjectKind.INVESTIGATION, INVESTIGATION) == [
        (None, "140100", Rule.FIRM_HOME, "risk-agent")
    ]


def test_escalation_happens_exactly_at_the_deadline_and_once(storage: SqlStorage) -> None:
    handle_signals(storage, [signal("s1", risk_level="high")], topics=TOPICS, tier_rules=RULES)
    with storage.transaction() as tx:
        assert tx.tiers is not None
        owned = tx.tiers.owner_of(SubjectKind.INVESTIGATION, INVESTIGATION)
    assert owned is not None
    deadline = owned.since + timedelta(days=7)  # county, not assigned within 7 days
    assert (
        escalate_overdue(storage, deadline - timedelta(seconds=1), rules=RULES, topics=TOPICS) == []
    )
    assert owner_row(storage.sessions) == "140105"
    made = escalate_overdue(storage, deadline, rules=RULES, topics=TOPICS)
    assert [(m.from_owner, m.to_owner, m.at) for m in made] == [("140105", "140100", deadline)]
    assert (
        escalate_overdue(storage, deadline + timedelta(hours=1), rules=RULES, topics=TOPICS) == []
    )  # replay
    assert owner_row(storage.sessions) == "140100"
    history = moves(storage, SubjectKind.INVESTIGATION, INVESTIGATION)
    assert history[-1] == ("140105", "140100", Rule.DEADLINE, "tier-timer")
    # The city's own wait starts at the move: 10 days more, not counted from the opening.
    city_deadline = deadline + timedelta(days=10)
    assert (
        escalate_overdue(storage, city_deadline - timedelta(seconds=1), rules=RULES, topics=TOPICS)
        == []
    )
    made = escalate_overdue(storage, city_deadline, rules=RULES, topics=TOPICS)
    assert [m.to_owner for m in made] == ["140000"]


def test_a_tick_reads_no_investigation_that_cannot_be_due(storage: SqlStorage) -> None:
    """The timer runs every minute over every open investigation: one whose owner's shortest
    deadline is still ahead must cost no read of its audit and evidence (the tick's cost
    grew with the open queue and stalled the worker's event loop)."""
    handle_signals(storage, [signal("s1", risk_level="high")], topics=TOPICS, tier_rules=RULES)
    with storage.transaction() as tx:
        assert tx.tiers is not None
        owned = tx.tiers.owner_of(SubjectKind.INVESTIGATION, INVESTIGATION)
    assert owned is not None
    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    engine = storage.sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        early = owned.since + timedelta(days=6)
        assert escalate_overdue(storage, early, rules=RULES, topics=TOPICS) == []
        early_reads = [s for s in statements if "investigation_evidence" in s]
        statements.clear()
        due = owned.since + timedelta(days=7)
        assert len(escalate_overdue(storage, due, rules=RULES, topics=TOPICS)) == 1
        due_reads = [s for s in statements if "investigation_evidence" in s]
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert early_reads == [] and due_reads  # read only once it could be due


def test_an_investigation_opened_before_tiers_is_placed_by_the_timer_once(
    storage: SqlStorage,
) -> None:
    handle_signals(storage, [signal("s1", risk_level="high")], topics=TOPICS, tier_rules=RULES)
    with storage.sessions.begin() as session:  # as if opened before migration 0019
        session.execute(update(InvestigationRow).values(owner=None, owner_since=None))
        session.execute(delete(TierMoveRow).where(TierMoveRow.kind == "investigation"))
    now = datetime(2030, 1, 1, tzinfo=UTC)
    made = escalate_overdue(storage, now, rules=RULES, topics=TOPICS)
    assert [(m.from_owner, m.to_owner, m.rule, m.at) for m in made] == [
        (None, "140105", Rule.DEFAULT, now)
    ]
    assert escalate_overdue(storage, now, rules=RULES, topics=TOPICS) == []
    assert owner_row(storage.sessions) == "140105"
