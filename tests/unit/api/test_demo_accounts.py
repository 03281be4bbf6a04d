"""The demo's accounts: one per role, scoped from the registry, each token authenticates."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.models import Expert, Station
from recall.domain.access import Role
from recall.service.accounts.commands import authenticate
from recall.tools.demo_accounts import curl_line, demo_accounts
from tests.unit.api.seed import TAIYUAN_MAKER


def _registry(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        session.add_all(
            [
                Station(station_id="ST-B", kind="hospital", name="b", jurisdiction="140105"),
                Station(station_id="ST-C", kind="mall", name="c", jurisdiction="310101"),
                Station(
                    station_id="FIRM-1",
                    kind="firm",
                    name="f",
                    jurisdiction="140105",
                    manufacturer_code=TAIYUAN_MAKER,
                ),
            ]
        )
        for expert_id, region in (("EXP-1", "310101"), ("EXP-2", "140106")):
            session.add(
                Expert(
                    expert_id=expert_id,
                    name=expert_id,
                    jurisdiction=region,
                    categories=[],
                    linked_firms=[],
                    active=True,
                )
            )


def test_one_account_per_role_each_token_authenticates(db: sessionmaker[Session]) -> None:
    _registry(db)
    made = demo_accounts(db, at=datetime(2026, 1, 1, tzinfo=UTC))
    assert [a.role for a in made] == [
        Role.REGULATOR,
        Role.REGULATOR,
        Role.EXPERT,
        Role.STATION,
        Role.FIRM,
        Role.PUBLIC,
    ]
    storage = SqlAccountStorage(db)
    principals = [authenticate(storage, a.token) for a in made if a.token]
    assert [p.region for p in principals[:2] if p] == ["140000", "140100"]
    assert principals[2] is not None and principals[2].expert_id == "EXP-2"  # same province
    assert principals[3] is not None and principals[3].station_id == "ST-B"
    firm = principals[4]
    assert firm is not None and firm.manufacturer_code == TAIYUAN_MAKER
    assert made[-1].token is None
    assert (
        curl_line("http://127.0.0.1:9", made[-1]) == "curl -s 'http://127.0.0.1:9/public/recalls'"
    )
    assert "Authorization: Bearer rt1_" in curl_line("http://h", made[0])
