"""`store_batch` on in-memory storage: where every record of a batch ends, and what is kept.

Stored / duplicate / redelivered / dead-lettered, each record exactly once; a record the store
refuses is isolated as `storage_refused` and the rest of its batch is stored; a transient error
leaves nothing behind and reaches the caller, who retries. The SQL repository is held to the
fake's semantics by test_intake_repository.py.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest

from recall.service.intake.admission import Accepted, RawRecord, process_record
from recall.service.intake.batch import (
    AccountingError,
    BatchResult,
    Item,
    check_accounting,
    store_batch,
)
from tests.support.fakes.intake import MemoryIntakeRepository
from tests.support.fakes.recalls import MemoryRecallRepository
from tests.support.memory_storage import MemoryStorage, TransientStorageError
from tests.unit.schemas.builders import (
    LAB,
    REPORTER,
    heartbeat_event,
    injury_event,
    injury_payload,
    progress_event,
    progress_payload,
    sampling_event,
)
from tests.unit.service.intake.intake_builders import NOW, REPORTERS, RULES, raw, raw_bytes


def _id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def _record(n: int, event: dict[str, Any] | None = None, *, offset: int | None = None) -> RawRecord:
    """The record at offset `offset` (default `n`) carrying injury report number `n`."""
    record = raw(event or injury_event(event_id=_id(n)))
    return dataclasses.replace(record, offset=n if offset is None else offset)


def _items(*records: RawRecord) -> list[Item]:
    return [(r, process_record(r, RULES, NOW)) for r in records]


def _storage(intake: MemoryIntakeRepository | None = None) -> MemoryStorage:
    return MemoryStorage(
        intake=intake or MemoryIntakeRepository(), recalls=MemoryRecallRepository()
    )


def _store(storage: MemoryStorage, items: list[Item]) -> BatchResult:
    return store_batch(storage, items, dict(REPORTERS), NOW)


def _stored(storage: MemoryStorage) -> MemoryIntakeRepository:
    repository: MemoryIntakeRepository = storage.state.intake
    return repository


def _reasons(result: BatchResult) -> list[str]:
    return [letter.reason.value for letter in result.letters]


def test_new_events_are_stored_and_forwarded() -> None:
    storage = _storage()
    items = _items(_record(1), _record(2), _record(3, heartbeat_event(event_id=_id(3))))
    result = _store(storage, items)
    assert (result.inserted, result.duplicates, result.redelivered, result.dead_letters) == (
        3,
        0,
        0,
        0,
    )
    assert [r.offset for r, _ in result.forward] == [1, 2, 3]
    assert [r.offset for r, _ in result.accepted] == [1, 2, 3]
    assert set(result.outcomes.values()) == {"stored"}
    assert len(_stored(storage).events) == 3
    assert storage.commits == 1


def test_a_redelivered_batch_stores_nothing_twice_and_is_forwarded_again() -> None:
    storage = _storage()
    items = _items(_record(1), _record(2))
    _store(storage, items)
    again = _store(storage, items)  # the worker died before committing its offsets
    assert (again.inserted, again.redelivered) == (0, 2)
    assert len(again.forward) == 2, "its first canonical record may never have been produced"
    assert set(again.outcomes.values()) == {"redelivered"}
    assert len(_stored(storage).events) == 2


def test_a_resent_event_is_a_duplicate_counted_once_and_not_forwarded() -> None:
    storage = _storage()
    _store(storage, _items(_record(1)))
    resent = _record(1, offset=9)  # the same report sent again: a new record, a new position
    result = _store(storage, _items(resent))
    assert (result.inserted, result.duplicates) == (0, 1)
    assert result.forward == [] and result.accepted == [(resent, result.accepted[0][1])]
    assert result.outcomes == {resent.position: "duplicate"}
    again = _store(storage, _items(resent))
    assert again.outcomes == {resent.position: "duplicate"}
    assert list(_stored(storage).duplicates) == [resent.position]


def test_a_used_id_with_other_content_is_dead_lettered_as_a_conflict() -> None:
    storage = _storage()
    _store(storage, _items(_record(1)))
    other = injury_event(injury_payload(age_years=71), event_id=_id(1))
    reused = _record(1, other, offset=8)
    result = _store(storage, _items(reused))
    assert _reasons(result) == ["event_id_conflict"]
    assert result.forward == [] and result.accepted == []
    assert result.outcomes == {reused.position: "dead_lettered"}
    assert result.dead_letters == 1
    assert list(_stored(storage).dead_letters) == [reused.position]
    assert _stored(storage).dead_letters[reused.position]["event_id"] == _id(1)


def test_refused_records_are_dead_lettered_once_per_position() -> None:
    storage = _storage()
    bad = dataclasses.replace(raw_bytes(b"{broken"), offset=5)
    items = _items(_record(1), bad)
    first = _store(storage, items)
    assert first.dead_letters == 1 and first.outcomes[bad.position] == "dead_lettered"
    again = _store(storage, items)
    assert again.dead_letters == 0, "a redelivered dead letter is not stored twice"
    assert again.outcomes[bad.position] == "dead_lettered"
    assert len(again.letters) == 1  # produced again: at-least-once, consumers dedupe by source
    assert _stored(storage).dead_letters[bad.position]["reason"] == "malformed_json"
    assert _stored(storage).dead_letters[bad.position]["event_id"] is None


def test_a_record_the_store_refuses_is_isolated_and_the_rest_stored() -> None:
    storage = _storage(MemoryIntakeRepository(refuse_events={_id(6)}))
    items = _items(*(_record(n) for n in range(10)))
    result = _store(storage, items)
    assert result.isolated == 1
    assert result.inserted == 9
    assert _reasons(result) == ["storage_refused"]
    assert result.letters[0].reporter_id == "hosp-140105-01"
    assert result.outcomes[items[6][0].position] == "dead_lettered"
    assert len(result.outcomes) == 10
    assert _id(6) not in {event_id for _, event_id in _stored(storage).events}
    letter = _stored(storage).dead_letters[items[6][0].position]
    assert letter["reason"] == "storage_refused" and letter["original"] == items[6][0].value
    assert letter["event_id"] == _id(6)  # the station can still look it up by id


def test_a_dead_letter_the_store_refuses_is_kept_with_its_position_only() -> None:
    intake = MemoryIntakeRepository(refuse_events={_id(1)}, refuse_letters_from={"hosp-140105-01"})
    storage = _storage(intake)
    record = _record(1)
    result = _store(storage, _items(record))
    assert result.isolated == 1 and _reasons(result) == ["storage_refused"]
    kept = _stored(storage).dead_letters[record.position]
    assert (kept["reason"], kept["reporter_id"], kept["original"]) == ("storage_refused", None, b"")
    assert kept["event_id"] is None  # nothing of the record but its position
    assert orjson.loads(result.letters[0].dead_letter)["original_size"] == 0


def test_a_transient_error_reaches_the_caller_and_leaves_nothing() -> None:
    storage = _storage()
    storage.fail_next(TransientStorageError("the database went away"))
    items = _items(_record(1), _record(2))
    with pytest.raises(TransientStorageError):
        _store(storage, items)
    assert _stored(storage).events == {} and storage.commits == 0
    result = _store(storage, items)  # the caller's retry
    assert result.inserted == 2 and result.isolated == 0


def test_a_one_off_permanent_failure_splits_the_batch_without_losing_a_record() -> None:
    storage = _storage()
    storage.fail_next(ValueError("refused once"))
    result = _store(storage, _items(*(_record(n) for n in range(4))))
    assert (result.inserted, result.isolated, result.letters) == (4, 0, [])
    assert storage.commits == 2  # the two halves


def test_a_single_record_refused_on_its_own_is_dead_lettered() -> None:
    storage = _storage()
    storage.fail_next(ValueError("refused"))
    record = _record(1)
    result = _store(storage, _items(record))
    assert result.isolated == 1 and _reasons(result) == ["storage_refused"]
    assert result.outcomes == {record.position: "dead_lettered"}


def test_a_record_delivered_twice_in_one_batch_has_one_outcome() -> None:
    storage = _storage()
    record = _record(1)
    result = _store(storage, _items(record, record))
    assert result.outcomes == {record.position: "redelivered"}
    assert result.inserted == 1 and len(_stored(storage).events) == 1


def test_a_refused_recall_event_is_dead_lettered_with_the_rule_it_broke() -> None:
    storage = _storage()
    april = progress_payload(
        period_start="2024-04-01T00:00:00+08:00", period_end="2024-04-30T00:00:00+08:00"
    )
    record = _record(4, progress_event(april, event_id=_id(4)))  # for a recall never announced
    result = _store(storage, _items(record, _record(5)))
    assert _reasons(result) == ["unknown_recall"]
    assert result.outcomes == {record.position: "dead_lettered", _record(5).position: "stored"}


def test_every_record_needs_exactly_one_outcome() -> None:
    records = [_record(1), _record(2)]
    result = BatchResult(outcomes={records[0].position: "stored"})
    with pytest.raises(AccountingError, match="1 records of the batch have no outcome"):
        check_accounting(records, result)
    result.outcomes[records[1].position] = "duplicate"
    check_accounting(records, result)


def test_a_mixed_batch_accounts_for_every_record() -> None:
    storage = _storage()
    _store(storage, _items(_record(1)))
    records = [
        _record(1),  # redelivered
        _record(1, offset=20),  # duplicate
        _record(2),  # new
        dataclasses.replace(raw_bytes(b"{broken"), offset=21),  # dead letter
        _record(1, injury_event(injury_payload(age_years=9), event_id=_id(1)), offset=22),
    ]
    result = _store(storage, _items(*records))
    assert [result.outcomes[r.position] for r in records] == [
        "redelivered",
        "duplicate",
        "stored",
        "dead_lettered",
        "dead_lettered",
    ]
    assert all(isinstance(o, Accepted) for _, o in result.forward)


# --- when each station was last seen ---------------------------------------------------------

LATER = NOW + timedelta(hours=1)


def _store_at(storage: MemoryStorage, items: list[Item], now: datetime) -> BatchResult:
    return store_batch(storage, items, dict(REPORTERS), now)


def test_stations_are_seen_when_their_events_and_heartbeats_are_stored() -> None:
    storage = _storage()
    _store(storage, _items(_record(1), _record(2, sampling_event(event_id=_id(2)))))
    assert _stored(storage).last_seen == {REPORTER: NOW, LAB: NOW}
    _store_at(storage, _items(_record(3, heartbeat_event(event_id=_id(3)))), LATER)
    assert _stored(storage).last_seen == {REPORTER: LATER, LAB: NOW}


def test_a_resend_is_contact_a_redelivery_is_not() -> None:
    storage = _storage()
    _store(storage, _items(_record(1)))
    _store_at(storage, _items(_record(1)), LATER)  # the same record again, after a crash
    assert _stored(storage).last_seen == {REPORTER: NOW}
    _store_at(storage, _items(_record(1, offset=9)), LATER)  # the station sent it again
    assert _stored(storage).last_seen == {REPORTER: LATER}


def test_last_seen_never_moves_backwards() -> None:
    """A batch stored after a later one (a retry, a rebalanced partition) keeps the later time."""
    storage = _storage()
    _store_at(storage, _items(_record(1)), LATER)
    _store(storage, _items(_record(2)))
    assert _stored(storage).last_seen == {REPORTER: LATER}


def test_refused_records_are_not_contact() -> None:
    """A refusal's reporter id may be only what an unsigned record claims."""
    storage = _storage()
    _store(storage, _items(_record(1)))
    refused = [
        dataclasses.replace(raw_bytes(b"{broken"), offset=5),
        _record(6, injury_event(injury_payload(age_years=130), event_id=_id(6))),
        _record(1, injury_event(injury_payload(age_years=9), event_id=_id(1)), offset=7),
        dataclasses.replace(raw(injury_event(event_id=_id(8)), signer="hosp-ghost"), offset=8),
    ]
    result = _store_at(storage, _items(*refused), LATER)
    assert set(result.outcomes.values()) == {"dead_lettered"}
    assert _stored(storage).last_seen == {REPORTER: NOW}


def test_last_seen_is_not_kept_from_a_batch_that_fails() -> None:
    storage = _storage()
    storage.fail_next(TransientStorageError("the database went away"))
    with pytest.raises(TransientStorageError):
        _store(storage, _items(_record(1)))
    assert _stored(storage).last_seen == {}
