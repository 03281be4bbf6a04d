"""`SqlAccountStorage` on SQLite: the service's whole account lifecycle through real SQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.domain.access import Role
from recall.service.accounts.commands import NewAccount, add_account
from recall.service.accounts.ports import DuplicateTokenError
from tests.support.account_scenarios import T0, run_account_lifecycle


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'recall.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


def test_the_account_lifecycle_round_trips(sessions: sessionmaker[Session]) -> None:
    run_account_lifecycle(sessions)


def test_a_token_id_collision_is_refused_and_leaves_nothing(
    sessions: sessionmaker[Session],
) -> None:
    store = SqlAccountStorage(sessions)
    first = add_account(store, NewAccount("a", Role.PUBLIC), by="cli:li", at=T0)
    with store.transaction() as unit:
        stored = unit.accounts.get(first.account.account_id)
    assert stored is not None
    clash = dataclasses.replace(stored, account_id="acc-other")
    with pytest.raises(DuplicateTokenError), store.transaction() as unit:
        unit.accounts.add(clash)
    with store.transaction() as unit:
        assert [a.account_id for a in unit.accounts.list()] == [first.account.account_id]


def test_disable_and_rotate_touch_only_enabled_accounts(sessions: sessionmaker[Session]) -> None:
    store = SqlAccountStorage(sessions)
    issued = add_account(store, NewAccount("a", Role.PUBLIC), by="cli:li", at=T0)
    account_id = issued.account.account_id
    with store.transaction() as unit:
        assert unit.accounts.disable(account_id, at=T0, by="x")
        assert not unit.accounts.disable(account_id, at=T0, by="y")
        assert not unit.accounts.replace_token(
            account_id, token_id="t" * 16, token_sha256="0", at=T0
        )
        assert not unit.accounts.disable("acc-none", at=T0, by="x")
    with store.transaction() as unit:
        found = unit.accounts.get(account_id)
    assert found is not None and found.disabled_by == "x" and found.rotated_at is None
