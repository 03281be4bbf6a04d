"""Supervision tiers through the API: owner, tier and moves with reasons; the owner's queue."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.storage import SqlStorage
from recall.domain.investigations import investigation_id_for
from recall.service.investigations.signals import handle_signals
from recall.service.tiers.rules import default_rules
from tests.support.investigations import HAZARD, PRODUCT, TOPICS, signal
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.seed import FIRM, PROVINCE, SHANGHAI, TAIYUAN

SPREAD = investigation_id_for(PRODUCT, HAZARD, 1)
LOCAL_PRODUCT = PRODUCT.replace("k-1", "k-9")
LOCAL = investigation_id_for(LOCAL_PRODUCT, HAZARD, 1)


@pytest.fixture
def placed(db: sessionmaker[Session]) -> None:
    """One investigation spread over two cities (province), one local (county 140106)."""
    storage = SqlStorage(db)
    rules = default_rules()
    handle_signals(storage, [signal("s1", risk_level="high")], topics=TOPICS, tier_rules=rules)
    handle_signals(
        storage,
        [signal("s2", risk_level="high", jurisdiction="140202")],
        topics=TOPICS,
        tier_rules=rules,
    )
    local = signal("s3", risk_level="high", jurisdiction="140106", product_key=LOCAL_PRODUCT)
    handle_signals(storage, [local], topics=TOPICS, tier_rules=rules)


@pytest.mark.usefixtures("placed")
def test_the_detail_shows_owner_tier_and_why(as_: AsPrincipal) -> None:
    body = as_(PROVINCE).get(f"/investigations/{SPREAD}").json()
    assert (body["owner"], body["tier"]) == ("140000", "province")
    moves = body["tier_moves"]
    assert [(m["from_owner"], m["to_owner"], m["rule"]) for m in moves] == [
        (None, "140105", "default"),
        ("140105", "140000", "regions"),
    ]
    assert "跨市" in moves[-1]["reason"] and "2 cities" in moves[-1]["reason"]


@pytest.mark.usefixtures("placed")
def test_the_queue_filters_to_what_the_administration_owns(as_: AsPrincipal) -> None:
    def ids(query: str) -> set[str]:
        items = as_(PROVINCE).get(f"/investigations?limit=50{query}").json()["items"]
        return {i["investigation_id"] for i in items}

    assert ids("") == {SPREAD, LOCAL}  # the province still sees its whole area
    assert ids("&owner=140000") == {SPREAD}
    assert ids("&owner=140106") == {LOCAL}
    listed = as_(PROVINCE).get("/investigations?owner=140106").json()["items"]
    assert (listed[0]["owner"], listed[0]["tier"]) == ("140106", "county")
    assert as_(PROVINCE).get("/investigations?owner=14").status_code == 422


@pytest.mark.usefixtures("placed")
def test_visibility_stays_by_area_when_the_owner_is_higher(as_: AsPrincipal) -> None:
    tier = as_(TAIYUAN).get(f"/investigations/{SPREAD}/tier")
    assert tier.status_code == 200  # opened in 140105, inside Taiyuan's area
    assert tier.json()["owner"] == "140000"
    assert as_(SHANGHAI).get(f"/investigations/{SPREAD}/tier").status_code == 404


@pytest.mark.usefixtures("placed")
def test_a_signal_shows_its_owner_and_why_to_regulators_of_its_area(as_: AsPrincipal) -> None:
    body = as_(PROVINCE).get("/signals/s2/tier").json()
    assert (body["owner"], body["tier"], body["kind"]) == ("140000", "province", "signal")
    assert body["moves"][0]["rule"] == "regions"
    assert as_(TAIYUAN).get("/signals/s2/tier").status_code == 404  # raised in 140202
    assert as_(TAIYUAN).get("/signals/s1/tier").json()["owner"] == "140105"
    assert as_(PROVINCE).get("/signals/nope/tier").status_code == 404
    assert as_(FIRM).get("/signals/s1/tier").status_code == 404  # same as missing
