"""The read side the CLI and the regulator API call: one investigation, filtered listings."""

from __future__ import annotations

import pytest

from recall.domain.investigations import Decision, InvestigationState, investigation_id_for
from recall.domain.jurisdiction import JurisdictionError
from recall.service.investigations.commands import assign_experts, conclude
from recall.service.investigations.queries import (
    InvestigationNotFoundError,
    InvestigationSummary,
    get_investigation,
    list_investigations,
)
from recall.service.investigations.signals import handle_signals
from tests.support.investigations import (
    HAZARD,
    OTHER_PRODUCT,
    PRODUCT,
    TOPICS,
    memory_storage,
    panel_pool,
    signal,
)
from tests.support.memory_storage import MemoryStorage

TAIYUAN = investigation_id_for(PRODUCT, HAZARD, 1)  # 140105, a county of Taiyuan (1401)
SHANGHAI = investigation_id_for(OTHER_PRODUCT, HAZARD, 1)  # 310101
FIRE = investigation_id_for(PRODUCT, "fire", 1)  # 140202, Datong, same province (14)


@pytest.fixture
def storage() -> MemoryStorage:
    """Three investigations, changed in this order: Taiyuan, Shanghai, Datong (concluded)."""
    storage = memory_storage(panel_pool())
    handle_signals(storage, [signal()], topics=TOPICS)
    handle_signals(
        storage,
        [signal("sig-2", product_key=OTHER_PRODUCT, jurisdiction="310101")],
        topics=TOPICS,
    )
    handle_signals(storage, [signal("sig-3", hazard="fire", jurisdiction="140202")], topics=TOPICS)
    assign_experts(storage, FIRE, actor="li", topics=TOPICS)
    conclude(storage, FIRE, decision=Decision.NO_DEFECT, reason="ok", actor="p", topics=TOPICS)
    return storage


def test_get_returns_the_whole_investigation(storage: MemoryStorage) -> None:
    found = get_investigation(storage, FIRE)
    assert (found.state, found.decision, len(found.audit)) == (
        InvestigationState.CONCLUDED,
        Decision.NO_DEFECT,
        3,
    )
    with pytest.raises(InvestigationNotFoundError, match="no investigation 'nope'"):
        get_investigation(storage, "nope")


def test_listing_is_newest_first_with_head_fields(storage: MemoryStorage) -> None:
    listed = list_investigations(storage)
    assert [s.investigation_id for s in listed] == [FIRE, SHANGHAI, TAIYUAN]
    assert listed[0] == InvestigationSummary(
        investigation_id=FIRE,
        product_key=PRODUCT,
        hazard="fire",
        state=InvestigationState.CONCLUDED,
        decision=Decision.NO_DEFECT,
        jurisdiction="140202",
        expert_ids=listed[0].expert_ids,
        updated_at=get_investigation(storage, FIRE).audit[-1].at,
    )
    assert len(listed[0].expert_ids) == 2
    assert [s.investigation_id for s in list_investigations(storage, limit=1)] == [FIRE]


def test_a_scope_covers_its_sub_areas(storage: MemoryStorage) -> None:
    def ids(scope: str) -> set[str]:
        return {s.investigation_id for s in list_investigations(storage, scope=scope)}

    assert ids("140000") == {TAIYUAN, FIRE}  # the province covers its cities' counties
    assert ids("140100") == {TAIYUAN}
    assert ids("140105") == {TAIYUAN}
    assert ids("310000") == {SHANGHAI}
    assert ids("150000") == set()
    with pytest.raises(JurisdictionError):
        list_investigations(storage, scope="14")


def test_states_filter(storage: MemoryStorage) -> None:
    opened = list_investigations(storage, states=[InvestigationState.OPENED])
    assert {s.investigation_id for s in opened} == {TAIYUAN, SHANGHAI}
    both = [InvestigationState.CONCLUDED, InvestigationState.OPENED]
    assert len(list_investigations(storage, states=both, scope="140000")) == 2
