"""Impartial expert panels (异地专家): out-of-area experts for cases involving local firms."""

from __future__ import annotations

import pytest

from recall.domain.experts import (
    ExclusionReason,
    Expert,
    ExpertInputError,
    Impartiality,
    NoEligibleExpert,
    firm_home,
    select_panel,
)

TAIYUAN_FIRM = "91140100MA0K0000XA"  # USCC registered in Taiyuan (140100)
CASE = "140105"  # an investigation in a Taiyuan county
RULE = Impartiality(enabled=True, min_distance=2)


def expert(expert_id: str, where: str, *, load: int = 0, firms: tuple[str, ...] = ()) -> Expert:
    return Expert(
        expert_id=expert_id,
        name=f"Expert {expert_id}",
        categories=frozenset({"appliances"}),
        jurisdiction=where,
        linked_firms=frozenset(firms),
        load=load,
    )


POOL = [
    expert("HERE", "140105"),  # same county
    expert("CITY", "140106"),  # same city
    expert("DATONG", "140202", load=3),  # same province, other city
    expert("SHANGHAI", "310101"),  # other province
]


def test_local_firm_gets_out_of_area_experts_first() -> None:
    panel = select_panel(
        POOL, category="appliances", jurisdiction=CASE, home="140100", impartiality=RULE
    )
    assert panel.expert_ids == ("DATONG", "SHANGHAI")  # nearest out-of-area first, despite load
    assert panel.rule == "out_of_area"
    assert panel.fallback is None
    assert all(c.out_of_area for c in panel.chosen)
    assert "chosen DATONG: eligible, same province, out of area (异地), load 3" in panel.explain()


def test_non_local_firm_keeps_local_first() -> None:
    panel = select_panel(
        POOL, category="appliances", jurisdiction=CASE, home="310000", impartiality=RULE
    )
    assert panel.expert_ids == ("HERE", "CITY")
    assert panel.rule == "local_first"
    assert panel.chosen[0].out_of_area is None


def test_rule_switched_off_keeps_local_first() -> None:
    off = Impartiality(enabled=False)
    panel = select_panel(
        POOL, category="appliances", jurisdiction=CASE, home="140100", impartiality=off
    )
    assert panel.expert_ids == ("HERE", "CITY")


def test_fallback_to_local_experts_says_so() -> None:
    pool = [expert("HERE", "140105"), expert("CITY", "140106"), expert("DATONG", "140202")]
    panel = select_panel(
        pool, category="appliances", jurisdiction=CASE, home="140105", impartiality=RULE, size=2
    )
    assert panel.expert_ids == ("DATONG", "CITY")  # the local seat goes to the farther local
    assert panel.fallback is not None
    assert "only 1 eligible out-of-area expert(s) for a panel of 2" in panel.fallback
    assert "CITY" in panel.fallback
    assert any(line.startswith("fallback: ") for line in panel.explain())


def test_conflict_of_interest_is_still_absolute() -> None:
    pool = [
        expert("DATONG", "140202", firms=(TAIYUAN_FIRM,)),  # out of area but linked
        expert("HERE", "140105"),
    ]
    panel = select_panel(
        pool,
        category="appliances",
        investigated_firms=[TAIYUAN_FIRM],
        jurisdiction=CASE,
        home="140100",
        impartiality=RULE,
        size=1,
    )
    assert panel.expert_ids == ("HERE",)
    assert panel.exclusions[0].reasons == (ExclusionReason.CONFLICT_OF_INTEREST,)
    assert panel.fallback is not None
    with pytest.raises(NoEligibleExpert):
        select_panel(
            pool[:1],
            category="appliances",
            investigated_firms=[TAIYUAN_FIRM],
            jurisdiction=CASE,
            home="140100",
            impartiality=RULE,
            size=1,
        )


def test_min_distance_other_province() -> None:
    rule = Impartiality(min_distance=3)
    panel = select_panel(
        POOL, category="appliances", jurisdiction=CASE, home="140202", impartiality=rule, size=1
    )
    assert panel.expert_ids == ("SHANGHAI",)  # Datong firm is local at province distance


@pytest.mark.parametrize("bad", [0, 4, True])
def test_min_distance_must_be_a_distance(bad: int) -> None:
    with pytest.raises(ExpertInputError, match="min_distance"):
        Impartiality(min_distance=bad)


def test_firm_home_prefers_the_registry_then_the_credit_code() -> None:
    assert firm_home(TAIYUAN_FIRM, "140202") == "140202"
    assert firm_home(TAIYUAN_FIRM) == "140100"
    assert firm_home("91000000MA0K0000XA") is None  # no province part: not a code
    assert firm_home(None) is None
