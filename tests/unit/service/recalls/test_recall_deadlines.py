"""The deadline check on the in-memory storage: overdue reports, referrals, post-recall injuries."""

from __future__ import annotations

import pytest

from recall.service.recalls.deadlines import check_deadlines
from recall.service.recalls.effectiveness import update_effectiveness
from tests.support.memory_storage import MemoryStorage, TransientStorageError
from tests.unit.service.recalls.recall_builders import (
    TOPICS,
    corrected_at,
    day,
    injury,
    notice,
    published,
    report,
    reports,
    repository,
    seeded,
)


def _kinds(storage: MemoryStorage) -> list[str]:
    return [a["kind"] for a in published(storage, "alerts")]


def test_reports_on_time_raise_nothing() -> None:
    storage = seeded([notice(), *reports(3)], day(91))
    decisions = check_deadlines(storage, TOPICS, day(91))
    assert decisions.alerts == []
    assert storage.state.outbox.records == {}


def test_a_missed_report_is_announced_once() -> None:
    storage = seeded([notice(), *reports(2)], day(61))
    decisions = check_deadlines(storage, TOPICS, day(95))
    assert decisions.alerts == ["progress_report_overdue"]
    (alert,) = published(storage, "alerts")
    assert alert["title"].endswith("R-1 #3")
    assert alert["details"]["sequence"] == "3"
    assert alert["details"]["days_overdue"] == "5.0"
    assert repository(storage).recalls["R-1"].sent_keys == {"R-1/report/3/overdue"}
    again = check_deadlines(storage, TOPICS, day(96))
    assert again.alerts == []
    assert len(published(storage, "alerts")) == 1


def test_repeated_misses_are_referred_to_enforcement() -> None:
    storage = seeded([notice(), report(1, corrected_at(30))], day(31))
    decisions = check_deadlines(storage, TOPICS, day(95))
    assert decisions.alerts == ["progress_report_overdue"] * 2 + ["referral"]
    referral = published(storage, "alerts")[-1]
    assert referral["severity"] == "critical"
    assert referral["details"]["missed"] == "2,3"
    assert referral["details"]["refused"] == "false"
    assert "2 consecutive reports missed their deadline" in referral["details"]["reasons"]


def test_a_late_report_counts_as_a_miss() -> None:
    storage = seeded([notice(), report(1, 300, late_days=3), report(2, 400, late_days=3)], day(70))
    decisions = check_deadlines(storage, TOPICS, day(70))
    assert decisions.alerts == ["referral"]
    assert "submitted late" in published(storage, "alerts")[0]["details"]["reasons"]


def test_a_firm_that_refuses_is_referred_at_once() -> None:
    storage = seeded([notice(), report(1, 300, refused=True)], day(31))
    decisions = check_deadlines(storage, TOPICS, day(31))
    assert decisions.alerts == ["referral"]
    (alert,) = published(storage, "alerts")
    assert alert["details"]["refused"] == "true"
    assert "declined to continue" in alert["details"]["reasons"]


def test_post_recall_injuries_are_judged_on_the_timer_and_alert_once() -> None:
    hurt = [injury(day(100)), injury(day(105)), injury(day(110))]
    storage = seeded([notice(), *reports(4), *hurt], day(121))
    decisions = check_deadlines(storage, TOPICS, day(121))
    assert decisions.alerts == ["recall_ineffective"]
    update_effectiveness(storage, "R-1", TOPICS, day(121))  # the agent finds the same incidents
    assert _kinds(storage).count("recall_ineffective") == 1


def test_finished_recalls_are_not_checked() -> None:
    storage = seeded([notice(), *reports(6)], day(181))
    update_effectiveness(storage, "R-1", TOPICS, day(181))  # completed
    before = len(storage.state.outbox.records)
    assert check_deadlines(storage, TOPICS, day(400)).alerts == []
    assert len(storage.state.outbox.records) == before


def test_a_failed_check_announces_nothing_and_the_next_one_everything() -> None:
    storage = seeded([notice(), report(1, corrected_at(30))], day(31))
    storage.fail_next(TransientStorageError("connection lost"))
    with pytest.raises(TransientStorageError):
        check_deadlines(storage, TOPICS, day(95))
    assert storage.state.outbox.records == {}
    assert repository(storage).recalls["R-1"].sent_keys == frozenset()
    assert len(check_deadlines(storage, TOPICS, day(95)).alerts) == 3
