"""The read-model resources on a real PostgreSQL with real accounts and bearer tokens: scores
cut by region and by a firm's credit code in SQL (keyset pages in both score orders), signals
and alerts by jurisdiction, regional risk grouped per category × city (HAVING on the latest
time), a product key with slashes, a station's own health, and 404 alike for hidden and
missing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import Station
from recall.api.app import create_api
from recall.config import load_settings
from recall.domain.access import Role
from recall.service.accounts.commands import add_account
from recall.service.accounts.scopes import NewAccount
from tests.unit.api.read_model_seed import (
    SH_REGISTERED,
    TY_REGISTERED,
    TY_UNREGISTERED,
    seed_read_model,
)
from tests.unit.api.seed import TAIYUAN_MAKER

pytestmark = pytest.mark.integration


def _walk(client: TestClient, url: str | None, headers: dict[str, str], key: str) -> list[str]:
    seen: list[str] = []
    while url is not None:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        seen += [str(item[key]) for item in response.json()["items"]]
        url = response.json()["next"]
    return seen


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_read_model_resources_on_postgres(database_url: str, tmp_path: Path) -> None:
    upgrade(database_url)
    sessions = make_session_factory(make_engine(database_url))
    seed_read_model(sessions)
    with sessions.begin() as session:
        session.add(
            Station(
                station_id="FIRM-TY",
                kind="firm",
                name="太原器具",
                jurisdiction="140105",
                manufacturer_code=TAIYUAN_MAKER,
            )
        )
    accounts = SqlAccountStorage(sessions)
    now = datetime.now(UTC)

    def token(account: NewAccount) -> dict[str, str]:
        added = add_account(accounts, account, by="test", at=now)
        return {"Authorization": f"Bearer {added.token}"}

    shanxi = token(NewAccount("山西省局", Role.REGULATOR, region="140000"))
    shanghai = token(NewAccount("上海市局", Role.REGULATOR, region="310000"))
    firm = token(
        NewAccount("太原器具", Role.FIRM, station_id="FIRM-TY", manufacturer_code=TAIYUAN_MAKER)
    )
    station = token(NewAccount("太原站", Role.STATION, station_id="ST-TY-1"))
    settings = load_settings(database_url=database_url, state_dir=tmp_path)
    client = TestClient(create_api(settings, sessions=sessions))

    for sort in ("-score", "score", "-updated_at"):
        scores = _walk(client, f"/scores?limit=1&sort={sort}", shanxi, "product_key")
        assert sorted(scores) == sorted([TY_REGISTERED, TY_UNREGISTERED]), sort
    assert _walk(client, "/scores?limit=1", firm, "product_key") == [
        TY_REGISTERED,
        TY_UNREGISTERED,
    ]
    assert client.get("/signals", headers=firm).status_code == 403

    assert _walk(client, "/signals?limit=2", shanghai, "signal_id") == ["sig-e", "sig-c"]
    assert _walk(client, "/alerts?limit=2", shanghai, "alert_id") == ["al-ref-sh", "ra-5"]
    assert _walk(client, "/referrals", shanxi, "recall_id") == ["RC-TY"]
    regional = _walk(client, "/regional-risk?limit=1", shanxi, "city")
    assert regional == ["140200", "140100", "140100"]

    product = client.get(f"/products/{TY_REGISTERED}", headers=shanxi)
    assert product.status_code == 200, product.text
    assert [s["signal_id"] for s in product.json()["history"]] == ["sig-a", "sig-b"]
    hidden = client.get(f"/products/{SH_REGISTERED}", headers=shanxi)
    missing = client.get(f"/products/{TAIYUAN_MAKER}/none", headers=shanxi)
    assert hidden.status_code == missing.status_code == 404

    own = client.get("/stations", headers=station).json()["items"]
    assert [(s["station_id"], s["rejected"]) for s in own] == [
        ("ST-TY-1", {"schema": 3, "unauthenticated": 2})
    ]
    assert client.get("/stations/ST-TY-2", headers=station).status_code == 404
    assert _walk(client, "/stations?limit=1", shanxi, "station_id") == [
        "FIRM-TY",
        "ST-TY-1",
        "ST-TY-2",
    ]
