"""The account store on a real PostgreSQL: the lifecycle, and a rotation racing a disable."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountRepository, SqlAccountStorage
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.domain.access import Role
from recall.service.accounts.commands import AuthFailure, NewAccount, add_account, check_token
from tests.support.account_scenarios import T0, run_account_lifecycle
from tests.support.postgres import PostgresCluster

pytestmark = pytest.mark.integration

_names = iter(range(1, 1000))


@pytest.fixture
def sessions(postgres: PostgresCluster | str) -> Iterator[sessionmaker[Session]]:
    url = postgres if isinstance(postgres, str) else postgres.create_database(f"acc_{next(_names)}")
    upgrade(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


def test_the_account_lifecycle_round_trips_on_postgresql(sessions: sessionmaker[Session]) -> None:
    run_account_lifecycle(sessions)


def test_a_rotation_waiting_on_a_disable_never_revives_the_account(
    sessions: sessionmaker[Session],
) -> None:
    store = SqlAccountStorage(sessions)
    issued = add_account(store, NewAccount("race", Role.PUBLIC), by="cli:t", at=T0)
    account_id = issued.account.account_id
    rotated: list[bool] = []

    with sessions.begin() as first:
        assert SqlAccountRepository(first).disable(account_id, at=T0, by="cli:a")

        def rotate() -> None:
            with sessions.begin() as second:
                rotated.append(
                    SqlAccountRepository(second).replace_token(
                        account_id, token_id="R" * 16, token_sha256="0" * 64, at=T0
                    )
                )

        racer = threading.Thread(target=rotate)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the rotation should wait for the disabling transaction"
    racer.join(timeout=10)
    assert rotated == [False]
    assert check_token(store, issued.token).failure is AuthFailure.DISABLED
