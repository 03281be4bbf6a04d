"""The effectiveness agent's use case on the in-memory storage: moves, figures, alerts, failures."""

from __future__ import annotations

import pytest

from recall.domain.recalls import RecallState
from recall.service.ports import outbox_record
from recall.service.recalls.effectiveness import update_effectiveness
from recall.service.recalls.mapping import progress_report
from recall.service.recalls.ports import ConcurrentRecallUpdateError, StoredReport
from schemas.recalls import RecallEffectivenessUpdated
from schemas.topics import RECALL_EFFECTIVENESS, OutgoingRecordError
from tests.support.fakes.recalls import MemoryRecallRepository
from tests.support.memory_storage import MemoryStorage, TransientStorageError
from tests.unit.service.recalls.recall_builders import (
    AFFECTED,
    TOPICS,
    corrected_at,
    day,
    injury,
    intake,
    notice,
    published,
    report,
    reports,
    repository,
    seeded,
    states,
)


def test_the_first_report_starts_the_recall_and_its_figures_are_published() -> None:
    storage = seeded([notice(), report(1, corrected_at(30))], day(31))
    decisions = update_effectiveness(storage, "R-1", TOPICS, day(31))
    assert decisions.transitions == [RecallState.IN_PROGRESS]
    assert decisions.alerts == []
    assert states(storage) == ["announced", "in_progress"]
    assert repository(storage).recalls["R-1"].history[1].why == "first progress report received"
    (record,) = storage.state.outbox.records.values()
    assert (record.record_id, record.topic, record.key) == ("effectiveness:R-1:1:2", "eff", "R-1")
    update = RecallEffectivenessUpdated.model_validate_json(record.value)
    assert update.state == "in_progress"
    overall = update.rates["overall"]
    assert (overall.affected, overall.corrected) == (AFFECTED, corrected_at(30))
    assert overall.raw_rate == pytest.approx(corrected_at(30) / AFFECTED)
    assert update.forecast is not None
    assert update.forecast.n_points == 1
    assert (update.post_recall.before, update.post_recall.after) == (0, 0)
    stored = repository(storage).recalls["R-1"].effectiveness
    assert stored is not None
    assert stored.rates == update.rates  # the register keeps what was published


def test_the_record_carries_exactly_the_published_fields() -> None:
    storage = seeded([notice(), report(1, corrected_at(30))], day(31))
    update_effectiveness(storage, "R-1", TOPICS, day(31))
    (value,) = published(storage, "eff")
    assert set(value) == {
        "recall_id",
        "state",
        "at",
        "rates",
        "forecast",
        "post_recall",
        "residual_risk",
    }
    assert set(value["rates"]["consumer"]) == {
        "affected",
        "corrected",
        "unreachable",
        "raw_rate",
        "adjusted_rate",
        "reach",
    }
    assert set(value["forecast"]) == {"final_rate", "low80", "high80", "method", "n_points"}
    assert set(value["residual_risk"]) == {
        "uncorrected_units",
        "incidents_after_start",
        "incidents_per_year_expected",
        "incidents_per_year_high",
    }


def test_an_unknown_recall_decides_nothing() -> None:
    storage = seeded([], day(1))
    decisions = update_effectiveness(storage, "R-NONE", TOPICS, day(1))
    assert (decisions.transitions, decisions.alerts) == ([], [])
    assert storage.state.outbox.records == {}


def test_a_recall_far_below_target_lags_with_an_alert_then_recovers() -> None:
    storage = seeded([notice(target_rate=0.9), *reports(3, final=0.3, tau=30)], day(91))
    decisions = update_effectiveness(storage, "R-1", TOPICS, day(91))
    assert decisions.transitions == [RecallState.IN_PROGRESS, RecallState.LAGGING]
    (alert,) = published(storage, "alerts")
    assert (alert["kind"], alert["severity"], alert["subject"]) == (
        "recall_lagging",
        "warning",
        "R-1",
    )
    assert alert["details"]["target_rate"] == "0.90"
    assert "below the target 90%" in alert["details"]["reason"]
    assert published(storage, "eff")[-1]["state"] == "lagging"

    assert intake(storage, [report(4, 880), report(5, 900)], day(151)) == {}
    decisions = update_effectiveness(storage, "R-1", TOPICS, day(151))
    assert decisions.transitions == [RecallState.IN_PROGRESS]
    assert states(storage)[-2:] == ["lagging", "in_progress"]
    assert "back on target" in repository(storage).recalls["R-1"].history[-1].why


def test_a_report_reaching_the_target_date_completes_the_recall() -> None:
    storage = seeded([notice(), *reports(6)], day(181))
    decisions = update_effectiveness(storage, "R-1", TOPICS, day(181))
    assert decisions.transitions == [RecallState.IN_PROGRESS, RecallState.COMPLETED]
    assert "reached the target date" in repository(storage).recalls["R-1"].history[-1].why
    assert published(storage, "eff")[-1]["state"] == "completed"


def test_injuries_from_recalled_units_make_the_recall_ineffective() -> None:
    hurt = [injury(day(100)), injury(day(105)), injury(day(110))]
    storage = seeded([notice(), *reports(4), *hurt], day(121))
    decisions = update_effectiveness(storage, "R-1", TOPICS, day(121))
    assert decisions.alerts == ["recall_ineffective"]
    (alert,) = published(storage, "alerts")
    assert (alert["severity"], alert["details"]["incidents_after"]) == ("critical", "3")
    assert "days after the start" in alert["details"]["reasons"]
    figures = published(storage, "eff")[-1]
    assert figures["post_recall"] == {"before": 0, "after": 3}
    assert figures["residual_risk"]["incidents_after_start"] == 3.0
    update_effectiveness(storage, "R-1", TOPICS, day(122))
    assert len(published(storage, "alerts")) == 1  # the same incidents alert once


def test_a_record_that_breaks_its_model_is_refused_and_nothing_is_written() -> None:
    storage = seeded([notice()], day(1))
    impossible = report(1, AFFECTED + 500).payload  # more corrected than affected: rate > 1
    recalls = repository(storage)
    levels = {k.value: v.model_dump(mode="json") for k, v in impossible.levels.items()}
    wrong = progress_report("R-1", 1, day(0), day(30), day(30), levels)
    recalls.reports[("R-1", 1)] = StoredReport(wrong, "e-1", refused=False)
    commits = storage.commits
    with pytest.raises(OutgoingRecordError, match=r"recalls\.effectiveness.*raw_rate"):
        update_effectiveness(storage, "R-1", TOPICS, day(31))
    assert storage.commits == commits
    assert states(storage) == ["announced"]  # the start was rolled back with the rest
    assert repository(storage).recalls["R-1"].effectiveness is None
    assert storage.state.outbox.records == {}


def test_the_outbox_refuses_an_effectiveness_record_with_a_field_missing() -> None:
    storage = seeded([notice(), report(1, corrected_at(30))], day(31))
    update_effectiveness(storage, "R-1", TOPICS, day(31))
    (value,) = published(storage, "eff")
    del value["post_recall"]
    with pytest.raises(OutgoingRecordError, match="post_recall"):
        outbox_record(
            RECALL_EFFECTIVENESS, "eff", record_id="x", key="R-1", value=value, at=day(31)
        )


def test_a_transient_failure_at_save_leaves_nothing_and_the_retry_writes_once() -> None:
    storage = seeded([notice(), report(1, corrected_at(30))], day(31))
    repository(storage).fail_next_save(TransientStorageError("connection lost"))
    with pytest.raises(TransientStorageError) as raised:
        update_effectiveness(storage, "R-1", TOPICS, day(31))
    assert storage.is_transient(raised.value)
    assert states(storage) == ["announced"]
    assert storage.state.outbox.records == {}
    update_effectiveness(storage, "R-1", TOPICS, day(31))
    assert states(storage) == ["announced", "in_progress"]
    assert len(published(storage, "eff")) == 1


def test_an_outage_at_the_start_of_the_transaction_is_transient_too() -> None:
    storage = seeded([notice(), report(1, corrected_at(30))], day(31))
    storage.fail_next(TransientStorageError("database restarting"))
    with pytest.raises(TransientStorageError):
        update_effectiveness(storage, "R-1", TOPICS, day(31))
    assert states(storage) == ["announced"]
    update_effectiveness(storage, "R-1", TOPICS, day(31))
    assert states(storage) == ["announced", "in_progress"]


def _start_elsewhere(recalls: MemoryRecallRepository, recall_id: str) -> None:
    loaded = recalls.get(recall_id)
    assert loaded is not None
    loaded.recall.start(who="someone", when=day(31), why="started elsewhere")
    recalls.save(loaded, at=day(31))


def test_a_concurrent_move_is_detected_and_the_update_judges_again() -> None:
    storage = seeded([notice(), report(1, corrected_at(30))], day(31))
    committed = repository(storage)

    def another_worker_commits(working: MemoryRecallRepository, recall_id: str) -> None:
        """Between this load and this save, another writer moves the recall and commits."""
        _start_elsewhere(committed, recall_id)  # what the database now holds
        _start_elsewhere(working, recall_id)  # what this transaction's save will find

    committed.after_next_get(another_worker_commits)
    decisions = update_effectiveness(storage, "R-1", TOPICS, day(31))
    assert decisions.transitions == []  # reloaded: already in progress, nothing to start
    assert states(storage) == ["announced", "in_progress"]
    assert repository(storage).recalls["R-1"].history[1].who == "someone"
    (update,) = published(storage, "eff")
    assert update["state"] == "in_progress"


def test_a_recall_that_keeps_changing_gives_up_with_nothing_written() -> None:
    storage: MemoryStorage = seeded([notice(), report(1, corrected_at(30))], day(31))
    recalls = repository(storage)

    def bump(repo: MemoryRecallRepository, recall_id: str) -> None:
        repo.recalls[recall_id].history += (repo.recalls[recall_id].history[-1],)

    for _ in range(3):
        recalls.after_next_get(bump)
    with pytest.raises(ConcurrentRecallUpdateError):
        update_effectiveness(storage, "R-1", TOPICS, day(31))
    assert states(storage) == ["announced"]
    assert storage.state.outbox.records == {}
