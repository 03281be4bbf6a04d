"""A random world for the scope property tests: investigations, recalls, dead letters and
read-model rows (signals, alerts, scores) spread over provinces, cities, counties, municipality
placeholders (110100) and province-administered counties (4290xx); and random principals.

Everything is stored the way the running system stores it: signals open investigations through
`handle_signals` and reach the read model through `project`, panels are chosen by
`assign_experts`, notices and reports go through the intake (`seed_recall`). What scopes each
object is then read back from the tables (`read_world`), so the tests compare the API with the
stored truth, not with the generator's intentions.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import (
    AlertRow,
    DeadLetterRow,
    InvestigationRow,
    Manufacturer,
    RecallRow,
    RiskScoreRow,
    RiskSignalRow,
    Station,
)
from recall.adapters.db.models import Expert as ExpertRow
from recall.adapters.db.read_model import SqlReadModel
from recall.adapters.db.storage import SqlStorage
from recall.domain.access import Principal, Role, Scoped
from recall.domain.experts import NoEligibleExpert
from recall.service.investigations.commands import assign_experts
from recall.service.investigations.signals import handle_signals
from recall.service.readmodel.projection import project
from recall.service.recalls.pages import scoped as recall_scoped
from recall.tools.registry.sample import credit_code
from schemas.risk import SignalRaised
from tests.support.readmodel import alert, score
from tests.unit.api.seed import TOPICS, seed_recall

OBJECT_REGIONS = (
    "140105", "140106", "140202", "110101", "110228", "429004", "429006",
    "420102", "310101", "500101", "500230",
)  # fmt: skip
SCOPE_REGIONS = (
    *("140000", "110000", "420000", "310000", "500000", "650000"),
    *("140100", "140200", "110100", "110200", "429000", "420100", "310100", "500100", "500200"),
    *OBJECT_REGIONS,
    *("140107", "429005"),
)
MAKER_REGIONS = ("140105", "110101", "429004", "310101")
MAKERS = tuple(credit_code(random.Random(10 + i), r) for i, r in enumerate(MAKER_REGIONS))
STATIONS = {"ST-TY": "140105", "ST-BJ": "110101", "ST-XT": "429004", "ST-SH": "310101"}
EXPERTS = {"EXP-001": "140105", "EXP-002": "110101", "EXP-003": "429004", "EXP-004": "310101"}
HAZARDS = ("electric_shock", "fire", "burns", "cuts", "mechanical")
T0 = datetime(2024, 3, 1, 9, tzinfo=UTC)


@dataclass(frozen=True)
class WorldSpec:
    """What to seed: (region, maker index, assign a panel?) per signal/investigation, recalls
    as (region, maker index, reports), dead letters per station, alert regions, scored makers."""

    signals: list[tuple[str, int, bool]]
    recalls: list[tuple[str, int, int]]
    letters: list[tuple[str, int]]
    alerts: list[str | None]
    scores: list[int]


maker_index = st.integers(0, len(MAKERS) - 1)
worlds = st.builds(
    WorldSpec,
    signals=st.lists(st.tuples(st.sampled_from(OBJECT_REGIONS), maker_index, st.booleans()),
                     min_size=1, max_size=7),
    recalls=st.lists(st.tuples(st.sampled_from(OBJECT_REGIONS), maker_index, st.integers(1, 6)),
                     min_size=1, max_size=3),
    letters=st.lists(st.tuples(st.sampled_from([*STATIONS, "NOBODY"]), st.integers(1, 3)),
                     max_size=4),
    alerts=st.lists(st.one_of(st.none(), st.sampled_from(OBJECT_REGIONS)), max_size=4),
    scores=st.lists(maker_index, max_size=4),
)  # fmt: skip

principals = st.one_of(
    st.builds(lambda r: Principal(f"acc-reg-{r}", Role.REGULATOR, region=r),
              st.sampled_from(SCOPE_REGIONS)),
    st.builds(lambda e: Principal(f"acc-{e}", Role.EXPERT, expert_id=e),
              st.sampled_from([*EXPERTS, "EXP-999"])),
    st.builds(lambda s: Principal(f"acc-{s}", Role.STATION, station_id=s),
              st.sampled_from([*STATIONS, "NOBODY", "ST-UNKNOWN"])),
    st.builds(lambda m: Principal(f"acc-firm-{m}", Role.FIRM, manufacturer_code=m),
              st.sampled_from([*MAKERS, "91999999MA00000000"])),
    st.just(Principal("acc-public", Role.PUBLIC)),
)  # fmt: skip


def seed_world(db: sessionmaker[Session], spec: WorldSpec) -> None:
    """Store `spec` through the services and adapters the running system uses."""
    _registry(db)
    storage, read_model = SqlStorage(db), SqlReadModel(db)
    raised = [_signal(i, region, maker) for i, (region, maker, _) in enumerate(spec.signals)]
    for record, (_, _, panel) in zip(raised, spec.signals, strict=True):
        outcome = handle_signals(storage, [record], topics=TOPICS)
        if panel and outcome.opened:
            with contextlib.suppress(NoEligibleExpert):
                assign_experts(storage, outcome.opened[0], actor="seed", topics=TOPICS, size=2)
    scores = [
        score(10.0 + i, product_key=f"{MAKERS[m]}/acme/p-{m}", minutes=i, offset=i)
        for i, m in enumerate(spec.scores)
    ]
    alerts = [alert(f"al-{i}", minutes=i, jurisdiction=r) for i, r in enumerate(spec.alerts)]
    project(read_model, scores=scores, signals=raised, alerts=alerts)
    for i, (region, maker, reports) in enumerate(spec.recalls):
        seed_recall(
            db,
            f"RC-P-{i}",
            days_ago=40 * reports,
            reports=reports,
            area=region,
            maker=MAKERS[maker],
        )
    _letters(db, spec.letters)


def read_world(db: sessionmaker[Session]) -> dict[tuple[str, str], Scoped]:
    """Every stored object, keyed by (its id field, its id), with what scopes it."""
    world: dict[tuple[str, str], Scoped] = {}
    with db() as session:
        makers = dict(
            session.execute(select(Manufacturer.credit_code, Manufacturer.jurisdiction)).all()
        )
        for inv in session.scalars(select(InvestigationRow)):
            world["investigation_id", inv.investigation_id] = Scoped(
                inv.jurisdiction, expert_ids=frozenset(inv.expert_ids)
            )
        for rc in session.scalars(select(RecallRow)):
            world["recall_id", rc.recall_id] = recall_scoped(rc.jurisdiction, rc.product_key)
        for sig in session.scalars(select(RiskSignalRow)):
            world["signal_id", sig.signal_id] = _product_scoped(sig.jurisdiction, sig.product_key)
        for al in session.scalars(select(AlertRow)):
            world["alert_id", al.alert_id] = Scoped(al.jurisdiction)
        for sc in session.scalars(select(RiskScoreRow)):
            world["product_key", sc.product_key] = _product_scoped(sc.region, sc.product_key)
        for code, region in makers.items():
            world["manufacturer_code", code] = Scoped(region, manufacturer_code=code)
        stations = dict(session.execute(select(Station.station_id, Station.jurisdiction)).all())
        for station_id, region in stations.items():
            world["station_id", station_id] = Scoped(region, station_id=station_id)
        for dl in session.scalars(select(DeadLetterRow)):
            key = f"{dl.source_partition}/{dl.source_offset}"
            reporter = dl.reporter_id or ""
            world["dead_letter", key] = Scoped(stations.get(reporter), station_id=reporter)
            if dl.event_id:  # what `GET /submissions/{event_id}` answers about
                world["event_id", dl.event_id] = Scoped(stations.get(reporter), station_id=reporter)
    return world


def _product_scoped(region: str | None, product_key: str) -> Scoped:
    """A product's rows: its region, and its manufacturer (the key's first part) as owner."""
    return Scoped(region, manufacturer_code=product_key.split("/", 1)[0])


def _signal(i: int, region: str, maker: int) -> SignalRaised:
    raised = T0 + timedelta(days=i)
    product = f"{MAKERS[maker]}/acme/s-{i}"
    return SignalRaised(
        signal_id=f"sig-p-{i}",
        product_key=product,
        hazard=HAZARDS[i % len(HAZARDS)],
        category="appliances",
        jurisdiction=region,
        method="ears_c2",
        risk_level="serious",
        day=raised.date().isoformat(),
        observed=7.0,
        expected=1.5,
        statistic=4.2,
        threshold=3.0,
        window="2024-W09",
        explanation=("7 reports in a week", "expected 1.5"),
        trigger_event_id=f"ev-p-{i}",
        raised_at=raised,
    )


def _registry(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        for code, region in zip(MAKERS, MAKER_REGIONS, strict=True):
            session.add(Manufacturer(credit_code=code, name=f"厂 {code}", jurisdiction=region))
        for expert_id, region in EXPERTS.items():
            session.add(
                ExpertRow(
                    expert_id=expert_id,
                    name=f"专家 {expert_id}",
                    jurisdiction=region,
                    categories=["appliances"],
                    linked_firms=[],
                    active=True,
                )
            )
        for station_id, region in STATIONS.items():
            session.add(
                Station(
                    station_id=station_id, kind="hospital", name=station_id, jurisdiction=region
                )
            )


def _letters(db: sessionmaker[Session], letters: list[tuple[str, int]]) -> None:
    with db.begin() as session:
        offset = 0
        for reporter, count in letters:
            for i in range(count):
                session.add(
                    DeadLetterRow(
                        source_topic="intake.raw",
                        source_partition=offset % 3,
                        source_offset=offset,
                        reason="schema" if i % 2 == 0 else "unauthenticated",
                        errors=[{"field": "payload.age", "message": "not an integer"}],
                        reporter_id=reporter,
                        received_at=T0 + timedelta(minutes=offset),
                        original=b"{}",
                        original_size=2,
                        original_sha256="0" * 64,
                        detail="",
                        event_id=str(uuid.UUID(int=offset + 1)),
                    )
                )
                offset += 1
