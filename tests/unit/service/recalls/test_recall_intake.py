"""Recall events at intake on the in-memory storage: what is stored, what is refused, and why."""

from __future__ import annotations

import uuid

from recall.domain.recalls import IncidentKind, RecallState
from schemas import RejectReason
from tests.unit.schemas.builders import OTHER_USCC
from tests.unit.service.recalls.recall_builders import (
    AREA,
    BATCH,
    FIRM,
    PRODUCT,
    START,
    accepted,
    corrected_at,
    day,
    injury,
    intake,
    memory_storage,
    notice,
    report,
    repository,
    seeded,
    states,
)


def test_a_notice_and_its_reports_are_stored_in_batch_order() -> None:
    storage = seeded([notice(), report(1, corrected_at(30)), report(2, corrected_at(60))], day(61))
    recalls = repository(storage)
    stored = recalls.recalls["R-1"]
    assert states(storage) == [RecallState.ANNOUNCED]
    created = stored.history[0]
    assert (created.who, created.when) == (FIRM, START)
    assert created.why == "voluntary recall announced: Kettle lid may open while boiling"
    assert (stored.jurisdiction, stored.hazard, stored.spec.product_key) == (
        AREA,
        "burns",
        PRODUCT.product_key,
    )
    assert stored.notice["recall_id"] == "R-1"
    assert list(recalls.reports) == [("R-1", 1), ("R-1", 2)]


def test_the_same_notice_again_passes_and_another_with_its_id_is_a_conflict() -> None:
    first = notice(event_id=uuid.uuid4())
    storage = seeded([first], day(1))
    assert intake(storage, [first], day(1)) == {}
    clash = notice()
    refusals = intake(storage, [clash], day(1))
    refusal = refusals[(FIRM, str(clash.event_id))]
    assert refusal.reason is RejectReason.RECALL_CONFLICT
    assert refusal.errors[0]["field"] == "payload.recall_id"
    assert "召回编号已存在" in refusal.errors[0]["message"]


def test_a_firm_may_only_recall_its_own_products() -> None:
    storage = memory_storage()
    other = notice(maker=OTHER_USCC)
    refusal = intake(storage, [other], day(1))[(FIRM, str(other.event_id))]
    assert refusal.reason is RejectReason.NOT_PERMITTED
    assert refusal.errors[0]["field"] == "payload.product.manufacturer_code"
    assert repository(storage).recalls == {}


def test_reports_need_a_known_recall_its_firm_and_sane_counts() -> None:
    storage = seeded([notice(), report(1, 300)], day(31))
    unknown = report(1, 10, recall_id="R-NONE")
    stranger = report(2, 400, reporter="firm-other")
    shrinking = report(2, 200)  # corrected counts may never go down
    refusals = intake(storage, [unknown, stranger, shrinking], day(61))
    reasons = {event_id: r.reason for (_, event_id), r in refusals.items()}
    assert reasons == {
        str(unknown.event_id): RejectReason.UNKNOWN_RECALL,
        str(stranger.event_id): RejectReason.NOT_PERMITTED,
        str(shrinking.event_id): RejectReason.INVALID_PROGRESS,
    }
    invalid = refusals[(FIRM, str(shrinking.event_id))].errors
    assert invalid
    assert all(e["field"].startswith("payload.") for e in invalid)
    assert list(repository(storage).reports) == [("R-1", 1)]


def test_a_report_redelivered_is_not_checked_against_itself() -> None:
    first = report(1, 300)
    storage = seeded([notice(), first], day(31))
    assert intake(storage, [first], day(32)) == {}
    assert list(repository(storage).reports) == [("R-1", 1)]


def test_injuries_of_recalled_batches_are_noted_before_and_after_the_start() -> None:
    before = injury(day(-10))
    storage = memory_storage()
    repository(storage).accepted_incidents.append(accepted(before))  # arrived before the notice
    after, other_batch, no_batch = (
        injury(day(5)),
        injury(day(6), batch="B9"),
        injury(day(7), batch=None),
    )
    assert intake(storage, [notice(), after, other_batch, no_batch], day(8)) == {}
    noted = {n.incident.incident_id: n for n in repository(storage).incidents("R-1")}
    assert set(noted) == {str(before.event_id), str(after.event_id), str(no_batch.event_id)}
    assert noted[str(before.event_id)].after_start is False
    assert noted[str(after.event_id)].after_start is True
    assert noted[str(after.event_id)].incident.kind is IncidentKind.INJURY
    assert noted[str(after.event_id)].incident.batch == BATCH


def test_an_injury_noted_twice_counts_once() -> None:
    hurt = injury(day(5))
    storage = seeded([notice(), hurt], day(6))
    assert intake(storage, [hurt], day(7)) == {}
    assert len(repository(storage).incidents("R-1")) == 1
