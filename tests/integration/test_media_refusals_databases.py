"""Refused newsroom reports on both databases: a full batch of them ahead of a good report
does not stop the media-lead queue (the refusal is an insert ignoring conflicts, a dialect's
own statement, and the import's query an anti-join on it)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.lead_store import SqlLeadStorage
from recall.adapters.db.migrate import upgrade
from recall.service.leads.commands import import_media_reports
from recall.service.leads.ports import MediaRefusal
from tests.support.leads import station, stored_report

pytestmark = pytest.mark.integration
NOW = datetime(2026, 6, 2, 9, tzinfo=UTC)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_full_batch_of_refused_reports_does_not_stop_the_queue(database_url: str) -> None:
    """Before refusals were recorded, `limit` reports that cannot become leads, read first,
    filled every tick: the good report behind them never became a lead."""
    upgrade(database_url)
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    limit = 3
    broken = []
    for i in range(1, limit + 1):
        report = stored_report(i, "ST-NEWS")
        report.received_at = datetime(2025, 5, i, tzinfo=UTC)  # all read before the good one
        report.payload = {**report.payload, "product": {"category": "no-such-category"}}
        broken.append(report)
    with sessions.begin() as session:
        session.add(station("ST-NEWS", "media"))
        session.add_all([*broken, stored_report(99, "ST-NEWS")])
    storage = SqlLeadStorage(sessions)
    try:
        first = import_media_reports(storage, limit=limit, now=NOW)
        with storage.transaction() as tx:  # a second refusal of the same report is ignored
            tx.leads.refuse_media_report(MediaRefusal(str(uuid.UUID(int=1)), "again", NOW))
        second = import_media_reports(storage, limit=limit, now=NOW)
        with storage.transaction() as tx:
            refusals = tx.leads.media_refusals(10)
    finally:
        engine.dispose()

    assert (first.created, len(first.refused)) == (0, limit)
    assert [r.lead.reference for r in second.recorded] == [str(uuid.UUID(int=99))]
    assert second.refused == []
    assert all("category" in r.reason for r in first.refused)
    assert all("no-such-category" not in r.reason for r in first.refused), "values left out"
    assert sorted(r.event_id for r in refusals) == [str(uuid.UUID(int=i)) for i in (1, 2, 3)]
    assert "again" not in {r.reason for r in refusals}, "the first refusal stays"
