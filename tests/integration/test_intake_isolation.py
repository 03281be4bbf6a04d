"""A record the database refuses is isolated and dead-lettered; the rest of its batch is stored.

On real SQLite and PostgreSQL. The refusal is made by the database itself: a trigger that
raises a constraint error for one event id, as a check constraint added by an operator would.
Before the fix every exception was retried forever and such a record stopped all intake.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import text

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.intake_store import IntakeStore
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.registry_store import load_registry
from recall.adapters.db.storage import SqlStorage
from recall.domain.intake import Reporter
from recall.service.intake.admission import Accepted, IntakeRules, RawRecord, process_record
from recall.service.intake.batch import store_batch
from recall.tools.registry.sample import generate
from schemas.signing import StationKeyring, signing_headers
from tests.support.events import valid_events
from tests.support.pipeline import SMALL

pytestmark = pytest.mark.integration
SECRET = "isolation-test-master-secret-0123456789"

_SQLITE_TRIGGER = """
CREATE TRIGGER refuse_poison BEFORE INSERT ON events
WHEN NEW.event_id = '{poison}'
BEGIN SELECT RAISE(ABORT, 'refused by a check the operator added'); END
"""
_PG_FUNCTION = """
CREATE FUNCTION refuse_poison() RETURNS trigger AS $$
BEGIN
  IF NEW.event_id = '{poison}' THEN
    RAISE EXCEPTION 'refused by a check the operator added' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql
"""
_PG_TRIGGER = (
    "CREATE TRIGGER refuse_poison BEFORE INSERT ON events"
    " FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
)


def test_one_refused_record_is_dead_lettered_and_the_batch_stored(database_url: str) -> None:
    upgrade(database_url)
    sessions = make_session_factory(make_engine(database_url))
    registry = generate(11, SMALL)
    load_registry(sessions, registry)
    store = IntakeStore(sessions)
    reporters = {
        s.station_id: Reporter(s.station_id, s.kind.value, s.jurisdiction, True)
        for s in registry.stations
    }
    keyring = StationKeyring(SECRET, {r: frozenset({1}) for r in reporters})
    rules = IntakeRules(reporters, keyring)
    now = datetime.now(UTC)
    offsets = itertools.count()

    def record(reporter: str, value: bytes) -> RawRecord:
        from schemas.signing import SigningKey

        key = keyring.key_for(reporter, 1)
        assert key is not None
        headers = signing_headers(SigningKey(reporter, 1, key), value)
        return RawRecord("intake.raw", 0, next(offsets), reporter.encode(), value, headers)

    events = valid_events(registry, 50, seed=9)
    poison = str(orjson.loads(events[23][1])["event_id"])
    _install_refusal(sessions, database_url, poison)

    items = [(r, process_record(r, rules, now)) for r in (record(*e) for e in events)]
    assert all(isinstance(o, Accepted) for _, o in items)
    result = store_batch(SqlStorage(sessions), items, reporters, now)

    assert result.inserted == 49
    assert result.isolated == 1
    assert [letter.reason.value for letter in result.letters] == ["storage_refused"]
    assert len(result.outcomes) == 50, "every record of the batch has exactly one outcome"
    assert sorted(result.outcomes.values()).count("dead_lettered") == 1
    counts = store.counts()
    assert (counts.events, counts.dead_letters, counts.duplicates) == (49, 1, 0)
    assert counts.dead_letters_by_reason == {"storage_refused": 1}

    again = store_batch(SqlStorage(sessions), items, reporters, now)  # redelivered after a crash
    assert again.inserted == 0
    assert store.counts().events == 49 and store.counts().dead_letters == 1


def _install_refusal(sessions: object, url: str, poison: str) -> None:
    with sessions.begin() as session:  # type: ignore[attr-defined]
        if url.startswith("sqlite"):
            session.execute(text(_SQLITE_TRIGGER.format(poison=poison)))
        else:
            session.execute(text(_PG_FUNCTION.format(poison=poison)))
            session.execute(text(_PG_TRIGGER))
