"""One benchmark run, isolated: its own topics, consumer group, database, state and worker.

Every benchmark needs the same set-up — a run id, a scratch directory, settings whose topic
prefix and app id belong to this run alone, a migrated database with the sample registry, the
population of stations and products to send as — and the same clean-up. A worker reads its
configuration from the environment, so everything the run chose (or was given: a test's broker
on another port, a table store, a partition count) is passed on explicitly, or the worker would
silently measure something else — the default broker, say.
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.registry_store import load_registry, reporting_population
from recall.adapters.kafka.admin import delete_topics_with_prefix, ensure_topics
from recall.config import Settings
from recall.tools.simulate.events import SimProduct, SimStation
from schemas.registry import RegistryFile


@dataclass(frozen=True, slots=True)
class BenchRun:
    settings: Settings
    workdir: Path

    @property
    def database(self) -> str:
        return "postgresql" if "postgres" in self.settings.sqlalchemy_url else "sqlite"

    def worker_env(self, metrics_port: int, **extra: str) -> dict[str, str]:
        s = self.settings
        return {
            "KAFKA_BOOTSTRAP_SERVERS": s.bootstrap_servers,
            "DATABASE_URL": s.database_url or "",
            "RECALL_TOPIC_PREFIX": s.topic_prefix,
            "RECALL_APP_ID": s.app_id,
            "RECALL_TOPIC_PARTITIONS": str(s.topic_partitions),
            "RECALL_TABLE_STORE": s.table_store,
            "RECALL_METRICS_PORT": str(metrics_port),
            "RECALL_STATE_DIR": str(self.workdir),
            **extra,
        }

    def prepare(self, registry: RegistryFile) -> sessionmaker[Session]:
        """Migrate the run's database, load `registry` and declare the run's topics."""
        upgrade(self.settings.sqlalchemy_url)
        sessions = make_session_factory(make_engine(self.settings.sqlalchemy_url))
        load_registry(sessions, registry)
        ensure_topics(self.settings)
        return sessions

    def clean_up(self) -> None:
        """Delete the run's topics (and Faust's changelogs): a benchmark leaves none behind."""
        delete_topics_with_prefix(self.settings, (self.settings.topic_prefix, self.settings.app_id))


def isolated_run(base: Settings, name: str) -> BenchRun:
    run = uuid.uuid4().hex[:8]
    workdir = Path(tempfile.mkdtemp(prefix=f"recall-bench-{name}-"))
    settings = Settings(
        **{
            **base.model_dump(exclude={"database_url"}),
            "topic_prefix": f"{name}-{run}.",
            "app_id": f"recall-{name}-{run}",
            "database_url": base.database_url or f"sqlite:///{workdir / 'bench.db'}",
        }
    )
    return BenchRun(settings, workdir)


@dataclass(frozen=True, slots=True)
class Population:
    """Who sends and about what: registered non-firm stations (people and labs) and products."""

    people: list[SimStation]
    labs: list[SimStation]
    goods: list[SimProduct]


def population(sessions: sessionmaker[Session]) -> Population:
    stations, products = reporting_population(sessions)
    sims = [SimStation(*s) for s in stations]
    return Population(
        [s for s in sims if s.kind != "lab"],
        [s for s in sims if s.kind == "lab"],
        [SimProduct(*p) for p in products],
    )
