"""An API application over a fresh, migrated SQLite database per test, and a client per role.

Authentication is not what these tests are about: `current_principal` is overridden with
the principal under test (`as_(principal)`); everything else is the real application.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recall.api.app import create_api
from recall.api.auth import current_principal
from recall.cli.common import sessions
from recall.config import Settings, load_settings
from recall.domain.access import Principal

AsPrincipal = Callable[[Principal], TestClient]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", state_dir=tmp_path)


@pytest.fixture
def db(settings: Settings) -> sessionmaker[Session]:
    return sessions(settings)


@pytest.fixture
def app(settings: Settings, db: sessionmaker[Session]) -> FastAPI:
    return create_api(settings, sessions=db)


@pytest.fixture
def as_(app: FastAPI) -> Iterator[AsPrincipal]:
    """`as_(principal)` → a client whose requests are made by that principal."""
    client = TestClient(app, raise_server_exceptions=False)

    def login(principal: Principal) -> TestClient:
        app.dependency_overrides[current_principal] = lambda: principal
        return client

    yield login
    app.dependency_overrides.clear()
