"""`queue_media_leads`, the worker's timer, as Faust runs it: a newsroom's injury report in the
record becomes one media lead on the next tick; later ticks add nothing; a hospital's report
stays risk evidence."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import faust
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import LeadRow
from recall.adapters.db.storage import SqlStorage
from schemas.topics import RISK_SIGNALS
from streams.agents import leads
from tests.support.leads import station, stored_report
from tests.unit.streams.faust_support import harness, run

NOW = datetime(2026, 6, 2, 9, tzinfo=UTC)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'recall.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


def _references(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as session:
        return [(r.source, r.reference) for r in session.scalars(select(LeadRow))]


def test_the_timer_queues_each_newsroom_report_once(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        session.add_all([station("ST-NEWS", "media"), station("ST-HOSP", "hospital")])
        session.add_all([stored_report(1, "ST-NEWS"), stored_report(2, "ST-HOSP")])

    def register(app: faust.App, context: Any, topic: faust.TopicT) -> None:
        leads.register(app, context, clock=lambda: NOW)

    app = harness(
        tmp_path,
        RISK_SIGNALS,
        SimpleNamespace(register=register),
        agents="investigations",
        storage=SqlStorage(sessions),
        sessions=sessions,
    )
    tick = app.timer(leads.TIMER)

    async def scenario() -> None:
        await tick()
        assert _references(sessions) == [("media", str(uuid.UUID(int=1)))]
        with sessions.begin() as session:
            session.add(stored_report(3, "ST-NEWS"))  # a newsroom report lands between ticks
        await tick()
        await tick()
        assert app.metric("recall_timer_runs_total", timer=leads.TIMER) == 3

    run(scenario)
    assert sorted(_references(sessions)) == [
        ("media", str(uuid.UUID(int=1))),
        ("media", str(uuid.UUID(int=3))),
    ], "each newsroom report once; the hospital's report is not a lead"


MOBILE_LIKE_ID = "13800138-000a-4bcd-8000-000000000000"  # "13800138" + "000": an 11-digit run


def test_a_report_that_cannot_become_a_lead_is_refused_once_with_why(
    sessions: sessionmaker[Session],
) -> None:
    """An event id is ours, not a person's number, even when its hex spells a mobile number;
    a report that cannot become a lead at all (no product) is recorded as refused, with the
    field that was missing, and is not read again."""
    from recall.adapters.db.lead_store import SqlLeadStorage
    from recall.service.leads.commands import import_media_reports
    from recall.service.leads.queries import media_refusals

    mobile_like = stored_report(1, "ST-NEWS")
    mobile_like.event_id = MOBILE_LIKE_ID
    broken = stored_report(2, "ST-NEWS")
    broken.received_at = datetime(2025, 5, 1, tzinfo=UTC)  # read first
    broken.payload = {"mechanism": "fire_flame", "injury_nature": "burn_scald"}
    with sessions.begin() as session:
        session.add(station("ST-NEWS", "media"))
        session.add_all([mobile_like, broken, stored_report(3, "ST-NEWS")])
    storage = SqlLeadStorage(sessions)

    done = import_media_reports(storage, now=NOW)

    assert sorted(r.lead.reference for r in done.recorded) == sorted(
        [MOBILE_LIKE_ID, str(uuid.UUID(int=3))]
    )
    assert [r.event_id for r in done.refused] == [str(uuid.UUID(int=2))]
    assert "product" in done.refused[0].reason
    assert len(_references(sessions)) == 2
    assert [(r.event_id, r.refused_at) for r in media_refusals(storage)] == [
        (str(uuid.UUID(int=2)), NOW)
    ]
    again = import_media_reports(storage, now=NOW)
    assert again.recorded == [] and again.refused == [], "nothing is read twice"
