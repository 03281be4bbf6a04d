"""Evaluate and close, the register and the dossier, and an ordered recall, on in-memory storage."""

from __future__ import annotations

import pytest

from recall.domain.investigations import (
    Decision,
    Evidence,
    EvidenceKind,
    Investigation,
    RiskLevel,
)
from recall.domain.recalls import IllegalRecallTransition, RecallKind, RecallState, Verdict
from recall.service.recalls import commands, queries
from recall.service.recalls.effectiveness import update_effectiveness
from recall.service.recalls.lookup import RecallNotFoundError
from recall.service.recalls.ordered import DEFAULT_UNITS, order_recall
from recall.service.recalls.ports import (
    ConcurrentRecallUpdateError,
    ProductFacts,
    RecallIncident,
)
from tests.support.fakes.recalls import MemoryRecallRepository
from tests.support.memory_storage import MemoryStorage
from tests.unit.schemas.builders import USCC
from tests.unit.service.recalls.recall_builders import (
    AFFECTED,
    PRODUCT,
    TOPICS,
    accepted,
    corrected_at,
    day,
    injury,
    memory_storage,
    notice,
    reports,
    repository,
    seeded,
    states,
)


def _completed() -> MemoryStorage:
    storage = seeded([notice(), *reports(6)], day(181))
    update_effectiveness(storage, "R-1", TOPICS, day(181))
    assert states(storage)[-1] == "completed"
    return storage


def test_evaluate_then_close_records_the_verdict_and_the_audit() -> None:
    storage = _completed()
    outcome = commands.evaluate(storage, "R-1", actor="inspector.li", now=day(190))
    assert outcome.evaluation.verdict is Verdict.EFFECTIVE
    assert outcome.transition.to_state is RecallState.EVALUATED
    stored = repository(storage).recalls["R-1"]
    assert stored.verdict is Verdict.EFFECTIVE
    assert stored.history[-1].who == "inspector.li"
    assert stored.history[-1].why.startswith("effective: ")
    assert "FDA check level" in stored.history[-1].why
    closed = commands.close(storage, "R-1", actor="inspector.li", reason="filed", now=day(191))
    assert closed.to_state is RecallState.CLOSED
    assert states(storage)[-2:] == ["evaluated", "closed"]
    with pytest.raises(IllegalRecallTransition, match="terminal state"):
        commands.close(storage, "R-1", actor="x", reason="again", now=day(192))


def test_evaluating_a_recall_in_progress_is_refused_and_changes_nothing() -> None:
    storage = seeded([notice(), *reports(3)], day(91))
    update_effectiveness(storage, "R-1", TOPICS, day(91))
    commits = storage.commits
    with pytest.raises(IllegalRecallTransition, match="cannot move to evaluated"):
        commands.evaluate(storage, "R-1", actor="inspector.li", now=day(92))
    assert storage.commits == commits
    assert repository(storage).recalls["R-1"].verdict is None


def test_an_unknown_recall_is_named() -> None:
    storage = memory_storage()
    with pytest.raises(RecallNotFoundError, match="no recall 'R-NOPE'"):
        commands.evaluate(storage, "R-NOPE", actor="x", now=day(1))
    with pytest.raises(RecallNotFoundError):
        queries.recall_dossier(storage, "R-NOPE", now=day(1))


def test_an_evaluation_racing_the_agent_is_refused_not_overwritten() -> None:
    storage = _completed()
    committed = repository(storage)

    def agent_saves(working: MemoryRecallRepository, recall_id: str) -> None:
        for recalls in (committed, working):
            loaded = recalls.get(recall_id)
            assert loaded is not None
            loaded.recall.evaluate(Verdict.INEFFECTIVE, who="other", when=day(190), why="x")
            recalls.save(loaded, at=day(190))

    committed.after_next_get(agent_saves)
    with pytest.raises(ConcurrentRecallUpdateError):
        commands.evaluate(storage, "R-1", actor="inspector.li", now=day(190))
    assert repository(storage).recalls["R-1"].history[-1].who == "other"


def test_the_register_lists_rates_and_forecasts_within_scope_and_states() -> None:
    storage = seeded([notice(), *reports(6), notice("R-2"), *reports(3, recall_id="R-2")], day(181))
    update_effectiveness(storage, "R-1", TOPICS, day(181))
    update_effectiveness(storage, "R-2", TOPICS, day(182))
    everything = queries.list_recalls(storage)
    assert [r.recall_id for r in everything] == ["R-2", "R-1"]  # most recently updated first
    done = queries.list_recalls(storage, scope="140100", states=["completed"])
    (line,) = done
    assert (line.recall_id, line.state, line.kind, line.target_rate) == (
        "R-1",
        RecallState.COMPLETED,
        "voluntary",
        0.5,
    )
    assert line.raw_rate == pytest.approx(corrected_at(180) / AFFECTED)
    assert line.forecast is not None
    assert queries.list_recalls(storage, scope="110000") == []


def test_the_dossier_shows_history_deadlines_incidents_and_the_early_forecast() -> None:
    storage = seeded([notice(), *reports(3), injury(day(40))], day(95))
    update_effectiveness(storage, "R-1", TOPICS, day(91))
    dossier = queries.recall_dossier(storage, "R-1", now=day(95))
    assert dossier.state is RecallState.IN_PROGRESS
    assert [t.to_state for t in dossier.data.history] == ["announced", "in_progress"]
    assert [s.timeliness for s in dossier.data.deadlines][:3] == ["on_time"] * 3
    assert dossier.data.post_recall is not None
    assert dossier.data.post_recall.after == 1
    assert dossier.data.forecast is not None  # what the first three reports predicted
    assert dossier.current_forecast is not None
    assert dossier.rates["overall"].corrected == corrected_at(90)
    assert dossier.data.evaluation is None
    assert queries.closure_data(storage, "R-1", now=day(95)) == dossier.data


def test_the_closure_keeps_the_verdict_recorded_at_evaluation() -> None:
    storage = _completed()
    commands.evaluate(storage, "R-1", actor="inspector.li", now=day(190))
    recalls = repository(storage)
    for hurt in (injury(day(100)), injury(day(120)), injury(day(150))):
        recalls.noted[("R-1", str(hurt.event_id))] = RecallIncident("R-1", accepted(hurt), True)
    data = queries.closure_data(storage, "R-1", now=day(200))
    assert data.evaluation is not None
    assert data.evaluation.verdict is Verdict.EFFECTIVE
    assert "verdict recorded at evaluation: effective" in data.evaluation.reasons[-1]


def _requested(*, units: int | None = None) -> Investigation:
    signal = Evidence(
        evidence_id="sig-1",
        kind=EvidenceKind.SIGNAL,
        summary="burns above threshold",
        occurred_at=day(0),
        risk_level=RiskLevel.HIGH,
    )
    opened = Investigation.open(
        product_key=PRODUCT.product_key,
        hazard="burns",
        seq=1,
        category="appliances",
        jurisdiction="140105",
        evidence=signal,
        actor="agent",
        at=day(0),
        reason="signal",
    )
    return (
        opened.assign(["E1"], actor="director", at=day(1), reason="panel")
        .conclude(
            Decision.DEFECT_CONFIRMED,
            actor="director",
            at=day(2),
            reason="lid opens",
            risk_level=RiskLevel.SERIOUS,
            hazard_description="lid opens while boiling",
        )
        .request_recall(actor="director", at=day(3), reason="order")
    )


def test_an_ordered_recall_is_registered_once_with_the_registry_facts() -> None:
    storage = memory_storage()
    recalls = repository(storage)
    recalls.products[PRODUCT.product_key] = ProductFacts("electric_kettle", "Acme", "K-1", 5000)
    recalls.firms[USCC] = "firm-acme"
    recalls.accepted_incidents.append(accepted(injury(day(-5))))
    investigation = _requested()
    with storage.transaction() as tx:
        recall_id = order_recall(tx, investigation, actor="director", now=day(3))
        assert order_recall(tx, investigation, actor="director", now=day(4)) == recall_id
    stored = repository(storage).recalls[recall_id]
    spec = stored.spec
    assert recall_id == f"ORD-{investigation.investigation_id[:13]}"
    assert (spec.kind, spec.firm_id, spec.total_affected) == (RecallKind.ORDERED, "firm-acme", 5000)
    assert spec.investigation_id == investigation.investigation_id
    assert stored.notice["product"]["brand"] == "Acme"
    assert stored.notice["risk_level"] == "serious"
    assert stored.history[0].who == "director"
    assert len(repository(storage).incidents(recall_id)) == 1  # the injury before the order


def test_an_ordered_recall_without_registry_facts_falls_back() -> None:
    storage = memory_storage()
    with storage.transaction() as tx:
        recall_id = order_recall(tx, _requested(), actor="director", now=day(3))
    spec = repository(storage).recalls[recall_id].spec
    assert (spec.firm_id, spec.total_affected) == (f"FIRM-{USCC}", DEFAULT_UNITS)
    assert repository(storage).recalls[recall_id].notice["product"]["model"] == "k-1"
