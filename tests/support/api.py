"""The regulator API over a fresh database, as the API tests set it up: migrated, with a
session factory the test can seed through, and accounts whose bearer headers it can use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.api.app import create_api
from recall.config import load_settings
from recall.service.accounts.commands import IssuedAccount, add_account
from recall.service.accounts.scopes import NewAccount


@dataclass(frozen=True, slots=True)
class ApiUnderTest:
    app: FastAPI
    client: TestClient
    sessions: sessionmaker[Session]

    def account(self, new: NewAccount) -> IssuedAccount:
        """Create `new` (by "test", now): the account and its one-time token."""
        return add_account(SqlAccountStorage(self.sessions), new, by="test", at=datetime.now(UTC))

    def bearer(self, new: NewAccount) -> dict[str, str]:
        """Create `new`; the `Authorization` header that acts as it."""
        return {"Authorization": f"Bearer {self.account(new).token}"}


@contextmanager
def api_over(
    database_url: str, state_dir: Path, *, raise_server_exceptions: bool = True
) -> Iterator[ApiUnderTest]:
    """The API over `database_url`, migrated first (the API does not migrate by itself).

    `raise_server_exceptions=False` keeps a server error as a 500 response, for tests that
    assert there is none rather than fail on the first. On leaving, the client and the
    engine's pooled connections are closed: the test session shares one PostgreSQL cluster
    (100 connections), and engines left open by earlier tests exhausted it.
    """
    upgrade(database_url)
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    app = create_api(
        load_settings(database_url=database_url, state_dir=state_dir), sessions=sessions
    )
    client = TestClient(app, raise_server_exceptions=raise_server_exceptions)
    try:
        yield ApiUnderTest(app, client, sessions)
    finally:
        client.close()
        engine.dispose()
