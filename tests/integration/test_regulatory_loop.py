"""One product walked through the province's whole loop, on the real broker and PostgreSQL.

Lab failure + injuries (stations send through intake) → an investigation opened by the worker
and owned at the right supervision tier → panel, defect confirmed, ordered recall → the firm
never reports → the deadline check refers it and opens an enforcement case → the case is not
decided in time and escalates one tier up → a penalty → the firm's credit record, as an event
on `firms.credit`.

Time: the stream part runs on the wall clock (events are dated in the past); the deadlines
after it are checked with explicit clocks past each deadline (`check_deadlines`,
`cases.escalate_overdue` take `now`) — the timers that call them in the worker are tested
on their own with test clocks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import select

from recall.adapters.db.models import (
    Expert,
    InvestigationEvidenceRow,
    InvestigationRow,
    RecallRow,
    RiskScoreRow,
)
from recall.adapters.db.storage import SqlStorage
from recall.domain.cases import CaseState, Penalty
from recall.domain.investigations import Decision, RiskLevel
from recall.domain.jurisdiction import Level, level, parent
from recall.domain.tiers import SubjectKind
from recall.service.cases import commands as case_commands
from recall.service.cases.queries import credit_records, list_cases
from recall.service.investigations import commands
from recall.service.ports import OutputTopics
from recall.service.recalls.deadlines import check_deadlines
from recall.service.tiers.queries import ownership
from schemas.registry import ProductEntry, RegistryFile, StationEntry
from tests.support.cases import CHINA_TZ, last_noon, serious_sampling_failure
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.integration


def _topics(pipeline: Pipeline) -> OutputTopics:
    name = pipeline.settings.topic_name
    return OutputTopics(
        investigations=name("investigations.events"),
        effectiveness=name("recalls.effectiveness"),
        alerts=name("alerts"),
        credit=name("firms.credit"),
    )


def _shock(station: StationEntry, product: ProductEntry, occurred: datetime, n: int) -> bytes:
    """An electric shock from the product, kept in hospital: the lab's failed hazard."""
    return orjson.dumps(
        {
            "event_id": f"00000000-0000-4000-8000-{n:012d}",
            "schema_version": 1,
            "type": "injury_report",
            "reporter_id": station.station_id,
            "jurisdiction": station.jurisdiction,
            "sent_at": datetime.now(CHINA_TZ).isoformat(),
            "payload": {
                "case_ref": f"SHOCK{n:04d}",
                "occurred_at": occurred.isoformat(),
                "age_years": 9,
                "sex": "male",
                "body_part": "hand",
                "injury_nature": "electric_shock",
                "mechanism": "electric",
                "disposition": "hospitalised",
                "setting": "home",
                "activity": "play",
                "product": {
                    "category": product.category.value,
                    "kind": product.kind,
                    "brand": product.brand,
                    "model": product.model,
                    "manufacturer_code": product.manufacturer_code,
                },
                "narrative": "使用时触电 shock while in use",
            },
        }
    )


def _walked(registry: RegistryFile) -> tuple[ProductEntry, str, StationEntry, list[StationEntry]]:
    """A product whose firm is a registered reporting station with its home in a county, a lab
    and two hospitals in two other counties of the same city."""
    homes = {m.credit_code: m.jurisdiction for m in registry.manufacturers}
    firms = {s.manufacturer_code for s in registry.stations if s.kind.value == "firm"}
    for product in registry.products:
        home = homes.get(product.manufacturer_code)
        if product.manufacturer_code not in firms or home is None or level(home) != Level.COUNTY:
            continue
        city = home[:4]
        labs = [
            s for s in registry.stations if s.kind.value == "lab" and s.jurisdiction[:4] == city
        ]
        hospitals: dict[str, StationEntry] = {}
        for s in registry.stations:
            if s.kind.value == "hospital" and s.jurisdiction[:4] == city and s.jurisdiction != home:
                hospitals.setdefault(s.jurisdiction, s)
        if labs and len(hospitals) >= 2:
            return product, home, labs[0], list(hospitals.values())[:2]
    raise AssertionError("the sample registry has no product for the walk")


def _corroboration(pipeline: Pipeline, key: str) -> float:
    """Points of the product's live score from a lab failure corroborated by injuries."""
    with pipeline.sessions() as session:
        row = session.get(RiskScoreRow, key)
    parts = row.contributions if row is not None else []
    return sum(float(p["points"]) for p in parts if p.get("key") == "corroboration")


def _investigation(pipeline: Pipeline, key: str) -> InvestigationRow | None:
    with pipeline.sessions() as session:
        return session.scalars(
            select(InvestigationRow).where(
                InvestigationRow.product_key == key, InvestigationRow.hazard == "electric_shock"
            )
        ).first()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_one_product_through_the_whole_regulatory_loop(pipeline: Pipeline) -> None:
    registry = pipeline.registry
    product, home, lab, hospitals = _walked(registry)
    key = f"{product.manufacturer_code}/{product.brand.casefold()}/{product.model.casefold()}"
    city = parent(home)
    assert city is not None and level(city) is Level.CITY
    topics = _topics(pipeline)
    storage = SqlStorage(pipeline.sessions)

    # 1. Information collection: a serious lab failure and injuries of the failed hazard.
    noon = last_noon()
    injuries = [
        _shock(hospitals[i % 2], product, noon - timedelta(days=i, hours=1), i) for i in range(3)
    ]
    pipeline.start_worker()
    sender = pipeline.sender()
    sender.send(lab.station_id, serious_sampling_failure(lab, product, "S-WALK-0001"))
    for i, value in enumerate(injuries):
        sender.send(hospitals[i % 2].station_id, value)
    sender.flush()
    sender.close()
    pipeline.wait_counts(events=1 + len(injuries), dead_letters=0, duplicates=0)

    # 2. Risk assessment and defect investigation: opened by the worker, owned by the city —
    #    a serious-risk lab failure goes at least to the city (docs/tiers.md).
    pipeline.wait(lambda: _investigation(pipeline, key) is not None, 120)
    found = _investigation(pipeline, key)
    assert found is not None
    investigation_id = found.investigation_id
    pipeline.wait(lambda: ownership_owner(storage, investigation_id) == city, 60)
    view = ownership(storage, SubjectKind.INVESTIGATION, investigation_id)
    assert view.moves and view.moves[0].to_owner == city and view.moves[0].reason
    with pipeline.sessions() as session:
        methods = set(
            session.scalars(
                select(InvestigationEvidenceRow.method).where(
                    InvestigationEvidenceRow.investigation_id == investigation_id
                )
            )
        )
    assert "sampling_failure" in methods
    # The live score fuses the lab failure with the injuries of the same hazard.
    pipeline.wait(lambda: _corroboration(pipeline, key) > 0, 60)

    # 3. Panel (an out-of-area expert: the firm is local), defect confirmed, ordered recall.
    with pipeline.sessions.begin() as session:
        session.add(
            Expert(
                expert_id="EXP-WALK-1",
                name="王工",
                jurisdiction=_elsewhere(city),
                categories=[product.category.value],
                linked_firms=[],
                active=True,
            )
        )
    commands.assign_experts(storage, investigation_id, actor="director", size=1, topics=topics)
    commands.conclude(
        storage,
        investigation_id,
        decision=Decision.DEFECT_CONFIRMED,
        reason="live parts reachable through the grille",
        actor="director",
        risk_level=RiskLevel.SERIOUS,
        hazard_description="electric shock from reachable live parts",
        topics=topics,
    )
    commands.request_recall(
        storage, investigation_id, reason="firm refused to recall", actor="director", topics=topics
    )
    with pipeline.sessions() as session:
        (recall,) = session.scalars(
            select(RecallRow).where(RecallRow.investigation_id == investigation_id)
        ).all()
    assert (recall.kind, recall.state) == ("ordered", "announced")

    # 4. The firm never reports: two missed reports refer it and open one enforcement case.
    later = datetime.now(UTC) + timedelta(days=200)
    check_deadlines(storage, topics, later)
    check_deadlines(storage, topics, later)  # the timer fires again: nothing new
    cases = [c for c in list_cases(storage, scope=None) if c.recall_id == recall.recall_id]
    assert len(cases) == 1, "one referral, one case, however often the check runs"
    case = cases[0]
    assert case.firm_code == product.manufacturer_code
    assert case.owner == city, "an ordered recall's case goes to the city of the firm's home"
    assert case.state is CaseState.OPENED

    # 5. Not decided in time: at the deadline nothing, just after it one tier up, once.
    assert case_commands.escalate_overdue(storage, case.deadline, topics=topics) == []
    just_after = case.deadline + timedelta(seconds=1)
    moved = case_commands.escalate_overdue(storage, just_after, topics=topics)
    assert [c.owner for c in moved] == [parent(city)]
    assert case_commands.escalate_overdue(storage, just_after, topics=topics) == []

    # 6. Outcome: the province's team takes it and decides a penalty, which lands on the firm's
    #    credit record and goes out as an event on firms.credit.
    case_commands.assign(
        storage,
        case.case_id,
        assignee="省局执法总队",
        reason="escalated: the city did not decide in time",
        actor="province-enforcement",
        topics=topics,
    )
    decided = case_commands.penalise(
        storage,
        case.case_id,
        penalty=Penalty(decision_no="晋市监罚〔2026〕17号", fine_yuan=50_000),
        reason="ordered recall not carried out",
        actor="province-enforcement",
        topics=topics,
    )
    assert decided.state is CaseState.PENALISED
    (credit,) = credit_records(storage, product.manufacturer_code)
    assert (credit.case_id, credit.outcome.value) == (case.case_id, "penalised")

    def _credit_events() -> list[dict[str, object]]:
        return [
            orjson.loads(v)
            for v in pipeline.topic_records("firms.credit")
            if orjson.loads(v).get("case_id") == case.case_id
        ]

    pipeline.wait(lambda: len(_credit_events()) >= 1, 60)
    event = _credit_events()[0]
    assert event["firm"] == product.manufacturer_code and event["outcome"] == "penalised"
    referrals = [
        a
        for a in map(orjson.loads, pipeline.topic_records("alerts"))
        if a["kind"] == "referral" and a["subject"] == recall.recall_id
    ]
    assert len(referrals) == 1


def _elsewhere(city: str) -> str:
    """A city of the same province other than `city`: out of the firm's area."""
    return f"{city[:2]}{'02' if city[2:4] != '02' else '03'}00"


def ownership_owner(storage: SqlStorage, investigation_id: str) -> str | None:
    return ownership(storage, SubjectKind.INVESTIGATION, investigation_id).owner
