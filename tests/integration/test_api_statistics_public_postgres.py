"""Statistics and the public feed on a real PostgreSQL (its `to_char` months, JSON paths and row
comparisons), with a real bearer token for the regulator and none for the public."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import Manufacturer
from recall.api.app import create_api
from recall.config import load_settings
from recall.domain.access import Role
from recall.service.accounts.commands import add_account
from recall.service.accounts.scopes import NewAccount
from tests.unit.api import seed
from tests.unit.api.test_api_statistics import seed_world
from tests.unit.recalls_cli.recalls_cli_support import corrected_at

pytestmark = pytest.mark.integration
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_statistics_and_public_feed_on_postgres(database_url: str, tmp_path: Path) -> None:
    upgrade(database_url)
    sessions = make_session_factory(make_engine(database_url))
    seed_world(sessions)
    with sessions.begin() as session:
        session.add(
            Manufacturer(credit_code=seed.TAIYUAN_MAKER, name="童悦", jurisdiction="140105")
        )
    taiyuan = add_account(
        SqlAccountStorage(sessions),
        NewAccount("太原市监局", Role.REGULATOR, region="140100"),
        by="test",
        at=datetime.now(UTC),
    )
    settings = load_settings(database_url=database_url, state_dir=tmp_path)
    client = TestClient(create_api(settings, sessions=sessions))

    response = client.get(
        "/statistics?group_by=month", headers={"Authorization": f"Bearer {taiyuan.token}"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    total = body["total"]
    assert total["events"] == {"injury_report": 5}
    assert total["leads"] == {
        "purchase_sampling": 2,
        "injury_reports": 6,
        "media": 0,
        "complaints": 0,
        "other": 0,
    }
    assert total["investigations_opened"] == 6
    assert total["investigations_concluded"] == {"defect_confirmed": 1, "no_defect": 1}
    assert total["units_affected"] == 2000
    assert total["units_corrected"] == corrected_at(180) + corrected_at(90)
    months = {g["month"]: g for g in body["groups"]}
    assert months["2024-03"]["events"] == {"injury_report": 5}
    assert months["2024-04"]["leads"]["purchase_sampling"] == 2
    assert client.get("/statistics").status_code == 401

    first = client.get("/public/recalls?limit=2&sort=start").json()
    second = client.get(first["next"]).json()
    ids = [i["recall_id"] for i in first["items"] + second["items"]]
    assert ids == [seed.DONE, seed.OPEN, seed.SH_RECALL]
    assert first["items"][0]["firm_name"] == "童悦"
    feed = ET.fromstring(client.get("/public/recalls.atom").content)
    assert len(feed.findall(f"{ATOM}entry")) == 3
