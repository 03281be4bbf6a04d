"""The lists' SQL scope and the detail's `can_see` never disagree, for every tier.

Lists are cut by region (or owner) in SQL, details by `recall.domain.access.can_see` on the
loaded object. For regulators at every tier, an expert, a station and a firm, every list must
hold exactly the objects `can_see` admits, and every detail must answer 200 for those and 404
for all others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import DeadLetterRow, InvestigationRow, RecallRow, Station
from recall.domain.access import Principal, Role, Scoped, can_see
from recall.service.recalls.pages import scoped as recall_scoped
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.read_model_seed import seed_read_model
from tests.unit.api.read_model_seed import world as read_model_objects
from tests.unit.api.seed import (
    EXPERT,
    FIRM,
    SHANGHAI_MAKER,
    STATION,
    TAIYUAN,
    seed_dead_letters,
    seed_investigations,
    seed_recalls,
)

REGIONS = ["140000", "140100", "140105", "140106", "140200", "140202", "310000", "310101", "110000"]
PRINCIPALS = [
    *(Principal(f"acc-{code}", Role.REGULATOR, region=code) for code in REGIONS),
    EXPERT,
    STATION,
    FIRM,
    Principal("acc-other-station", Role.STATION, station_id="ST-SH-1"),
]


@pytest.fixture
def world(db: sessionmaker[Session], as_: AsPrincipal) -> dict[str, dict[str, Scoped]]:
    """Every object by kind and id, with what scopes it (read back from the tables)."""
    ids = seed_investigations(db)
    as_(TAIYUAN).post(f"/investigations/{ids['k-1']}/assign")  # puts EXPERT on one panel
    seed_recalls(db)
    seed_dead_letters(db)
    with db() as session:
        investigations = {
            row.investigation_id: Scoped(row.jurisdiction, expert_ids=frozenset(row.expert_ids))
            for row in session.scalars(select(InvestigationRow))
        }
        recalls = {
            row.recall_id: recall_scoped(row.jurisdiction, row.product_key)
            for row in session.scalars(select(RecallRow))
        }
        regions = dict(session.execute(select(Station.station_id, Station.jurisdiction)).all())
        letters = {
            f"{row.source_partition}/{row.source_offset}": Scoped(
                regions.get(row.reporter_id or ""), station_id=row.reporter_id
            )
            for row in session.scalars(select(DeadLetterRow))
        }
    return {"investigations": investigations, "recalls": recalls, "dead-letters": letters}


def _listed(as_: AsPrincipal, principal: Principal, path: str) -> set[str] | None:
    response = as_(principal).get(f"/{path}?limit=500")
    if response.status_code == 403:
        return None
    assert response.status_code == 200, response.text
    key = {"investigations": "investigation_id", "recalls": "recall_id"}.get(path)
    return {
        item[key] if key else f"{item['partition']}/{item['offset']}"
        for item in response.json()["items"]
    }


@pytest.mark.parametrize("path", ["investigations", "recalls", "dead-letters"])
def test_lists_and_details_agree_with_can_see(
    as_: AsPrincipal, world: dict[str, dict[str, Scoped]], path: str
) -> None:
    checks = 0
    for principal in PRINCIPALS:
        admitted = {i for i, obj in world[path].items() if can_see(principal, obj)}
        listed = _listed(as_, principal, path)
        assert (listed if listed is not None else set()) == admitted, principal
        if listed is None:
            assert not admitted, principal  # a role refused the list sees nothing in it
        checks += 1
        if path == "dead-letters":
            continue  # letters have no detail route
        for identifier in world[path]:
            status = as_(principal).get(f"/{path}/{identifier}").status_code
            assert status == (200 if identifier in admitted else 404), (principal, identifier)
            checks += 1
    assert checks >= len(PRINCIPALS)
    print(f"{path}: {checks} scope checks")


# --- the read model: scores, signals, alerts, regional risk, referrals, products, stations ---

READ_MODEL_PRINCIPALS = [
    *PRINCIPALS,
    Principal("acc-public", Role.PUBLIC),
    Principal("acc-firm-sh", Role.FIRM, manufacturer_code=SHANGHAI_MAKER),
    Principal("acc-firm-unknown", Role.FIRM, manufacturer_code="unknown"),
]
READ_MODEL_KEYS: dict[str, Callable[[dict[str, Any]], str]] = {
    "scores": lambda i: i["product_key"],
    "signals": lambda i: i["signal_id"],
    "alerts": lambda i: i["alert_id"],
    "referrals": lambda i: i["recall_id"],
    "regional-risk": lambda i: f"{i['category']}|{i['city']}",
    "stations": lambda i: i["station_id"],
}
DETAILS = {"scores": "products", "stations": "stations"}


@pytest.fixture
def read_model_world(db: sessionmaker[Session]) -> dict[str, dict[str, Scoped]]:
    seed_read_model(db)
    return read_model_objects(db)


@pytest.mark.parametrize("path", sorted(READ_MODEL_KEYS))
def test_read_model_lists_and_details_agree_with_can_see(
    as_: AsPrincipal, read_model_world: dict[str, dict[str, Scoped]], path: str
) -> None:
    checks = 0
    for principal in READ_MODEL_PRINCIPALS:
        admitted = {i for i, obj in read_model_world[path].items() if can_see(principal, obj)}
        response = as_(principal).get(f"/{path}?limit=500")
        if response.status_code == 403:
            assert not admitted, principal  # a role refused the list sees nothing in it
        else:
            assert response.status_code == 200, response.text
            listed = {READ_MODEL_KEYS[path](i) for i in response.json()["items"]}
            assert listed == admitted, principal
        checks += 1
        detail = DETAILS.get(path)
        if detail is None:
            continue
        for identifier in read_model_world[path]:
            status = as_(principal).get(f"/{detail}/{identifier}").status_code
            assert status == (200 if identifier in admitted else 404), (principal, identifier)
            checks += 1
    print(f"{path}: {checks} scope checks")
