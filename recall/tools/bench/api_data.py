"""The data `recall bench api` queries: a year of station events, recalls and investigations.

Everything enters through the code paths production uses, so the rows, indexes and JSON
documents are what a real deployment holds: events are simulated, signed with the stations'
keys and admitted by `process_record` + `store_batch` (the intake agent's two calls); recall
notices and progress reports are firm events on that same path; investigations are opened by
`handle_signals` (the investigation agent's call) from signals on distinct product × hazard
pairs, and some are assigned a panel and concluded by the commands the API runs. Only Kafka is
skipped: it adds nothing to what the database holds, and a million records through the broker
would make the set-up take longer than the measurement.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import orjson
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.intake_store import IntakeStore
from recall.adapters.db.key_store import load_keyring
from recall.adapters.db.registry_store import load_registry
from recall.adapters.db.storage import SqlStorage
from recall.config import Settings
from recall.domain.investigations import Decision, RiskLevel
from recall.service.intake.admission import IntakeRules, RawRecord, process_record
from recall.service.intake.batch import Item, store_batch
from recall.service.investigations.commands import assign_experts, conclude
from recall.service.investigations.signals import handle_signals
from recall.service.ports import OutputTopics
from recall.tools.bench.isolation import population
from recall.tools.registry.sample import generate
from recall.tools.simulate.events import SimProduct, SimStation, station_event
from recall.tools.simulate.firms import FirmPlan, firm_recalls
from recall.tools.simulate.population import firm_population
from schemas.common import Hazard
from schemas.common import RiskLevel as WireRiskLevel
from schemas.risk import SignalRaised
from schemas.signing import ServerSideKeys, signing_headers
from schemas.topics import INTAKE_RAW

PARTITIONS = 6
BATCH = 2_000
SIGNAL_BATCH = 500
ACTOR = "bench:seed"
CHINA_TZ = timezone(timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class DataPlan:
    """How much to load: the issue's figures by default."""

    events: int = 1_000_000
    investigations: int = 10_000
    recalls: int = 1_000
    assigned_share: float = 0.2
    concluded_share: float = 0.1
    seed: int = 20261130


@dataclass(frozen=True, slots=True)
class Loaded:
    """What the load left in the database, counted as the stages reported it."""

    events: int
    dead_letters: int
    duplicates: int
    recalls: int
    investigations: int
    assigned: int
    concluded: int


Progress = Callable[[str, int], None]
"""(stage, records done since the last call)."""


def load(
    settings: Settings,
    sessions: sessionmaker[Session],
    plan: DataPlan,
    progress: Progress | None = None,
) -> Loaded:
    """Fill an empty, migrated database; returns what each stage stored."""
    tick = progress or (lambda _stage, _n: None)
    load_registry(sessions, generate())
    storage = SqlStorage(sessions)
    feeder = _Feeder(settings, sessions, storage)
    now = datetime.now(CHINA_TZ)
    recall_records = _recall_events(sessions, plan, now)
    feeder.feed(recall_records, lambda n: tick("events", n))
    station_records = _station_events(sessions, plan, plan.events - feeder.seen, now)
    feeder.feed(station_records, lambda n: tick("events", n))
    topics = OutputTopics.resolved(settings.topic_name)
    signals = list(_signals(sessions, plan, now))
    opened = _open_investigations(storage, signals, topics, lambda n: tick("investigations", n))
    assigned, concluded = _work_queue(
        storage, opened, plan, topics, lambda n: tick("assignments", n)
    )
    return Loaded(
        events=feeder.inserted,
        dead_letters=feeder.dead_letters,
        duplicates=feeder.duplicates,
        recalls=len(recall_records),
        investigations=len(opened),
        assigned=assigned,
        concluded=concluded,
    )


Timed = tuple[str, bytes, datetime]
"""(reporter, signed value, when it arrives)."""


class _Feeder:
    """The intake's two calls on batches of records, with positions like one topic's."""

    def __init__(
        self, settings: Settings, sessions: sessionmaker[Session], storage: SqlStorage
    ) -> None:
        keyring = load_keyring(sessions, settings.signing_secret.get_secret_value())
        self.reporters = IntakeStore(sessions).reporters()
        self.rules = IntakeRules(self.reporters, keyring)
        self.keys = ServerSideKeys(keyring)
        self.storage = storage
        self.topic = settings.topic_name(INTAKE_RAW.name)
        self.seen = self.inserted = self.dead_letters = self.duplicates = 0

    def feed(self, records: Sequence[Timed] | Iterator[Timed], tick: Callable[[int], None]) -> None:
        batch: list[Item] = []
        last = datetime.now(UTC)
        for reporter, value, at in records:
            raw = self._raw(reporter, value)
            batch.append((raw, process_record(raw, self.rules, at)))
            last = at
            if len(batch) >= BATCH:
                self._store(batch, last, tick)
                batch = []
        if batch:
            self._store(batch, last, tick)

    def _raw(self, reporter: str, value: bytes) -> RawRecord:
        key = self.keys(reporter)
        partition = self.seen % PARTITIONS
        offset = self.seen // PARTITIONS
        self.seen += 1
        headers = signing_headers(key, value)
        return RawRecord(self.topic, partition, offset, reporter.encode(), value, headers)

    def _store(self, batch: list[Item], at: datetime, tick: Callable[[int], None]) -> None:
        result = store_batch(self.storage, batch, self.reporters, at)
        self.inserted += result.inserted
        self.dead_letters += result.dead_letters
        self.duplicates += result.duplicates
        tick(len(batch))


def _recall_events(sessions: sessionmaker[Session], plan: DataPlan, now: datetime) -> list[Timed]:
    """Every firm's notices and reports, in the order they were sent."""
    firms, products = firm_population(sessions)
    recalls = firm_recalls(firms, products, FirmPlan(plan.recalls, seed=plan.seed), now)
    timed: list[Timed] = []
    for recall in recalls:
        for reporter, value in recall.events:
            sent = datetime.fromisoformat(orjson.loads(value)["sent_at"])
            timed.append((reporter, value, sent + timedelta(seconds=30)))
    timed.sort(key=lambda t: t[2])
    return timed


def _station_events(
    sessions: sessionmaker[Session], plan: DataPlan, count: int, now: datetime
) -> Iterator[Timed]:
    """`count` events from the registered stations, spread evenly over the past year."""
    who = population(sessions)
    stations: list[SimStation] = who.people + who.labs
    goods: list[SimProduct] = who.goods
    rng = random.Random(plan.seed)
    start = now - timedelta(days=365)
    step = timedelta(days=365) / max(count, 1)
    for i in range(count):
        at = start + step * i
        station = rng.choice(stations)
        event = station_event(station, goods, rng, at)
        yield station.station_id, orjson.dumps(event), at + timedelta(seconds=5)


def _open_investigations(
    storage: SqlStorage,
    signals: Sequence[SignalRaised],
    topics: OutputTopics,
    tick: Callable[[int], None],
) -> list[str]:
    """One signal per distinct product × hazard opens one investigation."""
    opened: list[str] = []
    for first in range(0, len(signals), SIGNAL_BATCH):
        chunk = signals[first : first + SIGNAL_BATCH]
        outcome = handle_signals(storage, chunk, topics=topics)
        opened += outcome.opened
        tick(len(chunk))
    return opened


def _signals(
    sessions: sessionmaker[Session], plan: DataPlan, now: datetime
) -> Iterator[SignalRaised]:
    """Signals on distinct product × hazard pairs, each in a county where stations report."""
    who = population(sessions)
    counties = sorted({s.jurisdiction for s in who.people + who.labs})
    rng = np.random.default_rng(plan.seed)
    pairs = [(p, h) for p in sorted(who.goods, key=lambda g: g.product_key) for h in Hazard]
    picks = rng.choice(len(pairs), size=min(plan.investigations, len(pairs)), replace=False)
    for n, index in enumerate(sorted(int(i) for i in picks)):
        product, hazard = pairs[index]
        region = counties[int(rng.integers(len(counties)))]
        at = now - timedelta(days=float(rng.uniform(0, 365)))
        expected = float(rng.uniform(0.2, 3.0))
        observed = float(expected * rng.uniform(3.0, 8.0))
        yield SignalRaised(
            signal_id=str(uuid.UUID(int=int(rng.integers(2**63)) << 64 | n)),
            product_key=product.product_key,
            hazard=hazard.value,
            category=product.category,
            jurisdiction=region,
            method="live_nb",
            risk_level=WireRiskLevel(str(rng.choice(["serious", "high", "medium"]))),
            day=at.date().isoformat(),
            observed=round(observed, 2),
            expected=round(expected, 2),
            threshold=round(expected * 2.5, 2),
            statistic=round(observed / expected, 2),
            window="7d",
            explanation=("bench: synthetic signal",),
            trigger_event_id=str(uuid.uuid4()),
            raised_at=at.astimezone(UTC),
        )


def _work_queue(
    storage: SqlStorage,
    opened: Sequence[str],
    plan: DataPlan,
    topics: OutputTopics,
    tick: Callable[[int], None],
) -> tuple[int, int]:
    """Assign a panel to a share of the queue and conclude a share of those."""
    rng = random.Random(plan.seed)
    chosen = rng.sample(list(opened), int(len(opened) * plan.assigned_share))
    concluding = set(rng.sample(chosen, int(len(opened) * plan.concluded_share)))
    concluded = 0
    for investigation_id in chosen:
        assign_experts(storage, investigation_id, actor=ACTOR, topics=topics)
        if investigation_id in concluding:
            decision = rng.choice([Decision.DEFECT_CONFIRMED, Decision.NO_DEFECT])
            confirmed = decision is Decision.DEFECT_CONFIRMED
            conclude(
                storage,
                investigation_id,
                decision=decision,
                reason="bench: panel decision",
                actor=ACTOR,
                topics=topics,
                risk_level=RiskLevel.HIGH if confirmed else None,
                hazard_description="bench: hazard found by the panel" if confirmed else None,
            )
            concluded += 1
        tick(1)
    return len(chosen), concluded
