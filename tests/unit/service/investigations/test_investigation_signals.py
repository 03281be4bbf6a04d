"""`handle_signals` on the in-memory storage: open, repeat, attach, reopen, fail cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from recall.domain.investigations import (
    Decision,
    EvidenceKind,
    InvestigationInputError,
    InvestigationState,
    RiskLevel,
    investigation_id_for,
)
from recall.service.investigations import records
from recall.service.investigations.commands import assign_experts, conclude
from recall.service.investigations.signals import (
    AGENT,
    evidence_from_signal,
    handle_signals,
)
from schemas.risk import InvestigationEvent
from schemas.topics import OutgoingRecordError
from tests.support.investigations import (
    HAZARD,
    OTHER_PRODUCT,
    PRODUCT,
    RAISED,
    TOPICS,
    alerts,
    expert,
    later,
    memory_storage,
    outbox,
    repository,
    signal,
)
from tests.support.memory_storage import MemoryStorage, TransientStorageError

FIRST = investigation_id_for(PRODUCT, HAZARD, 1)


def test_a_signal_opens_an_investigation_with_its_event_and_alert() -> None:
    storage = memory_storage()
    sent = datetime(2024, 3, 1, 8, 59, tzinfo=UTC)
    outcome = handle_signals(storage, [signal(trigger_sent_at=sent)], topics=TOPICS)
    assert outcome.opened == [FIRST]
    assert (outcome.attached, outcome.duplicate, outcome.ignored) == (0, 0, 0)
    stored = repository(storage).investigations[FIRST]
    assert (stored.state, stored.seq, stored.category, stored.jurisdiction) == (
        InvestigationState.OPENED,
        1,
        "appliances",
        "140105",
    )
    assert stored.audit[0].actor == AGENT
    assert stored.audit[0].reason.startswith("signal live_nb: live_nb: 7 shocks in 7 days")
    assert repository(storage).trigger_sent_at[FIRST] == sent
    records_out = outbox(storage)
    event = records_out[f"{FIRST}:0"]
    assert (event["topic"], event["key"], event["action"], event["state"]) == (
        TOPICS.investigations,
        FIRST,
        "open",
        "opened",
    )
    assert event["evidence_id"] is None
    opened = alerts(storage)["investigation_opened"]
    assert (opened["severity"], opened["subject"], opened["jurisdiction"]) == (
        "critical",
        FIRST,
        "140105",
    )
    assert opened["details"]["method"] == "live_nb"
    assert opened["title"].endswith(f"{PRODUCT} ({HAZARD})")
    assert len(records_out) == 2


def test_evidence_carries_the_signal_explanation() -> None:
    evidence = evidence_from_signal(signal(method="sampling_failure", risk_level="high"))
    assert evidence.evidence_id == "sig-1"
    assert evidence.kind is EvidenceKind.SAMPLING_FAILURE
    assert evidence.risk_level is RiskLevel.HIGH
    assert evidence.occurred_at == RAISED
    assert (evidence.observed, evidence.expected, evidence.threshold, evidence.statistic) == (
        7.0,
        1.5,
        3.0,
        4.2,
    )
    assert evidence.summary == "sampling_failure: 7 shocks in 7 days expected 1.5"
    assert evidence_from_signal(signal(method="fatal_case")).kind is EvidenceKind.INJURY_CLUSTER
    assert evidence_from_signal(signal(method="ears_c2")).kind is EvidenceKind.SIGNAL


def test_a_warning_alert_when_the_first_evidence_is_not_serious() -> None:
    storage = memory_storage()
    handle_signals(storage, [signal(risk_level="medium", jurisdiction="")], topics=TOPICS)
    opened = alerts(storage)["investigation_opened"]
    assert opened["severity"] == "warning"
    assert opened["jurisdiction"] is None
    assert repository(storage).investigations[FIRST].jurisdiction is None


def test_a_repeated_signal_changes_nothing() -> None:
    storage = memory_storage()
    handle_signals(storage, [signal()], topics=TOPICS)
    before = (repository(storage).investigations, outbox(storage))
    again = handle_signals(storage, [signal()], topics=TOPICS)
    assert (again.opened, again.duplicate) == ([], 1)
    assert (repository(storage).investigations, outbox(storage)) == before
    assert repository(storage).saves == 1


def test_a_signal_twice_in_one_batch_counts_once() -> None:
    storage = memory_storage()
    outcome = handle_signals(storage, [signal(), signal()], topics=TOPICS)
    assert (outcome.opened, outcome.duplicate) == ([FIRST], 1)
    assert len(repository(storage).investigations[FIRST].evidence) == 1


def test_new_evidence_is_attached_to_the_open_investigation() -> None:
    storage = memory_storage()
    handle_signals(storage, [signal()], topics=TOPICS)
    outcome = handle_signals(storage, [signal("sig-2")], topics=TOPICS)
    assert (outcome.opened, outcome.attached) == ([], 1)
    stored = repository(storage).investigations[FIRST]
    assert [e.evidence_id for e in stored.evidence] == ["sig-1", "sig-2"]
    event = outbox(storage)[f"{FIRST}:1"]
    assert (event["action"], event["state"], event["evidence_id"]) == (
        "attach_evidence",
        "opened",
        "sig-2",
    )
    assert list(alerts(storage)) == ["investigation_opened"]  # attaching raises no alert


def test_each_attach_event_names_its_own_evidence() -> None:
    storage = memory_storage()
    outcome = handle_signals(storage, [signal(), signal("sig-2"), signal("sig-3")], topics=TOPICS)
    assert (outcome.opened, outcome.attached) == ([FIRST], 2)
    events = outbox(storage)
    assert [events[f"{FIRST}:{i}"]["evidence_id"] for i in range(3)] == [None, "sig-2", "sig-3"]
    assert repository(storage).saves == 1  # loaded once, saved once per batch


def test_one_batch_opens_one_investigation_per_product_and_hazard() -> None:
    storage = memory_storage()
    batch = [signal(), signal("sig-2", product_key=OTHER_PRODUCT), signal("sig-3", hazard="fire")]
    outcome = handle_signals(storage, batch, topics=TOPICS)
    assert outcome.opened == [
        FIRST,
        investigation_id_for(OTHER_PRODUCT, HAZARD, 1),
        investigation_id_for(PRODUCT, "fire", 1),
    ]
    assert len(alerts(storage)) == 1  # one kind; three alerts with distinct ids
    assert sum(v["topic"] == TOPICS.alerts for v in outbox(storage).values()) == 3


def _concluded(decision: Decision) -> MemoryStorage:
    storage = memory_storage([expert("EXP-9", "140100")])
    handle_signals(storage, [signal()], topics=TOPICS)
    assign_experts(storage, FIRST, actor="li", topics=TOPICS, size=1)
    defect = decision is Decision.DEFECT_CONFIRMED
    conclude(
        storage,
        FIRST,
        decision=decision,
        reason="tests at the lab",
        actor="panel",
        topics=TOPICS,
        risk_level=RiskLevel.SERIOUS if defect else None,
        hazard_description="live parts reachable" if defect else None,
    )
    return storage


def test_new_serious_evidence_after_no_defect_reopens_with_the_next_seq() -> None:
    storage = _concluded(Decision.NO_DEFECT)
    weak_signal = signal("sig-w", risk_level="high", raised_at=later())
    weak = handle_signals(storage, [weak_signal], topics=TOPICS)
    stale = handle_signals(storage, [signal("sig-old")], topics=TOPICS)  # predates the decision
    assert (weak.ignored, stale.ignored) == (1, 1)
    reopened = handle_signals(storage, [signal("sig-new", raised_at=later())], topics=TOPICS)
    second = investigation_id_for(PRODUCT, HAZARD, 2)
    assert reopened.opened == [second]
    stored = repository(storage).investigations
    assert stored[second].previous_id == FIRST
    assert stored[FIRST].decision is Decision.NO_DEFECT  # the decision is never edited
    assert outbox(storage)[f"{second}:0"]["action"] == "open"


def test_evidence_after_a_confirmed_defect_is_the_recalls() -> None:
    storage = _concluded(Decision.DEFECT_CONFIRMED)
    outcome = handle_signals(storage, [signal("sig-new", raised_at=later())], topics=TOPICS)
    assert (outcome.opened, outcome.ignored) == ([], 1)


def test_a_failure_mid_batch_leaves_nothing_half_written() -> None:
    storage = memory_storage()
    repository(storage).fail_next_save(TransientStorageError("connection lost"))
    batch = [signal(), signal("sig-2", product_key=OTHER_PRODUCT)]
    with pytest.raises(TransientStorageError) as failed:
        handle_signals(storage, batch, topics=TOPICS)
    assert storage.is_transient(failed.value)
    assert repository(storage).investigations == {}
    assert outbox(storage) == {}
    retried = handle_signals(storage, batch, topics=TOPICS)  # what the agent's retry does
    assert len(retried.opened) == 2
    assert len(outbox(storage)) == 4


def test_an_outage_before_the_transaction_writes_nothing() -> None:
    storage = memory_storage()
    storage.fail_next(TransientStorageError("database away"))
    with pytest.raises(TransientStorageError):
        handle_signals(storage, [signal()], topics=TOPICS)
    assert (repository(storage).investigations, outbox(storage), storage.commits) == ({}, {}, 0)


def test_a_signal_the_domain_refuses_fails_the_whole_batch() -> None:
    """The agent then replays the batch signal by signal and isolates this one."""
    storage = memory_storage()
    with pytest.raises(InvestigationInputError):
        handle_signals(storage, [signal(), signal("sig-2", hazard="lava")], topics=TOPICS)
    assert (repository(storage).investigations, outbox(storage)) == ({}, {})


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
def test_an_event_that_breaks_its_model_is_refused_and_nothing_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Producer-side validation: a builder bug never reaches the outbox, nor does the change."""
    valid = records.investigation_event

    def broken(inv: object, position: int) -> InvestigationEvent:
        event = valid(inv, position)  # type: ignore[arg-type]
        # model_construct skips validation, as a careless builder might; `at` is not a time.
        return InvestigationEvent.model_construct(**{**dict(event), "at": "yesterday"})

    monkeypatch.setattr(records, "investigation_event", broken)
    storage = memory_storage()
    with pytest.raises(OutgoingRecordError, match=r"investigations\.events.*\bat\b"):
        handle_signals(storage, [signal()], topics=TOPICS)
    assert (repository(storage).investigations, outbox(storage), storage.commits) == ({}, {}, 0)
