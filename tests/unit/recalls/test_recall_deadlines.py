"""Deadlines: clock edges, time zones, late reports, idempotent notices and referrals."""

from __future__ import annotations

import datetime as dt

import pytest

from recall.domain.recalls import (
    DeadlineTracker,
    InvalidRecallError,
    Timeliness,
    reporting_schedule,
)

from .builders import START, day

T = Timeliness
US = dt.timedelta(microseconds=1)


def _tracker(
    count: int = 4, *, misses_for_referral: int = 2, sent_keys: frozenset[str] = frozenset()
) -> DeadlineTracker:
    return DeadlineTracker(
        reporting_schedule("R-1", START, 30, count),
        misses_for_referral=misses_for_referral,
        sent_keys=sent_keys,
    )


def test_schedule_is_start_plus_cadence_with_optional_grace() -> None:
    schedule = reporting_schedule("R-1", START, 30, 3, grace_days=10)
    assert [e.due for e in schedule] == [day(40), day(70), day(100)]
    assert schedule[0].key == "R-1/report/1"
    with pytest.raises(InvalidRecallError):
        reporting_schedule("R-1", dt.datetime(2024, 1, 1), 30, 3)
    with pytest.raises(InvalidRecallError):
        reporting_schedule("R-1", START, 0, 3)


def test_report_exactly_at_deadline_is_on_time_one_microsecond_later_is_late() -> None:
    tracker = _tracker()
    assert tracker.receive(1, day(30)).timeliness is T.ON_TIME
    late = tracker.receive(2, day(60) + US)
    assert late.timeliness is T.LATE
    assert late.days_late > 0


def test_deadline_compared_across_time_zones() -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    tracker = _tracker()
    # 2024-01-31 08:00 in Beijing is exactly 2024-01-31 00:00 UTC, the deadline of report 1
    assert tracker.receive(1, dt.datetime(2024, 1, 31, 8, tzinfo=beijing)).timeliness is T.ON_TIME
    assert tracker.receive(2, dt.datetime(2024, 3, 1, 8, 1, tzinfo=beijing)).timeliness is T.LATE
    with pytest.raises(InvalidRecallError):
        tracker.receive(3, dt.datetime(2024, 3, 1))


def test_not_overdue_at_the_deadline_instant_overdue_just_after() -> None:
    tracker = _tracker()
    assert tracker.overdue_notices(day(30)) == []
    notices = tracker.overdue_notices(day(30) + US)
    assert [n.key for n in notices] == ["R-1/report/1/overdue"]


def test_overdue_notice_is_emitted_once_and_survives_a_restart() -> None:
    tracker = _tracker()
    first = tracker.overdue_notices(day(31))
    assert len(first) == 1
    assert first[0].days_overdue == pytest.approx(1.0)
    assert tracker.overdue_notices(day(32)) == []
    restored = _tracker(sent_keys=tracker.sent_keys)
    assert restored.overdue_notices(day(33)) == []
    assert [n.sequence for n in restored.overdue_notices(day(61))] == [2]


def test_late_report_closes_the_expectation_but_counts_as_late() -> None:
    tracker = _tracker()
    tracker.overdue_notices(day(35))
    tracker.receive(1, day(40))
    status = {s.expected.sequence: s.timeliness for s in tracker.status(day(45))}
    assert status == {1: T.LATE, 2: T.PENDING, 3: T.PENDING, 4: T.PENDING}
    assert tracker.overdue_notices(day(45)) == []


def test_status_reads_only_receipts_known_at_now() -> None:
    tracker = _tracker()
    tracker.receive(1, day(40))
    assert tracker.status(day(35))[0].timeliness is T.OVERDUE
    assert tracker.status(day(40))[0].timeliness is T.LATE


def test_duplicate_and_unscheduled_reports() -> None:
    tracker = _tracker()
    first = tracker.receive(1, day(10))
    assert tracker.receive(1, day(50)) is first
    assert tracker.receive(9, day(50)).timeliness is T.UNSCHEDULED


def test_referral_after_two_consecutive_misses_once() -> None:
    tracker = _tracker()
    tracker.receive(1, day(45))  # late: a miss
    assert tracker.referrals(day(59)) == []  # report 2 not due yet
    referrals = tracker.referrals(day(61))  # report 2 missing
    assert len(referrals) == 1
    referral = referrals[0]
    assert referral.missed_sequences == (1, 2)
    assert not referral.refused
    assert "2 consecutive" in referral.reasons[0]
    assert "submitted late" in referral.reasons[1]
    assert "missing" in referral.reasons[2]
    assert tracker.referrals(day(95)) == []  # the same run, now longer: no second referral


def test_single_misses_separated_by_on_time_reports_are_not_referred() -> None:
    tracker = _tracker()
    tracker.receive(2, day(55))
    tracker.receive(4, day(115))
    assert tracker.referrals(day(125)) == []  # misses 1 and 3 are not consecutive
    strict = _tracker(misses_for_referral=1)
    strict.receive(2, day(55))
    assert [r.missed_sequences for r in strict.referrals(day(125))] == [(1,), (3, 4)]


def test_refusal_is_referred_at_once_with_reason() -> None:
    tracker = _tracker()
    tracker.refuse(day(10), "firm disputes the defect")
    assert tracker.referrals(day(5)) == []  # refusal not yet known at day 5
    referrals = tracker.referrals(day(11))
    assert len(referrals) == 1
    assert referrals[0].refused
    assert "disputes" in referrals[0].reasons[0]
    assert tracker.referrals(day(12)) == []
