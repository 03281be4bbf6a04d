"""The read model on the real broker and PostgreSQL: the projectors fill it, the rebuild
command fills it again from the topics alone, with the same rows."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import AlertRow, Event, RiskScoreRow, RiskSignalRow, Station
from recall.adapters.db.read_model import SqlReadModel
from recall.cli.main import app as cli
from recall.service.readmodel.projection import project
from recall.tools.bench.lag import committed_lag
from schemas.common import make_product_key
from tests.support.cases import burn, last_noon, pick, serious_sampling_failure
from tests.support.pipeline import Pipeline
from tests.support.readmodel import score, signal_at

pytestmark = pytest.mark.integration
PROJECTED = ("risk.scores", "risk.signals", "alerts")


def _rows(pipeline: Pipeline) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, as comparable tuples."""
    with pipeline.sessions() as session:
        scores = session.execute(
            select(
                RiskScoreRow.product_key,
                RiskScoreRow.score,
                RiskScoreRow.risk_level,
                RiskScoreRow.updated_at,
                RiskScoreRow.region,
                RiskScoreRow.category,
                RiskScoreRow.source_partition,
                RiskScoreRow.source_offset,
            ).order_by(RiskScoreRow.product_key)
        ).all()
        signals = session.execute(
            select(
                RiskSignalRow.signal_id, RiskSignalRow.product_key, RiskSignalRow.record
            ).order_by(RiskSignalRow.signal_id)
        ).all()
        alerts = session.execute(
            select(AlertRow.alert_id, AlertRow.kind, AlertRow.record).order_by(AlertRow.alert_id)
        ).all()
    return {
        "scores": [tuple(r) for r in scores],
        "signals": [tuple(r) for r in signals],
        "alerts": [tuple(r) for r in alerts],
    }


def _drained(pipeline: Pipeline) -> bool:
    topics = ("intake.raw", "events.canonical", *PROJECTED)
    return all(committed_lag(pipeline.settings, t) == 0 for t in topics)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_projected_rows_come_back_from_the_topics_after_a_drop(pipeline: Pipeline) -> None:
    hospital, lab = pick(pipeline.registry, "hospital"), pick(pipeline.registry, "lab")
    product = pipeline.registry.products[4]
    key = make_product_key(product.manufacturer_code, product.brand, product.model)
    region = next(
        m.jurisdiction
        for m in pipeline.registry.manufacturers
        if m.credit_code == product.manufacturer_code
    )
    now = last_noon()
    pipeline.start_worker()
    sender = pipeline.sender()
    sender.send(lab.station_id, serious_sampling_failure(lab, product, "S-RM-0001"))
    for n in range(3):
        sender.send(hospital.station_id, burn(hospital, product, now - timedelta(hours=n), n))
    sender.flush()
    sender.close()

    def projected() -> bool:
        rows = _rows(pipeline)
        return (
            any(r[0] == key for r in rows["scores"])
            and any(r[1] == key for r in rows["signals"])
            and any(r[1] == "investigation_opened" for r in rows["alerts"])
        )

    pipeline.wait(projected, 120)  # the investigation's alert travels through the outbox
    pipeline.wait(lambda: _drained(pipeline), 60)
    before = _rows(pipeline)
    [score] = [r for r in before["scores"] if r[0] == key]
    assert score[4] == region, "a score is scoped by its manufacturer's jurisdiction"
    assert score[5] == product.category.value
    with pipeline.sessions() as session:  # the intake kept each station's last contact
        for station in (hospital, lab):
            seen = session.get_one(Station, station.station_id).last_seen_at
            latest = session.scalar(
                select(func.max(Event.received_at)).where(Event.reporter_id == station.station_id)
            )
            assert seen is not None and seen == latest, station.station_id

    with pipeline.sessions.begin() as session:  # dropped, as an operator might
        for model in (RiskScoreRow, RiskSignalRow, AlertRow):
            session.execute(delete(model))
    assert _rows(pipeline) == {"scores": [], "signals": [], "alerts": []}

    result = CliRunner().invoke(cli, ["readmodel", "rebuild"], env=pipeline.env())
    assert result.exit_code == 0, result.output
    assert "read model rebuilt" in result.output
    assert _rows(pipeline) == before

    again = CliRunner().invoke(cli, ["readmodel", "rebuild"], env=pipeline.env())
    assert again.exit_code == 0, again.output
    assert _rows(pipeline) == before, "a second rebuild (beside the worker) changes nothing"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_projectors_keep_the_newest_score_and_each_signal_once(
    database_url: str,
) -> None:
    """Eight writers, every version of every product each in its own order, and the same
    signals: the database decides, so the newest score stays, whatever the interleaving, and
    each signal is inserted (counted as new) exactly once across all writers."""
    upgrade(database_url)
    engine = make_engine(database_url)
    model = SqlReadModel(make_session_factory(engine))
    products = [f"p/{n}" for n in range(6)]
    versions = [
        score(float(v), product_key=p, minutes=v // 3, offset=v)
        for p in products
        for v in range(30)
    ]
    signals = [signal_at(f"s{n}", n) for n in range(40)]

    def writer(seed: int) -> int:
        rng = random.Random(seed)
        mine, theirs = rng.sample(versions, len(versions)), rng.sample(signals, len(signals))
        inserted = 0
        for start in range(0, len(mine), 15):
            project(model, scores=mine[start : start + 15])
            inserted += model.write([], theirs[start // 5 : start // 5 + 5], []).signals
        return inserted

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            inserted = list(pool.map(writer, range(8)))
        with model.sessions() as session:
            rows = session.execute(select(RiskScoreRow.product_key, RiskScoreRow.score)).all()
            count = session.scalar(select(func.count()).select_from(RiskSignalRow))
    finally:
        engine.dispose()
    assert dict(rows) == dict.fromkeys(products, 29.0)
    assert count == sum(inserted) == len(signals)
