"""`escalate_tiers`, the worker's timer, as Faust runs it, with the wall clock in the test's hands:
nothing before the deadline, one move at it, none on the next ticks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import faust
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import InvestigationRow, OutboxRow
from recall.adapters.db.storage import SqlStorage
from recall.domain.investigations import investigation_id_for
from recall.domain.tiers import SubjectKind
from recall.service.investigations.signals import handle_signals
from schemas.topics import RISK_SIGNALS
from streams.agents import investigate
from tests.support.investigations import HAZARD, PRODUCT, TOPICS, signal
from tests.unit.streams.faust_support import harness, run

INVESTIGATION = investigation_id_for(PRODUCT, HAZARD, 1)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'recall.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


class WallClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _owner(sessions: sessionmaker[Session]) -> str | None:
    with sessions() as session:
        row = session.get(InvestigationRow, INVESTIGATION)
        assert row is not None
        return row.owner


def test_the_timer_escalates_on_time_and_once(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    storage = SqlStorage(sessions)
    handle_signals(storage, [signal("s1", risk_level="high")], topics=TOPICS)  # county 140105
    with storage.transaction() as tx:
        assert tx.tiers is not None
        owned = tx.tiers.owner_of(SubjectKind.INVESTIGATION, INVESTIGATION)
    assert owned is not None and owned.owner == "140105"
    due = owned.since + timedelta(days=7)
    clock = WallClock(due - timedelta(seconds=1))

    def register(app: faust.App, context: Any, topic: faust.TopicT) -> None:
        investigate.register(app, context, topic, wall_clock=clock)

    stage = SimpleNamespace(register=register)
    app = harness(
        tmp_path, RISK_SIGNALS, stage, agents="investigations", storage=storage, sessions=sessions
    )
    tick = app.timer("escalate_tiers")

    async def scenario() -> None:
        await tick()
        assert _owner(sessions) == "140105", "a second early: nothing moves"
        clock.now = due
        await tick()
        assert _owner(sessions) == "140100"
        await tick()  # the next tick, and a replay, find nothing more due
        clock.now = due + timedelta(days=9, hours=23)
        await tick()
        assert _owner(sessions) == "140100"
        assert app.metric("recall_timer_runs_total", timer="escalate_tiers") == 4

    run(scenario)
    with storage.transaction() as tx:
        assert tx.tiers is not None
        moves = tx.tiers.moves(SubjectKind.INVESTIGATION, INVESTIGATION)
    assert [(m.from_owner, m.to_owner, m.at, m.actor) for m in moves[1:]] == [
        ("140105", "140100", due, "tier-timer")
    ]
    with sessions() as session:  # the new owner is told once, on the worker's alerts topic
        told = [
            row.topic
            for row in session.scalars(select(OutboxRow))
            if b'"kind":"escalated"' in row.value
        ]
    assert len(told) == 1 and told[0].endswith("alerts")
