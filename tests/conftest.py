"""Session-wide real services: an Apache Kafka broker and a PostgreSQL cluster.

Both are started by the test run itself, on free loopback ports, in a temporary directory, and
stopped at the end. `KAFKA_BOOTSTRAP_SERVERS` / `RECALL_TEST_DATABASE_URL` point the suite at
existing services instead.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from recall.adapters.broker import local
from recall.config import Settings
from tests.support.broker import local_broker_settings
from tests.support.postgres import PostgresCluster, new_cluster


@pytest.fixture(scope="session")
def broker_settings() -> Iterator[Settings]:
    """Settings pointing at a running broker (started here unless one is given)."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    state = Path(tempfile.mkdtemp(prefix="recall-test-broker-"))
    if external:
        yield Settings(state_dir=state)
        return
    settings = local_broker_settings(state, heap="512m")
    local.start(settings, timeout_s=180)
    yield settings
    local.stop(settings)


@pytest.fixture(scope="session")
def bootstrap(broker_settings: Settings) -> str:
    return broker_settings.bootstrap_servers


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster | str]:
    external = os.environ.get("RECALL_TEST_DATABASE_URL")
    if external:
        yield external
        return
    cluster = new_cluster(Path(tempfile.mkdtemp(prefix="recall-test-pg-")))
    cluster.start()
    yield cluster
    cluster.stop()


_db_counter = iter(range(1, 10_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each supported kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'recall.db'}"
    cluster: PostgresCluster | str = request.getfixturevalue("postgres")
    if isinstance(cluster, str):
        return cluster
    return cluster.create_database(f"test_{next(_db_counter)}")
