"""Statistics and the public feed on a real PostgreSQL (its `to_char` months, JSON paths and row
comparisons), with a real bearer token for the regulator and none for the public."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from recall.adapters.db.models import Manufacturer
from recall.domain.access import Role
from recall.service.accounts.scopes import NewAccount
from tests.support.api import api_over
from tests.unit.api import seed
from tests.unit.api.test_api_statistics import seed_world
from tests.unit.recalls_cli.recalls_cli_support import corrected_at

pytestmark = pytest.mark.integration
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_statistics_and_public_feed_on_postgres(database_url: str, tmp_path: Path) -> None:
    with api_over(database_url, tmp_path) as api:
        seed_world(api.sessions)
        with api.sessions.begin() as session:
            session.add(
                Manufacturer(credit_code=seed.TAIYUAN_MAKER, name="童悦", jurisdiction="140105")
            )
        taiyuan = api.bearer(NewAccount("太原市监局", Role.REGULATOR, region="140100"))
        client = api.client

        response = client.get("/statistics?group_by=month", headers=taiyuan)
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
