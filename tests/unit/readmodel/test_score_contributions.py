"""A score's parts travel from its `risk.scores` record through the read model to the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.models import Base
from recall.adapters.db.read_model import SqlReadModel
from recall.api.routes.scores import score as api_score
from recall.service.readmodel.ports import ReadModel, ScoreAt
from recall.service.readmodel.projection import project
from schemas.risk import ScoreContribution
from tests.support.fakes.read_model import MemoryReadModel
from tests.support.readmodel import score, scores

PARTS = (
    ScoreContribution(
        key="sampling", label="抽检不合格 sampling failures", points=20.0, max_points=25.0,
        detail="1 serious-hazard failure(s), 0 other failure(s)",
    ),
    ScoreContribution(
        key="corroboration", label="抽检与伤害互证 lab failure + injuries", points=15.0,
        max_points=15.0, detail="fire: 1 serious lab failure(s) and 3 injury report(s)",
    ),
)  # fmt: skip


@pytest.fixture(params=["sql", "fake"])
def model(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadModel]:
    if request.param == "fake":
        yield MemoryReadModel()
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'read.db'}")
    Base.metadata.create_all(engine)
    sessions: sessionmaker[Session] = make_session_factory(engine)
    yield SqlReadModel(sessions)
    engine.dispose()


def test_contributions_are_kept_and_shown(model: ReadModel) -> None:
    at = score(35.0)
    record = at.score.model_copy(update={"contributions": PARTS})
    project(model, scores=[ScoreAt(record, at.partition, at.offset)])
    [view] = scores(model)
    assert view.contributions == PARTS
    shown = api_score(view)
    assert [c.key for c in shown.contributions] == ["sampling", "corroboration"]
    assert sum(c.points for c in shown.contributions) == shown.score


def test_a_record_without_contributions_reads_as_none(model: ReadModel) -> None:
    project(model, scores=[score(40.0)])
    [view] = scores(model)
    assert view.contributions == ()
    assert api_score(view).contributions == []
