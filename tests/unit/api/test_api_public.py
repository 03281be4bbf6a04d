"""The public feed: published notices only, anonymous, JSON pages and a valid Atom document."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Manufacturer
from recall.api.routes.public import atom_feed, entry_id
from recall.service.public.ports import PublishedNotice
from tests.unit.api import seed

A = "{http://www.w3.org/2005/Atom}"
PUBLISHED = {seed.DONE, seed.OPEN, seed.SH_RECALL}


@pytest.fixture
def anonymous(app: FastAPI, db: sessionmaker[Session]) -> TestClient:
    """A client with no Authorization header and no principal override."""
    seed.seed_investigations(db)
    seed.seed_recalls(db)
    with db.begin() as session:
        session.add(
            Manufacturer(
                credit_code=seed.TAIYUAN_MAKER, name="太原童悦 <&> 有限公司", jurisdiction="140105"
            )
        )
    return TestClient(app, raise_server_exceptions=False)


def test_json_lists_every_published_notice_without_authentication(anonymous: TestClient) -> None:
    response = anonymous.get("/public/recalls")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {i["recall_id"] for i in items} == PUBLISHED
    done = next(i for i in items if i["recall_id"] == seed.DONE)
    assert done["firm_name"] == "太原童悦 <&> 有限公司"
    assert done["firm_credit_code"] == seed.TAIYUAN_MAKER
    assert done["brand"] == "童悦" and done["model"] == f"ST-{seed.DONE}"
    assert done["batches"] == ["B202401"]
    assert done["remedy_labels"] == ["修理 / Repair"]
    assert done["hazard_label"] == "机械伤害 / Mechanical"
    assert done["region"] == "140105"
    sh = next(i for i in items if i["recall_id"] == seed.SH_RECALL)
    assert sh["firm_name"] is None


def test_nothing_but_notice_fields_leaves(anonymous: TestClient) -> None:
    text = anonymous.get("/public/recalls").text
    for private in ("investigation", "verdict", "forecast", "affected", "corrected", "FIRM-"):
        assert private not in text
    assert anonymous.get("/public/investigations").status_code == 404
    assert anonymous.get("/recalls").status_code == 401


def test_pages_follow_the_cursor(anonymous: TestClient) -> None:
    first = anonymous.get("/public/recalls?limit=2&sort=start").json()
    assert len(first["items"]) == 2 and first["next"]
    second = anonymous.get(first["next"]).json()
    assert second["next"] is None
    ids = [i["recall_id"] for i in first["items"] + second["items"]]
    assert ids == [seed.DONE, seed.OPEN, seed.SH_RECALL]  # same start: by recall id
    assert anonymous.get("/public/recalls?cursor=forged.x").status_code == 400


def test_one_notice_or_404(anonymous: TestClient) -> None:
    assert anonymous.get(f"/public/recalls/{seed.OPEN}").json()["state"] == "in_progress"
    missing = anonymous.get("/public/recalls/RC-NOPE")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_atom_parses_with_one_entry_per_notice(anonymous: TestClient) -> None:
    response = anonymous.get("/public/recalls.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{A}feed"
    entries = feed.findall(f"{A}entry")
    assert {e.findtext(f"{A}id") for e in entries} == {entry_id(r) for r in PUBLISHED}
    assert feed.findtext(f"{A}updated") == max(e.findtext(f"{A}updated") or "" for e in entries)
    done = next(e for e in entries if e.findtext(f"{A}id") == entry_id(seed.DONE))
    assert done.findtext(f"{A}author/{A}name") == "太原童悦 <&> 有限公司"
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    assert done.find(f"{A}summary").get(lang) == "zh-CN"  # type: ignore[union-attr]
    assert "危害：机械伤害" in (done.findtext(f"{A}summary") or "")
    assert "Hazard: Mechanical" in (done.findtext(f"{A}content") or "")


def test_atom_escapes_markup_and_control_characters() -> None:
    moment = datetime(2024, 1, 2, 3, tzinfo=UTC)
    notice = PublishedNotice(
        recall_id="RC/1 <x>",
        title='</title><script>"&',
        brand="b\x01",
        model="m",
        gtin=None,
        batches=(),
        category="toys",
        hazard="fire",
        risk_level="high",
        remedies=("refund",),
        firm_name=None,
        firm_credit_code="91140105MA0000000X",
        region="140105",
        start=moment,
        state="announced",
        updated_at=moment,
    )
    feed = ET.fromstring(
        atom_feed([notice], moment, self_url="http://h/p?a=1&b=2", base_url="http://h")
    )
    entry = feed.find(f"{A}entry")
    assert entry is not None
    assert entry.findtext(f"{A}title") == '</title><script>"& (b\ufffd m)'
    assert entry.findtext(f"{A}id") == "tag:recall-tracker.org,2026:recall/RC%2F1%20%3Cx%3E"
    assert feed.findtext(f"{A}updated") == "2024-01-02T03:00:00Z"
