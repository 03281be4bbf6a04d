"""Recall implementation and effectiveness on the real broker and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import select

from recall.adapters.db.models import PostRecallIncidentRow, RecallRow
from recall.adapters.db.storage import SqlStorage
from recall.config import Settings
from recall.domain.investigations import Decision, RiskLevel
from recall.service.investigations import commands
from recall.service.investigations.signals import handle_signals
from recall.service.ports import OutputTopics
from schemas.risk import SignalRaised
from tests.support.cases import (
    CHINA_TZ,
    burn_with_batch,
    firm_for,
    pick,
    progress_report,
    recall_notice,
)
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.integration


def _alerts(pipeline: Pipeline, kind: str) -> list[dict[str, object]]:
    return [a for a in map(orjson.loads, pipeline.topic_records("alerts")) if a["kind"] == kind]


def _recall(pipeline: Pipeline, recall_id: str) -> RecallRow | None:
    with pipeline.sessions() as session:
        return session.get(RecallRow, recall_id)


def _topics(settings: Settings) -> OutputTopics:
    return OutputTopics(
        investigations=settings.topic_name("investigations.events"),
        effectiveness=settings.topic_name("recalls.effectiveness"),
        alerts=settings.topic_name("alerts"),
    )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_defect_confirmed_leads_to_an_ordered_recall(pipeline: Pipeline) -> None:
    product = pipeline.registry.products[6]
    key = f"{product.manufacturer_code}/{product.brand.casefold()}/{product.model.casefold()}"
    raised = datetime.now(UTC)
    signal = SignalRaised(
        signal_id="sig-ordered-1",
        product_key=key,
        hazard="electric_shock",
        category=product.category.value,
        jurisdiction="140105",
        method="sampling_failure",
        risk_level="serious",
        day=raised.date().isoformat(),
        observed=1.0,
        expected=0.0,
        statistic=1.0,
        threshold=3.0,
        window="1 day",
        explanation=("clause 8.1 failed",),
        trigger_event_id="ev-ordered-1",
        raised_at=raised,
    )
    topics = _topics(pipeline.settings)
    storage = SqlStorage(pipeline.sessions)
    (investigation_id,) = handle_signals(storage, [signal], topics=topics).opened
    with pipeline.sessions.begin() as session:
        from recall.adapters.db.models import Expert

        session.add(
            Expert(
                expert_id="EXP-T1",
                name="李工",
                jurisdiction="140100",
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
        reason="live parts reachable",
        actor="director",
        risk_level=RiskLevel.SERIOUS,
        hazard_description="electric shock from exposed terminals",
        topics=topics,
    )
    commands.request_recall(
        storage, investigation_id, reason="order recall", actor="director", topics=topics
    )
    with pipeline.sessions() as session:
        recalls = session.scalars(
            select(RecallRow).where(RecallRow.investigation_id == investigation_id)
        ).all()
    assert len(recalls) == 1
    assert (recalls[0].kind, recalls[0].state, recalls[0].product_key) == (
        "ordered",
        "announced",
        key,
    )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_lagging_overdue_referral_and_post_recall_injury(pipeline: Pipeline) -> None:
    registry = pipeline.registry
    lagging_product, silent_product = registry.products[0], registry.products[2]
    lagging_firm, silent_firm = (
        firm_for(registry, lagging_product),
        firm_for(registry, silent_product),
    )
    hospital = pick(registry, "hospital")
    now = datetime.now(CHINA_TZ)
    start = now - timedelta(days=100)
    records = [
        (
            lagging_firm.station_id,
            recall_notice(
                lagging_firm, lagging_product, "R-LAG-1", start=start, batches=("B202601",)
            ),
        ),
        *[
            (
                lagging_firm.station_id,
                progress_report(
                    lagging_firm, "R-LAG-1", seq, start=start, corrected=c, located=4000
                ),
            )
            for seq, c in ((1, 300), (2, 450), (3, 520))
        ],
        (
            silent_firm.station_id,
            recall_notice(
                silent_firm, silent_product, "R-SILENT-1", start=now - timedelta(days=70)
            ),
        ),
        *[
            (
                hospital.station_id,
                burn_with_batch(hospital, lagging_product, now - timedelta(days=d), "B202601"),
            )
            for d in (2, 3, 5, 8)
        ],
        (
            hospital.station_id,
            burn_with_batch(hospital, lagging_product, start - timedelta(days=20), "B202601"),
        ),
    ]
    pipeline.start_worker()
    sender = pipeline.sender()
    for reporter, value in records:
        sender.send(reporter, value)
    sender.flush()
    sender.close()
    pipeline.wait_counts(events=len(records), dead_letters=0, duplicates=0)

    pipeline.wait(lambda: (_recall(pipeline, "R-LAG-1") or RecallRow()).state == "lagging", 60)
    pipeline.wait(lambda: len(_alerts(pipeline, "recall_lagging")) == 1, 60)
    effectiveness = (_recall(pipeline, "R-LAG-1") or RecallRow()).last_effectiveness or {}
    assert effectiveness["rates"]["overall"]["corrected"] == 520
    assert effectiveness["forecast"]["high80"] < 0.8, "lagging means even high80 misses the target"
    residual = effectiveness["residual_risk"]
    assert residual["uncorrected_units"] == 10_000 - 520
    lag = _alerts(pipeline, "recall_lagging")[0]
    assert lag["subject"] == "R-LAG-1" and "target" in str(lag["details"])

    pipeline.wait(lambda: len(_alerts(pipeline, "progress_report_overdue")) >= 2, 60)
    overdue = [
        a for a in _alerts(pipeline, "progress_report_overdue") if a["subject"] == "R-SILENT-1"
    ]
    assert sorted(a["details"]["sequence"] for a in overdue) == ["1", "2"]  # type: ignore[index]
    pipeline.wait(
        lambda: any(a["subject"] == "R-SILENT-1" for a in _alerts(pipeline, "referral")), 60
    )
    assert not any(a["subject"] == "R-LAG-1" for a in _alerts(pipeline, "progress_report_overdue"))

    with pipeline.sessions() as session:
        incidents = session.scalars(
            select(PostRecallIncidentRow).where(PostRecallIncidentRow.recall_id == "R-LAG-1")
        ).all()
    assert sorted(i.after_start for i in incidents) == [False, True, True, True, True]
    pipeline.wait(
        lambda: any(a["subject"] == "R-LAG-1" for a in _alerts(pipeline, "recall_ineffective")), 60
    )
