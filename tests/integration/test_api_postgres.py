"""The regulator API on a real PostgreSQL, with real accounts and bearer tokens: lists cut by
region in SQL (keyset pages over PostgreSQL's row comparison) and by panel (the JSON list of
experts), a detail outside the scope that reads as missing, and an action recorded under the
account that took it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import AuditEntry, InvestigationAuditRow
from recall.api.app import create_api
from recall.config import load_settings
from recall.domain.access import Role
from recall.service.accounts.commands import add_account
from recall.service.accounts.scopes import NewAccount
from tests.support.api import api_over
from tests.unit.api.seed import SHANXI_INVESTIGATIONS, seed_dead_letters, seed_investigations

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_region_scoped_lists_and_an_audited_action_on_postgres(
    database_url: str, tmp_path: Path
) -> None:
    upgrade(database_url)
    sessions = make_session_factory(make_engine(database_url))
    ids = seed_investigations(sessions)
    seed_dead_letters(sessions)
    accounts = SqlAccountStorage(sessions)
    now = datetime.now(UTC)
    taiyuan = add_account(
        accounts, NewAccount("太原市监局", Role.REGULATOR, region="140100"), by="test", at=now
    )
    shanghai = add_account(
        accounts, NewAccount("上海市监局", Role.REGULATOR, region="310000"), by="test", at=now
    )
    expert = add_account(
        accounts, NewAccount("专家 2", Role.EXPERT, expert_id="EXP-002"), by="test", at=now
    )
    settings = load_settings(database_url=database_url, state_dir=tmp_path)
    client = TestClient(create_api(settings, sessions=sessions))
    as_taiyuan = {"Authorization": f"Bearer {taiyuan.token}"}
    as_shanghai = {"Authorization": f"Bearer {shanghai.token}"}

    seen: list[str] = []
    url: str | None = "/investigations?limit=2&sort=-updated_at"
    while url is not None:
        response = client.get(url, headers=as_taiyuan)
        assert response.status_code == 200, response.text
        seen += [item["investigation_id"] for item in response.json()["items"]]
        url = response.json()["next"]
    in_taiyuan = {ids[p] for p, _, region in SHANXI_INVESTIGATIONS if region.startswith("1401")}
    assert sorted(seen) == sorted(in_taiyuan)

    letters = client.get("/dead-letters?limit=500", headers=as_shanghai).json()["items"]
    assert {letter["reporter_id"] for letter in letters} == {"ST-SH-1"}

    target = ids["k-1"]
    hidden = client.get(f"/investigations/{target}", headers=as_shanghai)
    missing = client.get(
        "/investigations/00000000-0000-0000-0000-000000000000", headers=as_shanghai
    )
    assert hidden.status_code == missing.status_code == 404
    assert client.post(f"/investigations/{target}/assign", headers=as_shanghai).status_code == 404

    assigned = client.post(f"/investigations/{target}/assign", headers=as_taiyuan)
    assert assigned.status_code == 200, assigned.text
    assert "EXP-001" not in assigned.json()["investigation"]["expert_ids"]
    as_expert = {"Authorization": f"Bearer {expert.token}"}
    listed = client.get("/investigations", headers=as_expert).json()["items"]
    assert [item["investigation_id"] for item in listed] == [target]  # its panel, in SQL
    conclude = {"decision": "no_defect", "reason": "tests pass"}
    refused = client.post(f"/investigations/{target}/conclude", json=conclude, headers=as_expert)
    assert refused.status_code == 403
    account_id = taiyuan.account.account_id
    with sessions() as session:
        actors = session.scalars(
            select(InvestigationAuditRow.actor).where(
                InvestigationAuditRow.investigation_id == target
            )
        ).all()
        entries = session.scalars(select(AuditEntry).where(AuditEntry.subject == target)).all()
    assert actors[-1] == account_id
    outcomes = {(e.account_id, e.action, e.outcome) for e in entries}
    assert (account_id, "investigation.assign", "done") in outcomes
    assert (shanghai.account.account_id, "investigation.assign", "denied") in outcomes


ZALGO = "Ṱ̺̺̕o͞ ̷i̲̬͇̪͙n̝̗͕v̟̜̘̦͟o̶̙̰̠kè͚̮̺̪̹̱̤ ̖t̝͕̳̣̻̪͞h̼͓̲̦̳̘̲e͇̣̰̦̬͎ ̢̼̻̱̘h͚͎͙̜̣̲ͅi̦̲̣̰̤v̻͍e̺̭̳̪̰"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_overlong_id_in_a_path_is_a_404_and_audited_cut(
    database_url: str, tmp_path: Path
) -> None:
    """The API fuzz test found it: an action on a subscription whose id (from the path) is
    longer than the audit log's `subject` column answered 500 on PostgreSQL — the denial's
    audit line could not be written. The attempt is now a 404 like any unknown id, and its
    audit line keeps the first 199 characters and an ellipsis."""
    with api_over(database_url, tmp_path) as api:
        shanxi = api.account(NewAccount("山西省市监局", Role.REGULATOR, region="140000"))
        hostile = ZALGO * 8
        assert len(hostile) > 200

        response = api.client.post(
            f"/webhooks/subscriptions/{hostile}/rotate-secret",
            headers={"Authorization": f"Bearer {shanxi.token}"},
        )

        assert response.status_code == 404, response.text
        with api.sessions() as session:
            [entry] = session.scalars(
                select(AuditEntry).where(AuditEntry.account_id == shanxi.account.account_id)
            ).all()
        assert entry.outcome == "denied"
        assert entry.subject == hostile[:199] + "…"
