"""Every progress-report rule: each broken rule is reported, nothing is fixed."""

from __future__ import annotations

import dataclasses
import datetime as dt

from recall.domain.recalls import (
    LevelProgress,
    ProgressReport,
    Remedy,
    SupplyLevel,
    Violation,
    validate_progress,
)

from .builders import consumer, day, make_report, make_spec

RECALLS = {"R-1": make_spec()}


def _codes(found: list[Violation]) -> set[tuple[str, str]]:
    return {(v.field, v.code) for v in found}


def _valid_pair() -> tuple[ProgressReport, ProgressReport]:
    first = make_report(1, {SupplyLevel.CONSUMER: consumer(100, notified=400)})
    second = make_report(2, {SupplyLevel.CONSUMER: consumer(150, notified=500)})
    return first, second


def test_valid_sequence_has_no_violations() -> None:
    first, second = _valid_pair()
    assert validate_progress(first, recalls=RECALLS) == []
    assert validate_progress(second, recalls=RECALLS, previous=first) == []


def test_unknown_recall_is_rejected_alone() -> None:
    report = make_report(1, {SupplyLevel.CONSUMER: consumer(-5)}, recall_id="R-404")
    found = validate_progress(report, recalls=RECALLS)
    assert _codes(found) == {("recall_id", "unknown_recall")}
    assert "R-404" in found[0].message
    assert "不存在" in found[0].message_zh


def test_decreasing_counts_are_each_reported() -> None:
    first = make_report(
        1,
        {
            SupplyLevel.CONSUMER: LevelProgress(
                located=500,
                notified=400,
                corrected={Remedy.REPAIR: 100, Remedy.REFUND: 10},
                unreachable={"exported": 5},
            )
        },
    )
    second = make_report(
        2,
        {
            SupplyLevel.CONSUMER: LevelProgress(
                located=500, notified=390, corrected={Remedy.REPAIR: 90}, unreachable={}
            )
        },
    )
    found = validate_progress(second, recalls=RECALLS, previous=first)
    assert _codes(found) == {
        ("levels.consumer.notified", "count_decreased"),
        ("levels.consumer.corrected.repair", "count_decreased"),
        ("levels.consumer.corrected.refund", "count_decreased"),  # missing now = 0
        ("levels.consumer.unreachable.exported", "count_decreased"),
    }
    repair = next(v for v in found if v.field.endswith("repair"))
    assert "from 100 to 90" in repair.message
    assert "累计数" in repair.message_zh


def test_missing_level_counts_as_zero_and_is_a_decrease() -> None:
    first = make_report(1, {SupplyLevel.RETAILER: consumer(20)})
    second = make_report(2, {})
    assert ("levels.retailer.corrected.repair", "count_decreased") in _codes(
        validate_progress(second, recalls=RECALLS, previous=first)
    )


def test_corrected_plus_unreachable_may_equal_but_not_exceed_affected() -> None:
    at_limit = make_report(1, {SupplyLevel.RETAILER: consumer(190, notified=200, lost=10)})
    assert validate_progress(at_limit, recalls=RECALLS) == []
    over = make_report(1, {SupplyLevel.RETAILER: consumer(191, notified=200, lost=10)})
    found = validate_progress(over, recalls=RECALLS)
    assert _codes(found) == {("levels.retailer.corrected", "exceeds_affected")}
    assert "201" in found[0].message


def test_level_without_affected_units_cannot_report_corrections() -> None:
    report = make_report(1, {SupplyLevel.DISTRIBUTOR: consumer(1)})
    codes = _codes(validate_progress(report, recalls=RECALLS))
    assert ("levels.distributor.corrected", "exceeds_affected") in codes
    assert ("levels.distributor.located", "exceeds_affected") in codes


def test_negative_counts_and_remedy_not_offered() -> None:
    report = make_report(
        1,
        {
            SupplyLevel.CONSUMER: LevelProgress(
                located=-1, notified=0, corrected={Remedy.REPLACE: 3}
            )
        },
    )
    codes = _codes(validate_progress(report, recalls=RECALLS))
    assert ("levels.consumer.located", "negative_count") in codes
    assert ("levels.consumer.corrected.replace", "remedy_not_offered") in codes


def test_period_must_follow_previous_and_sequence_must_increase() -> None:
    first, second = _valid_pair()
    overlapping = dataclasses.replace(second, period_start=day(20))
    assert _codes(validate_progress(overlapping, recalls=RECALLS, previous=first)) == {
        ("period_start", "overlaps_previous")
    }
    repeated = dataclasses.replace(second, sequence=1)
    assert _codes(validate_progress(repeated, recalls=RECALLS, previous=first)) == {
        ("sequence", "sequence_not_increasing")
    }
    gap = dataclasses.replace(second, sequence=5)  # a skipped report is for deadlines to judge
    assert validate_progress(gap, recalls=RECALLS, previous=first) == []


def test_period_edges_touching_is_fine() -> None:
    first, second = _valid_pair()
    assert second.period_start == first.period_end
    assert validate_progress(second, recalls=RECALLS, previous=first) == []


def test_time_rules() -> None:
    first, _ = _valid_pair()
    empty = dataclasses.replace(first, period_end=first.period_start)
    early = dataclasses.replace(first, period_start=day(-1))
    premature = dataclasses.replace(first, submitted_at=day(29))
    assert ("period_end", "empty_period") in _codes(validate_progress(empty, recalls=RECALLS))
    assert _codes(validate_progress(early, recalls=RECALLS)) == {
        ("period_start", "before_recall_start")
    }
    assert _codes(validate_progress(premature, recalls=RECALLS)) == {
        ("submitted_at", "submitted_before_period_end")
    }
    naive = dataclasses.replace(first, submitted_at=dt.datetime(2024, 3, 1))
    assert _codes(validate_progress(naive, recalls=RECALLS)) == {("submitted_at", "naive_datetime")}


def test_previous_from_another_recall_is_flagged() -> None:
    first, second = _valid_pair()
    other = dataclasses.replace(first, recall_id="R-2")
    assert ("recall_id", "previous_other_recall") in _codes(
        validate_progress(second, recalls=RECALLS, previous=other)
    )


def test_report_is_not_modified() -> None:
    report = make_report(1, {SupplyLevel.RETAILER: consumer(500)})
    before = dataclasses.asdict(report)
    validate_progress(report, recalls=RECALLS)
    assert dataclasses.asdict(report) == before
