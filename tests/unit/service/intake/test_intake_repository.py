"""`IntakeRepository`: the SQL repository on SQLite and the in-memory fake, held to the same cases.

Events once per (reporter, event id): the same record again is a redelivery (no trace), a
resend from another position is a duplicate (recorded once by its position), another report
under a used id is a conflict. Dead letters once per source position. A generated sequence of
batches gives the same outcomes on both, so the services' unit tests on the fake say
something about production.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import DeadLetterRow, Event, EventDuplicate, Station
from recall.adapters.db.storage import SqlStorage
from recall.service.intake.ports import EventRow, LetterRow, StoreOutcome
from tests.support.fakes.intake import MemoryIntakeRepository
from tests.support.memory_storage import MemoryStorage

NOW = datetime(2024, 5, 1, 4, 30, tzinfo=UTC)
TOPIC = "intake.raw"
REGISTERED = ("hosp-1", "hosp-2")


def _event(
    offset: int, event_id: str = "e-1", *, reporter: str = "hosp-1", content: str = "a"
) -> EventRow:
    return EventRow(
        event_id=event_id,
        type="injury_report",
        reporter_id=reporter,
        jurisdiction="140105",
        product_key="uscc/acme/k-1",
        occurred_at=NOW,
        sent_at=NOW,
        received_at=NOW,
        source_topic=TOPIC,
        source_partition=0,
        source_offset=offset,
        content_hash=content * 64,
        payload={"case_ref": f"case-{content}"},
    )


def _letter(offset: int, reason: str = "schema") -> LetterRow:
    return LetterRow(
        source_topic=TOPIC,
        source_partition=0,
        source_offset=offset,
        reason=reason,
        errors=[{"field": "", "message": "bad"}],
        reporter_id="hosp-1",
        received_at=NOW,
        original=b"{}",
        original_size=2,
        original_sha256="0" * 64,
        detail=": bad",
        event_id=None,
    )


class Repo:
    """Store through one implementation, one transaction per call; read back what it holds."""

    def __init__(
        self,
        storage: Any,
        tables: Callable[[], tuple[int, int, int]],
        last_seen: Callable[[], dict[str, datetime]],
    ) -> None:
        self.storage = storage
        self.tables = tables
        self.last_seen = last_seen

    def events(self, rows: Sequence[EventRow]) -> StoreOutcome:
        with self.storage.transaction() as tx:
            outcome: StoreOutcome = tx.intake.store_events(rows)
            return outcome

    def letters(self, rows: Sequence[LetterRow]) -> int:
        with self.storage.transaction() as tx:
            return int(tx.intake.store_dead_letters(rows))

    def seen(self, seen: dict[str, datetime]) -> None:
        with self.storage.transaction() as tx:
            tx.intake.mark_seen(seen)


def _memory() -> Repo:
    storage = MemoryStorage(intake=MemoryIntakeRepository())

    def tables() -> tuple[int, int, int]:
        fake = storage.state.intake
        return len(fake.events), len(fake.duplicates), len(fake.dead_letters)

    def last_seen() -> dict[str, datetime]:
        return dict(storage.state.intake.last_seen)

    return Repo(storage, tables, last_seen)


def _sql(database: Path, template: Path | None = None) -> Repo:
    """A repository on the SQLite file `database`: migrated, or copied from a migrated
    `template` (migrating costs ~0.4 s, too much per generated example)."""
    url = f"sqlite:///{database}"
    if template is None:
        upgrade(url)
    else:
        shutil.copyfile(template, database)
    sessions = make_session_factory(make_engine(url))
    if template is None:
        with sessions.begin() as session:
            session.add_all(
                Station(station_id=s, kind="hospital", name=s, jurisdiction="140105")
                for s in REGISTERED
            )

    def tables() -> tuple[int, int, int]:
        with sessions() as session:
            events, duplicates, letters = (
                int(session.scalar(select(func.count()).select_from(t)) or 0)
                for t in (Event, EventDuplicate, DeadLetterRow)
            )
        return events, duplicates, letters

    def last_seen() -> dict[str, datetime]:
        with sessions() as session:
            rows = session.execute(select(Station.station_id, Station.last_seen_at))
            return {s: at for s, at in rows if at is not None}

    return Repo(SqlStorage(sessions), tables, last_seen)


@pytest.fixture(params=["memory", "sqlite"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Repo:
    return _memory() if request.param == "memory" else _sql(tmp_path / "recall.db")


def _positions(*offsets: int) -> frozenset[tuple[str, int, int]]:
    return frozenset((TOPIC, 0, o) for o in offsets)


def test_new_events_are_inserted_once_per_reporter_and_id(repo: Repo) -> None:
    outcome = repo.events([_event(0, "e-1"), _event(1, "e-2"), _event(2, "e-1", reporter="hosp-2")])
    assert outcome == StoreOutcome(inserted=_positions(0, 1, 2))
    assert outcome.forward == _positions(0, 1, 2)
    assert repo.tables() == (3, 0, 0)


def test_the_same_record_again_is_a_redelivery_and_leaves_no_trace(repo: Repo) -> None:
    repo.events([_event(0)])
    outcome = repo.events([_event(0)])
    assert outcome == StoreOutcome(redelivered=_positions(0))
    assert outcome.forward == _positions(0)  # passed downstream again: its first send may be lost
    assert repo.tables() == (1, 0, 0)


def test_a_resend_from_another_position_is_a_duplicate_counted_once(repo: Repo) -> None:
    repo.events([_event(0)])
    assert repo.events([_event(5)]) == StoreOutcome(duplicates=_positions(5))
    assert repo.events([_event(5)]) == StoreOutcome(duplicates=_positions(5))  # redelivered dup
    assert repo.tables() == (1, 1, 0)


def test_another_report_under_a_used_id_is_a_conflict(repo: Repo) -> None:
    repo.events([_event(0, content="a")])
    outcome = repo.events([_event(6, content="b")])
    assert outcome == StoreOutcome(conflicts=_positions(6))
    assert outcome.forward == frozenset()
    assert repo.tables() == (1, 0, 0)


def test_within_one_call_the_first_row_of_a_key_is_stored(repo: Repo) -> None:
    outcome = repo.events([_event(0, content="a"), _event(1, content="a"), _event(2, content="b")])
    assert outcome == StoreOutcome(
        inserted=_positions(0), duplicates=_positions(1), conflicts=_positions(2)
    )


def test_dead_letters_are_stored_once_per_position(repo: Repo) -> None:
    assert repo.letters([_letter(0), _letter(1)]) == 2
    assert repo.letters([_letter(1), _letter(2, "oversize")]) == 1
    assert repo.letters([]) == 0
    assert repo.tables() == (0, 0, 3)


def test_last_seen_only_moves_forward(repo: Repo) -> None:
    """A replayed or retried batch, older than the last one stored, changes nothing."""
    hour = timedelta(hours=1)
    repo.seen({"hosp-1": NOW, "hosp-2": NOW - hour})
    assert repo.last_seen() == {"hosp-1": NOW, "hosp-2": NOW - hour}
    repo.seen({"hosp-1": NOW - hour, "hosp-2": NOW})
    assert repo.last_seen() == {"hosp-1": NOW, "hosp-2": NOW}
    repo.seen({})
    # 10:00 at +08:00 is 02:00 UTC: later on the clock face, earlier in time — no change.
    beijing = timezone(timedelta(hours=8))
    repo.seen({"hosp-1": datetime(2024, 5, 1, 10, 0, tzinfo=beijing)})
    assert repo.last_seen()["hosp-1"] == NOW
    repo.seen({"hosp-1": datetime(2024, 5, 1, 12, 31, tzinfo=beijing)})
    assert repo.last_seen()["hosp-1"] == NOW + timedelta(minutes=1)


def test_sql_last_seen_ignores_reporters_not_registered(tmp_path: Path) -> None:
    repo = _sql(tmp_path / "recall.db")
    repo.seen({"hosp-1": NOW, "nobody": NOW})
    assert repo.last_seen() == {"hosp-1": NOW}


def _fail_after_writing(repo: Repo) -> None:
    with repo.storage.transaction() as tx:
        tx.intake.store_events([_event(0)])
        tx.intake.store_dead_letters([_letter(1)])
        tx.intake.mark_seen({"hosp-1": NOW})
        raise RuntimeError("the batch failed later on")


def test_nothing_stays_of_a_transaction_that_raises(repo: Repo) -> None:
    with pytest.raises(RuntimeError):
        _fail_after_writing(repo)
    assert repo.tables() == (0, 0, 0)
    assert repo.last_seen() == {}


# --- the fake and SQL agree on generated batches ---------------------------------------------

rows = st.builds(
    _event,
    offset=st.integers(0, 6),
    event_id=st.sampled_from(["e-1", "e-2"]),
    reporter=st.sampled_from(["hosp-1", "hosp-2"]),
    content=st.sampled_from("ab"),
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = tmp_path_factory.mktemp("agree") / "template.db"
    _sql(database)
    return database


_runs = itertools.count()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.lists(rows, max_size=5), min_size=1, max_size=4))
def test_the_fake_and_sql_agree(template: Path, batches: list[list[EventRow]]) -> None:
    memory, sql = _memory(), _sql(template.with_name(f"run-{next(_runs)}.db"), template)
    for batch in batches:
        assert memory.events(batch) == sql.events(batch)
    assert memory.tables() == sql.tables()
