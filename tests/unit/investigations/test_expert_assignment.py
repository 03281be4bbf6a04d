"""Expert panel policy: eligibility, conflict of interest, ranking, explicit refusal."""

from __future__ import annotations

import pytest

from recall.domain.experts import (
    Candidate,
    ExclusionReason,
    Expert,
    ExpertInputError,
    NoEligibleExpert,
    select_panel,
)
from recall.domain.jurisdiction import JurisdictionError

from .builders import USCC, build

OTHER_FIRM = "91310000132200821H"


def expert(
    expert_id: str,
    *,
    where: str = "140105",
    load: int = 0,
    categories: tuple[str, ...] = ("appliances",),
    firms: tuple[str, ...] = (),
    active: bool = True,
) -> Expert:
    return Expert(
        expert_id=expert_id,
        name=f"Expert {expert_id}",
        categories=frozenset(categories),
        jurisdiction=where,
        linked_firms=frozenset(firms),
        active=active,
        load=load,
    )


def test_default_panel_is_two_lowest_load_local_experts() -> None:
    pool = [expert("E3", load=2), expert("E1", load=5), expert("E2", load=1)]
    panel = select_panel(pool, category="appliances", jurisdiction="140105")
    assert panel.expert_ids == ("E2", "E3")
    assert [c.expert_id for c in panel.passed_over] == ["E1"]


def test_jurisdiction_beats_load() -> None:
    pool = [
        expert("FAR", where="310101", load=0),  # other province
        expert("PROV", where="140000", load=0),  # same province
        expert("CITY", where="140100", load=3),  # same city
        expert("HERE", where="140105", load=9),  # same county
    ]
    panel = select_panel(pool, category="appliances", jurisdiction="140105", size=4)
    assert panel.expert_ids == ("HERE", "CITY", "PROV", "FAR")
    assert [c.distance for c in panel.chosen] == [0, 1, 2, 3]


def test_ties_break_on_expert_id_whatever_the_input_order() -> None:
    pool = [expert("E9"), expert("E5"), expert("E7")]
    assert select_panel(pool, category="appliances", size=2).expert_ids == ("E5", "E7")
    assert select_panel(reversed(pool), category="appliances", size=2).expert_ids == ("E5", "E7")


def test_without_jurisdiction_only_load_counts() -> None:
    pool = [expert("A", where="310101", load=1), expert("B", load=2), expert("C", load=0)]
    panel = select_panel(pool, category="appliances")
    assert panel.expert_ids == ("C", "A")
    assert "no jurisdiction given" in panel.chosen[0].explain()


def test_conflict_of_interest_excludes_linked_experts_even_if_best_ranked() -> None:
    pool = [
        expert("LINKED", load=0, firms=(USCC.lower(),)),  # case must not hide the link
        expert("E2", load=4),
        expert("E3", load=5, firms=(OTHER_FIRM,)),
    ]
    panel = select_panel(
        pool, category="appliances", investigated_firms=[USCC], jurisdiction="140105"
    )
    assert panel.expert_ids == ("E2", "E3")
    assert [(e.expert_id, e.reasons) for e in panel.exclusions] == [
        ("LINKED", (ExclusionReason.CONFLICT_OF_INTEREST,))
    ]
    assert "LINKED: excluded (conflict_of_interest)" in panel.explain()


def test_policy_works_with_the_investigation_it_serves() -> None:
    inv = build("opened")
    assert inv.manufacturer_id is not None
    pool = [expert("E1", firms=(USCC,)), expert("E2"), expert("E3"), expert("E4", load=1)]
    panel = select_panel(
        pool,
        category=inv.category,
        investigated_firms=[inv.manufacturer_id],
        jurisdiction=inv.jurisdiction,
    )
    assigned = inv.assign(panel.expert_ids, actor="user:li", at=inv.opened_at, reason="policy")
    assert assigned.expert_ids == ("E2", "E3")


def test_refusal_lists_every_reason_for_every_expert() -> None:
    pool = [
        expert("OFF", active=False),
        expert("TOYS", categories=("children",)),
        expert("ALL", active=False, categories=("textiles",), firms=(USCC,)),
        expert("OK"),
    ]
    with pytest.raises(NoEligibleExpert) as caught:
        select_panel(pool, category="appliances", investigated_firms=[USCC])
    error = caught.value
    assert error.size == 2
    assert [c.expert_id for c in error.eligible] == ["OK"]
    reasons = {e.expert_id: e.reasons for e in error.exclusions}
    assert reasons == {
        "OFF": (ExclusionReason.INACTIVE,),
        "TOYS": (ExclusionReason.CATEGORY_MISMATCH,),
        "ALL": (
            ExclusionReason.INACTIVE,
            ExclusionReason.CATEGORY_MISMATCH,
            ExclusionReason.CONFLICT_OF_INTEREST,
        ),
    }
    message = str(error)
    assert "1 eligible" in message
    assert "TOYS: excluded (category_mismatch)" in message


def test_empty_pool_is_refused_explicitly() -> None:
    with pytest.raises(NoEligibleExpert, match="pool is empty"):
        select_panel([], category="appliances")


def test_panel_size_is_configurable() -> None:
    pool = [expert(f"E{i}", load=i) for i in range(5)]
    assert select_panel(pool, category="appliances", size=3).expert_ids == ("E0", "E1", "E2")
    with pytest.raises(NoEligibleExpert):
        select_panel(pool, category="appliances", size=6)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"category": "toys"}, ExpertInputError),
        ({"category": "appliances", "size": 0}, ExpertInputError),
        ({"category": "appliances", "jurisdiction": "14010"}, JurisdictionError),
    ],
)
def test_bad_requests_are_refused(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        select_panel([expert("E1"), expert("E2")], **kwargs)  # type: ignore[arg-type]


def test_duplicate_ids_in_pool_are_refused() -> None:
    with pytest.raises(ExpertInputError, match="duplicate"):
        select_panel([expert("E1"), expert("E1", load=3)], category="appliances", size=1)


VALID_RECORD: dict[str, object] = {
    "expert_id": "E1",
    "name": "Expert E1",
    "categories": frozenset({"appliances"}),
    "jurisdiction": "140105",
}


def test_valid_record_is_accepted() -> None:
    assert Expert(**VALID_RECORD).active  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {"expert_id": " ", "name": "x"},
        {"categories": frozenset({"toys"})},
        {"categories": frozenset()},
        {"jurisdiction": "1401O5"},
        {"load": -1},
    ],
)
def test_registry_record_validation(changes: dict[str, object]) -> None:
    with pytest.raises((ExpertInputError, JurisdictionError)):
        Expert(**{**VALID_RECORD, **changes})  # type: ignore[arg-type]


def test_candidate_explanation() -> None:
    assert Candidate("E1", 1, 3).explain() == "E1: eligible, same city, load 3"
