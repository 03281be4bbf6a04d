"""`SqlInvestigationRepository` on SQLite: what it saves is what it loads, versions guard it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.investigation_store import SqlInvestigationRepository
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import Expert as ExpertRow
from recall.adapters.db.models import InvestigationRow
from recall.adapters.db.storage import SqlStorage
from recall.domain.experts import Expert
from recall.domain.investigations import Decision, InvestigationState, RiskLevel
from recall.service.investigations.ports import ConcurrentUpdateError

from .builders import HAZARD, PRODUCT, USCC, at, build, evidence, opened


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'recall.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.mark.parametrize("position", ["opened", "assigned", "no_defect", "recall_requested"])
def test_every_lifecycle_position_round_trips(
    sessions: sessionmaker[Session], position: str
) -> None:
    expected = build(position)
    with sessions.begin() as session:
        SqlInvestigationRepository(session).save(expected, previous_version=None)
    with sessions() as session:
        repo = SqlInvestigationRepository(session)
        assert repo.get(expected.investigation_id) == expected
        assert repo.latest_for(PRODUCT, HAZARD) == expected


def test_updates_append_and_the_trigger_time_is_kept(sessions: sessionmaker[Session]) -> None:
    first = opened()
    attached = first.attach_evidence(evidence("sig-2", hours=1.5), actor="agent", at=at(1.5))
    assigned = attached.assign(["E1"], actor="li", at=at(2), reason="panel")
    concluded = assigned.conclude(
        Decision.DEFECT_CONFIRMED,
        actor="panel",
        at=at(3),
        reason="fails clause 13",
        risk_level=RiskLevel.SERIOUS,
        hazard_description="live parts",
    )
    with sessions.begin() as session:
        repo = SqlInvestigationRepository(session)
        repo.save(first, previous_version=None, trigger_sent_at=at(0.5))
        repo.save(attached, previous_version=1)
    with sessions.begin() as session:
        SqlInvestigationRepository(session).save(assigned, previous_version=2)
    with sessions.begin() as session:
        SqlInvestigationRepository(session).save(concluded, previous_version=3)
    with sessions() as session:
        assert SqlInvestigationRepository(session).get(first.investigation_id) == concluded
        row = session.get(InvestigationRow, first.investigation_id)
        assert row is not None
        assert (row.version, row.state, row.decision, row.risk_level) == (
            4,
            "concluded",
            "defect_confirmed",
            "serious",
        )
        assert row.trigger_sent_at is not None
        assert row.trigger_sent_at.replace(tzinfo=UTC) == at(0.5)


def test_a_stale_version_or_a_second_insert_is_a_concurrent_update(
    sessions: sessionmaker[Session],
) -> None:
    first = opened()
    assigned = first.assign(["E1"], actor="li", at=at(2), reason="panel")
    attached = first.attach_evidence(evidence("sig-2"), actor="agent", at=at(1.5))
    with sessions.begin() as session:
        SqlInvestigationRepository(session).save(first, previous_version=None)
    with sessions.begin() as session:
        SqlInvestigationRepository(session).save(attached, previous_version=1)
    stale = pytest.raises(ConcurrentUpdateError, match=first.investigation_id)
    with stale, sessions.begin() as session:
        SqlInvestigationRepository(session).save(assigned, previous_version=1)
    with pytest.raises(ConcurrentUpdateError), sessions.begin() as session:
        SqlInvestigationRepository(session).save(first, previous_version=None)
    with sessions() as session:
        assert SqlInvestigationRepository(session).get(first.investigation_id) == attached


def test_latest_for_is_the_highest_seq(sessions: sessionmaker[Session]) -> None:
    closed = build("no_defect")
    second = opened(seq=2)
    with sessions.begin() as session:
        repo = SqlInvestigationRepository(session)
        repo.save(closed, previous_version=None)
        repo.save(second, previous_version=None)
    with sessions() as session:
        repo = SqlInvestigationRepository(session)
        assert repo.latest_for(PRODUCT, HAZARD) == second
        assert repo.latest_for(PRODUCT, "fire") is None
        assert repo.get("no-such-id") is None


def test_summaries_filter_order_and_limit(sessions: sessionmaker[Session]) -> None:
    closed = build("no_defect")  # updated at(3)
    second = opened(seq=2).assign(["E1"], actor="li", at=at(5), reason="panel")
    with sessions.begin() as session:
        repo = SqlInvestigationRepository(session)
        repo.save(closed, previous_version=None)
        repo.save(second, previous_version=None)
    with sessions() as session:
        repo = SqlInvestigationRepository(session)
        everything = repo.summaries(jurisdiction_prefix=None, states=(), limit=10)
        assert [s.investigation_id for s in everything] == [
            second.investigation_id,
            closed.investigation_id,
        ]
        head = everything[1]
        assert (head.state, head.decision, head.expert_ids, head.jurisdiction) == (
            InvestigationState.CONCLUDED,
            Decision.NO_DEFECT,
            ("E1", "E2"),
            "140105",
        )
        assert head.updated_at == at(3)
        assert repo.summaries(jurisdiction_prefix="1401", states=(), limit=1) == everything[:1]
        assert repo.summaries(jurisdiction_prefix="31", states=(), limit=10) == []
        concluded = repo.summaries(
            jurisdiction_prefix=None, states={InvestigationState.CONCLUDED}, limit=10
        )
        assert concluded == everything[1:]
        assert repo.open_panels() == {second.investigation_id: ("E1",)}


def test_experts_come_from_the_registry(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(
            ExpertRow(
                expert_id="EXP-1",
                name="李工",
                jurisdiction="140100",
                categories=["appliances"],
                linked_firms=[USCC],
                active=False,
            )
        )
    with sessions() as session:
        assert SqlInvestigationRepository(session).experts() == [
            Expert(
                expert_id="EXP-1",
                name="李工",
                categories=frozenset({"appliances"}),
                jurisdiction="140100",
                linked_firms=frozenset({USCC}),
                active=False,
            )
        ]


def test_the_unit_of_work_rolls_back_as_a_whole(sessions: sessionmaker[Session]) -> None:
    storage = SqlStorage(sessions)

    def save_then_fail() -> None:
        with storage.transaction() as tx:
            tx.investigations.save(opened(), previous_version=None)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        save_then_fail()
    with storage.transaction() as tx:
        assert tx.investigations.latest_for(PRODUCT, HAZARD) is None
        assert isinstance(tx.investigations, SqlInvestigationRepository)
