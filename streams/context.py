"""What the agents share at run time: settings, storage, metrics, the reporter registry cache.

`store` reads the intake's registry for the cache; `storage` hands the services their units of
work (`recall.service.ports.Storage`).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

import structlog
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.disproportionality_store import SqlLiveDisproportionality, StoredVersion
from recall.adapters.db.intake_store import IntakeStore
from recall.adapters.db.key_store import active_versions
from recall.adapters.db.registry_store import registry_snapshot, units_in_use
from recall.adapters.db.storage import SqlStorage
from recall.config import Settings
from recall.domain.intake import Reporter, TimeBounds
from recall.domain.registry import RegistrySnapshot
from recall.service.intake.admission import IntakeRules
from recall.service.ports import Storage
from recall.service.risk.disproportionality_job import EvidenceByProduct, evidence_by_product
from schemas.signing import StationKeyring
from schemas.topics import (
    ALERTS,
    EVENTS_CANONICAL,
    INTAKE_DEADLETTER,
    INTAKE_RAW,
    INVESTIGATION_EVENTS,
    RECALL_EFFECTIVENESS,
    RISK_REGIONAL,
    RISK_SCORES,
    RISK_SIGNALS,
)
from streams.metrics import WorkerMetrics

log = structlog.get_logger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TopicNames:
    """Resolved (prefixed) names of the declared topics, computed once per worker."""

    raw: str
    canonical: str
    deadletter: str
    signals: str
    scores: str
    regional: str
    investigations: str
    effectiveness: str
    alerts: str

    @classmethod
    def of(cls, settings: Settings) -> TopicNames:
        return cls(
            raw=settings.topic_name(INTAKE_RAW.name),
            canonical=settings.topic_name(EVENTS_CANONICAL.name),
            deadletter=settings.topic_name(INTAKE_DEADLETTER.name),
            signals=settings.topic_name(RISK_SIGNALS.name),
            scores=settings.topic_name(RISK_SCORES.name),
            regional=settings.topic_name(RISK_REGIONAL.name),
            investigations=settings.topic_name(INVESTIGATION_EVENTS.name),
            effectiveness=settings.topic_name(RECALL_EFFECTIVENESS.name),
            alerts=settings.topic_name(ALERTS.name),
        )


@dataclass
class WorkerContext:
    settings: Settings
    store: IntakeStore
    metrics: WorkerMetrics
    sessions: sessionmaker[Session]
    reporters: dict[str, Reporter] = field(default_factory=dict)
    registry: RegistrySnapshot = field(default_factory=RegistrySnapshot)
    """Standards, labs and manufacturers intake judges by; replaced whole at each refresh."""
    units: dict[str, int] = field(default_factory=dict)
    disproportionality: EvidenceByProduct = field(default_factory=dict)
    """product_key -> hazard -> the live disproportionality job's last figures (replaced whole)."""
    disproportionality_version: StoredVersion | None = None
    keyring: StationKeyring = field(init=False)
    storage: Storage = field(init=False)
    """Units of work over the worker's sessions: how the services reach the database. A test
    may put another `Storage` here (in memory) before the agents are registered."""

    def __post_init__(self) -> None:
        self.topics = TopicNames.of(self.settings)
        self.storage = SqlStorage(self.sessions)
        self.keyring = StationKeyring(self.settings.signing_secret.get_secret_value(), {})
        self.bounds = TimeBounds(
            max_future=timedelta(seconds=self.settings.event_max_future_s),
            max_age=timedelta(days=self.settings.event_max_age_days),
        )

    @property
    def rules(self) -> IntakeRules:
        """The registry, keys and bounds the intake checks against, as of the last refresh."""
        return IntakeRules(self.reporters, self.keyring, self.bounds, self.registry)

    def refresh_reporters(self) -> None:
        """Reload the registry and the active keys (blocking; call from a thread).

        Each piece is replaced whole, so a batch running meanwhile sees the old or the new
        registry, never a mix; revoking a key takes effect at the next refresh.
        """
        reporters = self.store.reporters()
        active = active_versions(self.sessions)
        units = units_in_use(self.sessions)
        registry = registry_snapshot(self.sessions)
        self.reporters, self.keyring, self.units = reporters, self.keyring.refreshed(active), units
        self.registry = registry
        if "risk" in self.settings.agents.split(","):  # the only stage that reads it
            self.refresh_disproportionality()

    def refresh_disproportionality(self) -> None:
        """Reload the live disproportionality pairs if a run changed them (blocking).

        One aggregate per call (row count, newest run); the rows only when it moved. The map is
        replaced whole, like the registry, so a batch sees one run's figures.
        """
        store = SqlLiveDisproportionality(self.sessions)
        if self.disproportionality_version is not None and (
            store.stored_version() == self.disproportionality_version
        ):
            return
        pairs, version = store.stored_pairs()
        self.disproportionality = evidence_by_product(pairs)
        self.disproportionality_version = version


async def with_retry(
    action: Callable[[], Awaitable[T]],
    *,
    what: str,
    on_failure: Callable[[], None],
    is_transient: Callable[[BaseException], bool],
    max_delay_s: float = 15.0,
) -> T:
    """Retry a store write while its errors are transient: an outage stalls, loses nothing.

    A permanent error (DESIGN.md §7: data, integrity, encoding) is raised at once, for the
    caller to isolate the offending record and dead-letter it; retrying it would stop the
    partition for good. The batch's offsets are only committed after this returns, so a worker
    killed while waiting re-reads the batch; the idempotent writes make that harmless.
    Backoff is exponential with full jitter, so workers that lost the same database do not
    return to it in lockstep. `is_transient` is the storage's own judgement
    (`Storage.is_transient`), the one the service used to decide what to isolate.
    """
    delay = 0.2
    while True:
        try:
            return await action()
        except Exception as error:
            on_failure()
            if not is_transient(error):
                raise
            pause = random.uniform(delay / 2, delay)  # jitter, not cryptography
            log.warning(
                "store write failed; retrying",
                what=what,
                error=type(error).__name__,
                detail=str(getattr(error, "orig", None) or error)[:300],
                delay_s=round(pause, 3),
            )
            await asyncio.sleep(pause)
            delay = min(delay * 2, max_delay_s)


def monotonic() -> float:
    return time.perf_counter()
