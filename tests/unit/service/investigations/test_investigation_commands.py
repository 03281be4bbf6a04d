"""People's commands on the in-memory storage: assign a panel, conclude, request a recall."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pytest

from recall.domain.experts import Expert, NoEligibleExpert
from recall.domain.investigations import (
    Decision,
    IllegalInvestigationTransition,
    Investigation,
    InvestigationInputError,
    InvestigationState,
    RiskLevel,
    investigation_id_for,
)
from recall.service.investigations import commands
from recall.service.investigations.commands import (
    assign_experts,
    conclude,
    expert_pool,
    request_recall,
)
from recall.service.investigations.ports import ConcurrentUpdateError
from recall.service.investigations.queries import InvestigationNotFoundError
from recall.service.investigations.signals import handle_signals
from recall.service.ports import UnitOfWork
from tests.support.fakes.investigations import MemoryInvestigationRepository
from tests.support.fakes.recalls import MemoryRecallRepository
from tests.support.investigations import (
    HAZARD,
    OTHER_PRODUCT,
    PRODUCT,
    TOPICS,
    USCC,
    alerts,
    expert,
    memory_storage,
    outbox,
    panel_pool,
    repository,
    signal,
)
from tests.support.memory_storage import MemoryStorage, TransientStorageError

FIRST = investigation_id_for(PRODUCT, HAZARD, 1)


def _opened(experts: list[Expert] | None = None) -> MemoryStorage:
    storage = memory_storage(panel_pool() if experts is None else experts)
    handle_signals(storage, [signal()], topics=TOPICS)
    return storage


def _defect(storage: MemoryStorage, **overrides: object) -> Investigation:
    arguments: dict[str, object] = {
        "decision": Decision.DEFECT_CONFIRMED,
        "reason": "insulation fails GB 4706.1 clause 13",
        "actor": "panel",
        "topics": TOPICS,
        "risk_level": RiskLevel.SERIOUS,
        "hazard_description": "live parts reachable when the lid is open",
    }
    return conclude(storage, FIRST, **{**arguments, **overrides})  # type: ignore[arg-type]


def _assigned() -> MemoryStorage:
    storage = _opened()
    assign_experts(storage, FIRST, actor="zhang", topics=TOPICS)
    return storage


def test_assign_excludes_the_expert_linked_to_the_manufacturer() -> None:
    storage = _opened()
    done = assign_experts(storage, FIRST, actor="zhang", topics=TOPICS)
    assert "EXP-001: excluded (conflict_of_interest)" in done.panel.explain()
    assert "chosen EXP-002: eligible, same jurisdiction, load 0" in done.panel.explain()
    assert done.investigation.expert_ids == ("EXP-002", "EXP-003")
    stored = repository(storage).investigations[FIRST]
    assert (stored.state, stored.expert_ids) == (
        InvestigationState.ASSIGNED,
        ("EXP-002", "EXP-003"),
    )
    assert stored.audit[-1].reason.startswith("panel by policy: EXP-002: eligible")
    event = outbox(storage)[f"{FIRST}:1"]
    assert (event["topic"], event["action"], event["actor"], event["state"]) == (
        TOPICS.investigations,
        "assign",
        "zhang",
        "assigned",
    )
    assert list(alerts(storage)) == ["investigation_opened"]  # assigning raises no alert


def test_load_counts_other_open_investigations_not_this_one() -> None:
    storage = _opened([expert("EXP-A", "140105"), expert("EXP-B", "140105")])
    handle_signals(storage, [signal("sig-2", product_key=OTHER_PRODUCT)], topics=TOPICS)
    other = investigation_id_for(OTHER_PRODUCT, HAZARD, 1)
    assign_experts(storage, other, actor="li", topics=TOPICS, size=1)  # EXP-A: busy elsewhere
    with storage.transaction() as tx:
        loads = {e.expert_id: e.load for e in expert_pool(tx.investigations, exclude=FIRST)}
        own = {e.expert_id: e.load for e in expert_pool(tx.investigations, exclude=other)}
    assert loads == {"EXP-A": 1, "EXP-B": 0}
    assert own == {"EXP-A": 0, "EXP-B": 0}  # re-assigning does not count its own panel
    done = assign_experts(storage, FIRST, actor="li", topics=TOPICS, size=1)
    assert done.investigation.expert_ids == ("EXP-B",)


def test_a_panel_larger_than_the_eligible_pool_is_refused_and_nothing_saved() -> None:
    storage = _opened()
    with pytest.raises(NoEligibleExpert, match="no eligible panel of 4"):
        assign_experts(storage, FIRST, actor="zhang", topics=TOPICS, size=4)
    assert repository(storage).investigations[FIRST].state is InvestigationState.OPENED
    assert len(outbox(storage)) == 2


def test_assigning_a_concluded_investigation_names_the_transition_not_the_pool() -> None:
    storage = _assigned()
    conclude(
        storage, FIRST, decision=Decision.NO_DEFECT, reason="tests pass", actor="p", topics=TOPICS
    )
    repository(storage).registry.clear()
    with pytest.raises(IllegalInvestigationTransition, match="allowed actions: none"):
        assign_experts(storage, FIRST, actor="zhang", topics=TOPICS)


def test_a_confirmed_defect_raises_a_critical_alert_with_its_grounds() -> None:
    storage = _assigned()
    concluded = _defect(storage)
    assert (concluded.state, concluded.decision) == (
        InvestigationState.CONCLUDED,
        Decision.DEFECT_CONFIRMED,
    )
    stored = repository(storage).investigations[FIRST]
    assert stored.conclusion is not None
    assert stored.conclusion.risk_level is RiskLevel.SERIOUS
    alert = alerts(storage)["defect_confirmed"]
    assert (alert["severity"], alert["subject"], alert["jurisdiction"]) == (
        "critical",
        FIRST,
        "140105",
    )
    assert alert["details"] == {
        "risk_level": "serious",
        "hazard_description": "live parts reachable when the lid is open",
        "reason": "insulation fails GB 4706.1 clause 13",
        "actor": "panel",
    }
    assert outbox(storage)[f"{FIRST}:2"]["action"] == "conclude"


def test_a_defect_below_serious_risk_alerts_as_a_warning() -> None:
    storage = _assigned()
    _defect(storage, risk_level=RiskLevel.HIGH)
    assert alerts(storage)["defect_confirmed"]["severity"] == "warning"


def test_no_defect_raises_no_alert() -> None:
    storage = _assigned()
    conclude(
        storage, FIRST, decision=Decision.NO_DEFECT, reason="tests pass", actor="p", topics=TOPICS
    )
    assert list(alerts(storage)) == ["investigation_opened"]
    assert repository(storage).investigations[FIRST].decision is Decision.NO_DEFECT


def test_refusals_write_nothing() -> None:
    storage = _opened()
    with pytest.raises(IllegalInvestigationTransition, match="it is opened; allowed actions"):
        conclude(storage, FIRST, decision=Decision.NO_DEFECT, reason="x", actor="p", topics=TOPICS)
    assign_experts(storage, FIRST, actor="zhang", topics=TOPICS)
    with pytest.raises(InvestigationInputError, match="defect_confirmed needs a risk_level"):
        _defect(storage, risk_level=None)
    with pytest.raises(IllegalInvestigationTransition, match="cannot request_recall"):
        request_recall(storage, FIRST, reason="r", actor="li", topics=TOPICS)
    assert len(repository(storage).investigations[FIRST].audit) == 2  # open, assign
    assert len(outbox(storage)) == 3


def test_unknown_ids_are_refused() -> None:
    storage = _opened()
    with pytest.raises(InvestigationNotFoundError, match="no investigation 'no-such-id'"):
        assign_experts(storage, "no-such-id", actor="zhang", topics=TOPICS)


@dataclass
class OrderedRecalls:
    """Stands in for the recall stage's `order_recall`: records what it was asked, in which
    transaction, and can fail like it."""

    calls: list[tuple[UnitOfWork, Investigation, str, datetime]] = field(default_factory=list)
    error: Exception | None = None

    def __call__(
        self, tx: UnitOfWork, investigation: Investigation, *, actor: str, now: datetime
    ) -> str:
        self.calls.append((tx, investigation, actor, now))
        if self.error is not None:
            raise self.error
        return f"ORD-{investigation.investigation_id[:13]}"


@pytest.fixture
def ordered(monkeypatch: pytest.MonkeyPatch) -> OrderedRecalls:
    recalls = OrderedRecalls()
    monkeypatch.setattr(commands, "order_recall", recalls)
    return recalls


def test_request_recall_orders_it_in_the_same_transaction(ordered: OrderedRecalls) -> None:
    storage = _assigned()
    _defect(storage)
    requested = request_recall(storage, FIRST, reason="serious risk", actor="li", topics=TOPICS)
    assert requested.state is InvestigationState.RECALL_REQUESTED
    ((tx, investigation, actor, now),) = ordered.calls
    assert investigation == requested
    assert (actor, now) == ("li", requested.audit[-1].at)
    assert tx.investigations.get(FIRST) == requested  # saved in that transaction first
    actions = [outbox(storage)[f"{FIRST}:{i}"]["action"] for i in range(4)]
    assert actions == ["open", "assign", "conclude", "request_recall"]
    alert = alerts(storage)["recall_requested"]
    assert (alert["severity"], alert["details"]["reason"]) == ("critical", "serious risk")
    assert alert["title"].startswith("已要求召回 / Recall requested")


def test_a_recall_that_cannot_be_ordered_leaves_the_investigation_as_it_was(
    ordered: OrderedRecalls,
) -> None:
    storage = _assigned()
    _defect(storage)
    ordered.error = TransientStorageError("connection lost")
    with pytest.raises(TransientStorageError):
        request_recall(storage, FIRST, reason="serious risk", actor="li", topics=TOPICS)
    assert repository(storage).investigations[FIRST].state is InvestigationState.CONCLUDED
    assert "recall_requested" not in alerts(storage)


class StaleReads(MemoryInvestigationRepository):
    """Hands out the investigation as it was before its last change: someone else's write
    landed between this command's read and its save."""

    def get(self, investigation_id: str) -> Investigation | None:
        current = super().get(investigation_id)
        if current is None or len(current.audit) == 1:
            return current
        return Investigation.open(
            product_key=current.product_key,
            hazard=current.hazard,
            seq=current.seq,
            category=current.category,
            jurisdiction=current.jurisdiction,
            evidence=current.evidence[0],
            actor=current.audit[0].actor,
            at=current.audit[0].at,
            reason=current.audit[0].reason,
        )


def test_a_concurrent_change_makes_the_save_fail_instead_of_overwriting() -> None:
    storage = MemoryStorage(investigations=StaleReads.with_experts(panel_pool()))
    handle_signals(storage, [signal()], topics=TOPICS)
    handle_signals(storage, [signal("sig-2")], topics=TOPICS)  # the agent attaches evidence
    before = (repository(storage).investigations, outbox(storage))
    with pytest.raises(ConcurrentUpdateError, match=FIRST):
        assign_experts(storage, FIRST, actor="zhang", topics=TOPICS)  # loaded before sig-2
    assert (repository(storage).investigations, outbox(storage)) == before
    assert len(repository(storage).investigations[FIRST].evidence) == 2


def test_a_failed_save_leaves_nothing_and_the_command_can_be_run_again() -> None:
    storage = _assigned()
    repository(storage).fail_next_save(TransientStorageError("connection lost"))
    with pytest.raises(TransientStorageError):
        _defect(storage)
    assert repository(storage).investigations[FIRST].state is InvestigationState.ASSIGNED
    assert "defect_confirmed" not in alerts(storage)
    _defect(storage)
    assert repository(storage).investigations[FIRST].decision is Decision.DEFECT_CONFIRMED
    assert "defect_confirmed" in alerts(storage)


def test_the_ordered_recall_is_registered_with_the_investigation() -> None:
    """With the recall stage's own `order_recall` and repository (in memory)."""
    storage = memory_storage(
        panel_pool(), recalls=MemoryRecallRepository(firms={USCC: "FIRM-ACME"})
    )
    handle_signals(storage, [signal()], topics=TOPICS)
    assign_experts(storage, FIRST, actor="zhang", topics=TOPICS)
    _defect(storage)
    requested = request_recall(storage, FIRST, reason="serious risk", actor="li", topics=TOPICS)
    recalls = storage.state.recalls
    assert isinstance(recalls, MemoryRecallRepository)
    (stored,) = recalls.recalls.values()
    assert stored.spec.recall_id == f"ORD-{FIRST[:13]}"
    assert (stored.spec.kind.value, stored.spec.investigation_id, stored.spec.firm_id) == (
        "ordered",
        FIRST,
        "FIRM-ACME",
    )
    assert (stored.hazard, stored.jurisdiction) == (HAZARD, "140105")
    assert stored.history[0].who == "li"
    assert stored.history[0].when == requested.audit[-1].at
