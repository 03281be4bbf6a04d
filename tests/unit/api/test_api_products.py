"""GET /products/{product_key}: keys with slashes (and spaces) through the path converter;
registry facts, score, history as the caller may see it; 404 alike for missing and hidden."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.domain.access import Principal, Role
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.read_model_seed import (
    NOWHERE,
    SH_REGISTERED,
    TY_REGISTERED,
    TY_UNREGISTERED,
    seed_read_model,
)
from tests.unit.api.seed import (
    EXPERT,
    FIRM,
    PROVINCE,
    PUBLIC,
    SHANGHAI,
    STATION,
    TAIYUAN,
    TAIYUAN_MAKER,
)


@pytest.fixture(autouse=True)
def _seeded(db: sessionmaker[Session]) -> None:
    seed_read_model(db)


def test_a_key_with_slashes_reaches_the_product(as_: AsPrincipal) -> None:
    assert "/" in TY_REGISTERED and " " in TY_REGISTERED
    for encoded in (False, True):  # raw slashes, and %2F
        path = quote(TY_REGISTERED, safe="" if encoded else "/")
        response = as_(TAIYUAN).get(f"/products/{path}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["product_key"] == TY_REGISTERED
    assert body["region"] == "140105"
    assert body["registry"]["manufacturer_code"] == TAIYUAN_MAKER
    assert body["registry"]["manufacturer_jurisdiction"] == "140105"
    assert body["registry"]["model"] == "kettle K-1"
    assert body["score"]["score"] == 81.5
    assert body["score"]["explanation"] == ["score 81.5", "+fire"]


def test_history_is_the_callers_signals_oldest_first(as_: AsPrincipal) -> None:
    history = as_(TAIYUAN).get(f"/products/{TY_REGISTERED}").json()["history"]
    assert [s["signal_id"] for s in history] == ["sig-a", "sig-b"]  # not sig-c (Shanghai)
    province = as_(PROVINCE).get(f"/products/{TY_REGISTERED}").json()["history"]
    assert [s["signal_id"] for s in province] == ["sig-a", "sig-b"]
    firm = as_(FIRM).get(f"/products/{TY_REGISTERED}").json()
    assert firm["score"]["score"] == 81.5 and firm["history"] == []  # signals: regulators only


def test_an_unregistered_product_is_scoped_by_its_signals(as_: AsPrincipal) -> None:
    body = as_(PROVINCE).get(f"/products/{TY_UNREGISTERED}").json()
    assert body["registry"] is None and body["region"] == "140202"
    assert [s["signal_id"] for s in body["history"]] == ["sig-d"]
    assert as_(TAIYUAN).get(f"/products/{TY_UNREGISTERED}").status_code == 404


def test_hidden_reads_as_missing(as_: AsPrincipal) -> None:
    missing = as_(SHANGHAI).get(f"/products/{TAIYUAN_MAKER}/acme/never")
    hidden = as_(SHANGHAI).get(f"/products/{TY_REGISTERED}")
    assert missing.status_code == hidden.status_code == 404
    assert missing.json()["detail"] == f"no product '{TAIYUAN_MAKER}/acme/never'"
    assert hidden.json()["detail"] == f"no product '{TY_REGISTERED}'"
    assert set(missing.json()) == set(hidden.json())
    assert as_(SHANGHAI).get(f"/products/{SH_REGISTERED}").status_code == 200


@pytest.mark.parametrize("principal", [EXPERT, STATION, PUBLIC])
def test_roles_without_scores_get_404(as_: AsPrincipal, principal: Principal) -> None:
    assert as_(principal).get(f"/products/{TY_REGISTERED}").status_code == 404


def test_a_firm_sees_its_own_products_only(as_: AsPrincipal) -> None:
    assert as_(FIRM).get(f"/products/{TY_UNREGISTERED}").status_code == 200
    assert as_(FIRM).get(f"/products/{SH_REGISTERED}").status_code == 404
    other = Principal("acc-firm-x", Role.FIRM, manufacturer_code="unknown")
    assert as_(other).get(f"/products/{NOWHERE}").status_code == 404


def test_a_score_without_region_is_nobodys(as_: AsPrincipal) -> None:
    for principal in (PROVINCE, SHANGHAI, Principal("acc-bj", Role.REGULATOR, region="110000")):
        assert as_(principal).get(f"/products/{NOWHERE}").status_code == 404
