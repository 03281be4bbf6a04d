"""One open investigation per (product_key, hazard): deterministic ids and evidence routing."""

from __future__ import annotations

import json
import uuid

import pytest

from recall.domain.investigations import (
    INVESTIGATION_NAMESPACE,
    IllegalInvestigationTransition,
    InvestigationInputError,
    RiskLevel,
    Route,
    investigation_id_for,
    manufacturer_of,
    next_seq,
    route_evidence,
)

from .builders import HAZARD, PRODUCT, USCC, build, evidence, opened


def test_id_is_pinned() -> None:
    # Pinned known answer: RFC 4122 UUIDv5 of the compact JSON name
    # '["91140100MA0L2K3M4N/Acme/K-1","electric_shock",1]' in INVESTIGATION_NAMESPACE, computed
    # once and frozen here. If this fails, every stored investigation would be re-keyed.
    assert investigation_id_for(PRODUCT, HAZARD, 1) == "38289a03-6468-5c69-b67a-cf14f8f9c62d"
    name = json.dumps([PRODUCT, HAZARD, 1], separators=(",", ":"))
    assert name == '["91140100MA0L2K3M4N/Acme/K-1","electric_shock",1]'
    assert str(uuid.uuid5(INVESTIGATION_NAMESPACE, name)) == investigation_id_for(
        PRODUCT, HAZARD, 1
    )
    assert uuid.UUID(investigation_id_for(PRODUCT, HAZARD, 1)).version == 5


def test_id_is_stable_and_distinguishes_every_part() -> None:
    base = investigation_id_for(PRODUCT, HAZARD, 1)
    assert investigation_id_for(PRODUCT, HAZARD, 1) == base
    others = {
        investigation_id_for(PRODUCT, "fire", 1),
        investigation_id_for(PRODUCT, HAZARD, 2),
        investigation_id_for(f"{USCC}/Acme/K-2", HAZARD, 1),
    }
    assert base not in others
    assert len(others) == 3


def test_id_has_no_separator_collisions() -> None:
    # Naive "/"-joining would make these two keys identical.
    assert investigation_id_for("a/b", "fire", 1) != investigation_id_for("a", "fire", 1)
    assert investigation_id_for("x/中文/型号", "fire", 1) != investigation_id_for(
        "x/中文", "fire", 1
    )


@pytest.mark.parametrize(
    ("product_key", "hazard", "seq"),
    [("", HAZARD, 1), (PRODUCT, "FIRE", 1), (PRODUCT, HAZARD, 0), (PRODUCT, HAZARD, True)],
)
def test_id_refuses_bad_keys(product_key: str, hazard: str, seq: int) -> None:
    with pytest.raises(InvestigationInputError):
        investigation_id_for(product_key, hazard, seq)


@pytest.mark.parametrize(
    ("product_key", "expected"),
    [(PRODUCT, USCC), ("unknown/Acme/K-1", None), ("/Acme/K-1", None)],
)
def test_manufacturer_of(product_key: str, expected: str | None) -> None:
    assert manufacturer_of(product_key) == expected


def test_first_evidence_opens_seq_1() -> None:
    r = route_evidence(None, evidence(), product_key=PRODUCT, hazard=HAZARD)
    assert (r.route, r.seq, r.investigation_id) == (
        Route.OPEN,
        1,
        investigation_id_for(PRODUCT, HAZARD, 1),
    )


@pytest.mark.parametrize("position", ["opened", "assigned"])
def test_open_investigation_takes_new_evidence_and_ignores_replays(position: str) -> None:
    inv = build(position)
    new = route_evidence(inv, evidence("inj-2"), product_key=PRODUCT, hazard=HAZARD)
    replay = route_evidence(inv, evidence("sig-1"), product_key=PRODUCT, hazard=HAZARD)
    assert (new.route, new.investigation_id) == (Route.ATTACH, inv.investigation_id)
    assert (replay.route, replay.investigation_id) == (Route.DUPLICATE, inv.investigation_id)


@pytest.mark.parametrize("position", ["defect_confirmed", "recall_requested"])
def test_confirmed_defect_is_never_reopened(position: str) -> None:
    late = evidence("inj-9", risk=RiskLevel.SERIOUS, hours=100)
    r = route_evidence(build(position), late, product_key=PRODUCT, hazard=HAZARD)
    assert r.route is Route.IGNORE
    assert "recall" in r.reason


def test_no_defect_reopens_on_new_serious_evidence_with_next_seq() -> None:
    closed = build("no_defect")  # concluded at T0 + 3 h
    late = evidence("inj-9", risk=RiskLevel.SERIOUS, hours=4)
    r = route_evidence(closed, late, product_key=PRODUCT, hazard=HAZARD)
    assert (r.route, r.seq) == (Route.OPEN, 2)
    assert r.investigation_id == investigation_id_for(PRODUCT, HAZARD, 2)


@pytest.mark.parametrize(
    ("ev", "why"),
    [
        (evidence("inj-9", risk=RiskLevel.HIGH, hours=4), "below serious"),
        (evidence("inj-9", risk=None, hours=4), "below serious"),
        (evidence("inj-9", risk=RiskLevel.SERIOUS, hours=3), "predates"),  # equal to conclusion
        (evidence("inj-9", risk=RiskLevel.SERIOUS, hours=-1), "predates"),
    ],
)
def test_no_defect_stands_against_weak_or_old_evidence(ev: object, why: str) -> None:
    r = route_evidence(build("no_defect"), ev, product_key=PRODUCT, hazard=HAZARD)  # type: ignore[arg-type]
    assert r.route is Route.IGNORE
    assert why in r.reason


def test_reopen_threshold_is_configurable() -> None:
    high = evidence("inj-9", risk=RiskLevel.HIGH, hours=4)
    r = route_evidence(
        build("no_defect"), high, product_key=PRODUCT, hazard=HAZARD, reopen_at=RiskLevel.HIGH
    )
    assert (r.route, r.seq) == (Route.OPEN, 2)


def test_replay_of_the_reopening_evidence_is_a_duplicate() -> None:
    late = evidence("inj-9", risk=RiskLevel.SERIOUS, hours=4)
    second = opened(2).attach_evidence(late, actor="agent:x", at=build("no_defect").audit[-1].at)
    r = route_evidence(second, late, product_key=PRODUCT, hazard=HAZARD)
    assert r.route is Route.DUPLICATE


def test_routing_refuses_a_latest_of_another_pair() -> None:
    with pytest.raises(InvestigationInputError):
        route_evidence(opened(), evidence(), product_key=PRODUCT, hazard="fire")


def test_next_seq() -> None:
    assert next_seq(None) == 1
    assert next_seq(build("no_defect")) == 2
    assert next_seq(build("recall_requested")) == 2
    with pytest.raises(IllegalInvestigationTransition, match="one open investigation"):
        next_seq(build("assigned"))
