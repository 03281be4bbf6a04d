"""Firm submissions and station feedback through the API, on the real broker, worker and
PostgreSQL: one validation path for HTTP and Kafka, and the reason of a refusal read back."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.models import DeadLetterRow
from recall.api.app import create_api
from recall.cli.station_feedback import await_outcomes, report_outcomes
from recall.domain.access import Role
from recall.service.accounts.commands import add_account
from recall.service.accounts.scopes import NewAccount
from tests.support.cases import burn, firm_for, pick, recall_notice
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.integration


def _client(pipeline: Pipeline, new: NewAccount) -> TestClient:
    issued = add_account(SqlAccountStorage(pipeline.sessions), new, by="test", at=datetime.now(UTC))
    client = TestClient(create_api(pipeline.settings, sessions=pipeline.sessions))
    client.headers["Authorization"] = f"Bearer {issued.token}"
    return client


def _notice_payload(pipeline: Pipeline, product_index: int, recall_id: str) -> dict[str, Any]:
    product = pipeline.registry.products[product_index]
    firm = firm_for(pipeline.registry, product)
    start = datetime.now(UTC) - timedelta(days=1)
    payload: dict[str, Any] = orjson.loads(recall_notice(firm, product, recall_id, start=start))[
        "payload"
    ]
    return payload


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_firm_submits_a_notice_and_a_station_reads_why_its_event_was_refused(
    pipeline: Pipeline,
) -> None:
    product = pipeline.registry.products[3]
    firm = firm_for(pipeline.registry, product)
    as_firm = _client(
        pipeline,
        NewAccount(
            "firm", Role.FIRM, station_id=firm.station_id, manufacturer_code=firm.manufacturer_code
        ),
    )
    pipeline.start_worker()

    response = as_firm.post(
        "/submissions/recall-notices", json=_notice_payload(pipeline, 3, "RC-HTTP-1")
    )
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    pipeline.wait(lambda: as_firm.get(location).json()["state"] != "pending")
    assert as_firm.get(location).json()["state"] == "accepted"
    recalls = as_firm.get("/recalls").json()["items"]
    assert "RC-HTTP-1" in {item["recall_id"] for item in recalls}

    # Another firm's product: the intake refuses it, and the firm reads why.
    other = next(
        i
        for i, p in enumerate(pipeline.registry.products)
        if p.manufacturer_code != firm.manufacturer_code
    )
    refused = as_firm.post(
        "/submissions/recall-notices", json=_notice_payload(pipeline, other, "RC-HTTP-2")
    )
    assert refused.status_code == 202, refused.text
    refused_at = refused.headers["location"]
    pipeline.wait(lambda: as_firm.get(refused_at).json()["state"] != "pending", timeout_s=30)
    body = as_firm.get(refused_at).json()
    assert (body["state"], body["reason"]) == ("rejected", "not_permitted"), body
    assert body["errors"][0]["field"] == "payload.product.manufacturer_code"
    assert "RC-HTTP-2" not in {
        item["recall_id"] for item in as_firm.get("/recalls").json()["items"]
    }

    # A station sends a broken event and reads the reason through the API in seconds.
    station = pick(pipeline.registry, "hospital")
    as_station = _client(
        pipeline, NewAccount("station", Role.STATION, station_id=station.station_id)
    )
    broken = orjson.loads(burn(station, product, datetime.now(UTC) - timedelta(hours=1)))
    broken["payload"]["age_years"] = "thirty-four"
    event_id = str(uuid.UUID(broken["event_id"]))
    # Sent first, on the same partition: ids PostgreSQL must never see as ids (NUL, huge).
    hostile = [{**broken, "event_id": "\u0000" * 36}, {**broken, "event_id": "9" * 1000}]
    sender = pipeline.sender()
    for value in hostile:
        sender.send(station.station_id, orjson.dumps(value))
    started = time.monotonic()
    sender.send(station.station_id, orjson.dumps(broken))
    sender.flush()
    sender.close()
    [outcome] = await_outcomes(as_station, [event_id], timeout_s=15.0, interval_s=0.2)
    elapsed = time.monotonic() - started
    assert outcome.state == "rejected" and outcome.reason == "schema", outcome
    assert any(field.endswith("age_years") for field, _ in outcome.errors), outcome
    assert elapsed < 15.0
    lines: list[str] = []
    assert report_outcomes(as_station, [event_id], 1.0, lines.append) == 1
    assert lines[0].startswith(f"{event_id}: rejected (schema)")
    with pipeline.sessions() as session:
        stored = session.execute(
            select(DeadLetterRow.reason, DeadLetterRow.event_id)
            .where(DeadLetterRow.reporter_id == station.station_id)
            .order_by(DeadLetterRow.source_offset)
        ).all()
    assert [tuple(row) for row in stored] == [
        ("schema", None), ("schema", None), ("schema", event_id),
    ]  # fmt: skip
    # The station's feedback never covers the firm's events, nor the firm's the station's.
    assert as_station.get(location).json()["state"] == "pending"
    assert as_firm.get(f"/submissions/{event_id}").json()["state"] == "pending"
