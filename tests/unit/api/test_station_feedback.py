"""`recall station send --wait`: a station reads what became of its events through the API."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.cli.station_feedback import FeedbackError, await_outcomes, report_outcomes
from recall.domain.access import Principal, Role
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.submission_seed import refused_event, stored_event
from tests.unit.api.test_api_submissions import STATION


class FakeTime:
    """A clock that moves only when the poller sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps = 0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += seconds


def test_outcomes_are_printed_and_a_rejection_exits_1(
    as_: AsPrincipal, db: sessionmaker[Session]
) -> None:
    good, bad = str(uuid.uuid4()), str(uuid.uuid4())
    stored_event(db, "ST-TY-1", good)
    refused_event(db, "ST-TY-1", bad, offset=3)
    lines: list[str] = []
    code = report_outcomes(as_(STATION), [good, bad, "not-an-id"], 5.0, lines.append)
    assert code == 1
    assert lines[0] == f"{good}: accepted"
    assert lines[1] == (f"{bad}: rejected (schema) — payload.age: Input should be a valid integer")
    assert lines[-1] == "1 accepted, 1 rejected, 1 pending"


def test_polling_stops_at_the_deadline_with_the_undecided_pending(
    as_: AsPrincipal, db: sessionmaker[Session]
) -> None:
    late = str(uuid.uuid4())
    time = FakeTime()
    found = await_outcomes(
        as_(STATION), [late], timeout_s=2.0, interval_s=0.5, clock=time.clock, sleep=time.sleep
    )
    assert [o.state for o in found] == ["pending"]
    assert time.now == 2.0 and time.sleeps == 4


def test_polling_ends_as_soon_as_everything_is_decided(
    as_: AsPrincipal, db: sessionmaker[Session]
) -> None:
    event_id = str(uuid.uuid4())
    time = FakeTime()

    def sleep(seconds: float) -> None:
        time.sleep(seconds)
        stored_event(db, "ST-TY-1", event_id)  # the worker stores it while the station waits

    found = await_outcomes(as_(STATION), [event_id], timeout_s=30.0, clock=time.clock, sleep=sleep)
    assert [o.state for o in found] == ["accepted"] and time.sleeps == 1


def test_a_wrong_role_or_token_is_an_error_not_a_pending_forever(as_: AsPrincipal) -> None:
    regulator = Principal("acc-r", Role.REGULATOR, region="140000")
    with pytest.raises(FeedbackError, match="RECALL_API_TOKEN"):
        report_outcomes(as_(regulator), [str(uuid.uuid4())], 1.0, print)
