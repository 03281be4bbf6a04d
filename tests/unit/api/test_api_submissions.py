"""/submissions: firms submit through the intake (signed as their reporter), stations and
firms poll what became of their events. The broker is outside: a recording publisher."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.key_store import issue_key, load_keyring
from recall.adapters.db.models import AuditEntry, Station
from recall.adapters.db.submission_reads import SqlSubmissionReads
from recall.config import Settings
from recall.domain.access import Principal, Role
from recall.service.submissions import Headers, PublishFailedError
from schemas.envelope import STATION_EVENT_ADAPTER, RecallNoticeEvent
from schemas.signing import verify_record
from tests.support.sql_statements import recorded_statements
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.seed import PROVINCE, PUBLIC, TAIYUAN_MAKER
from tests.unit.api.submission_seed import newer_refusals, refused_event, stored_event

REPORTER = f"FIRM-{TAIYUAN_MAKER}"
FIRM = Principal("acc-firm", Role.FIRM, station_id=REPORTER, manufacturer_code=TAIYUAN_MAKER)
STATION = Principal("acc-station", Role.STATION, station_id="ST-TY-1")
START = datetime(2026, 3, 1, tzinfo=UTC)


class RecordingPublisher:
    """The publishing port, recording what would have gone to intake.raw."""

    def __init__(self, *, fail: bool = False) -> None:
        self.records: list[tuple[str, bytes, Headers]] = []
        self.fail = fail

    def publish(self, reporter_id: str, value: bytes, headers: Headers) -> None:
        if self.fail:
            raise PublishFailedError("NoBrokersAvailable")
        self.records.append((reporter_id, value, headers))


@pytest.fixture
def published(app: FastAPI, db: sessionmaker[Session]) -> RecordingPublisher:
    with db.begin() as session:
        session.add(
            Station(
                station_id=REPORTER,
                kind="firm",
                name="童悦",
                jurisdiction="140105",
                manufacturer_code=TAIYUAN_MAKER,
            )
        )
        session.add(Station(station_id="ST-TY-1", kind="hospital", name="h", jurisdiction="140105"))
    issue_key(db, REPORTER, by="test")
    publisher = RecordingPublisher()
    app.state.intake_publisher = publisher
    return publisher


def notice(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "recall_id": "RC-API-1",
        "kind": "voluntary",
        "title": "童车折叠铰链夹手 stroller hinge",
        "product": {
            "category": "children",
            "kind": "stroller",
            "manufacturer_code": TAIYUAN_MAKER,
            "brand": "童悦",
            "model": "ST-9",
        },
        "affected": {"consumer": 1200},
        "hazard": "entrapment",
        "risk_level": "high",
        "remedies": ["repair"],
        "channels": ["press_release"],
        "start": START.isoformat(),
        "target_date": (START + timedelta(days=180)).isoformat(),
        "target_rate": 0.8,
    }
    return body | changes


def test_a_firm_notice_is_enveloped_signed_as_the_firm_and_published(
    as_: AsPrincipal, published: RecordingPublisher, db: sessionmaker[Session], settings: Settings
) -> None:
    response = as_(FIRM).post("/submissions/recall-notices", json=notice())
    assert response.status_code == 202, response.text
    event_id = response.json()["event_id"]
    assert response.headers["location"] == f"/submissions/{event_id}"
    assert response.json() == {
        "event_id": event_id, "state": "pending", "location": f"/submissions/{event_id}",
    }  # fmt: skip
    [(key, value, headers)] = published.records
    assert key == REPORTER
    keyring = load_keyring(db, settings.signing_secret.get_secret_value())
    assert verify_record(headers, value, REPORTER, keyring) is None
    assert verify_record(headers, value, "ST-TY-1", keyring) is not None
    event = STATION_EVENT_ADAPTER.validate_json(value)
    assert isinstance(event, RecallNoticeEvent)
    assert str(event.event_id) == event_id
    assert (event.reporter_id, event.jurisdiction) == (REPORTER, "140105")
    assert event.payload.recall_id == "RC-API-1"
    assert abs((datetime.now(UTC) - event.sent_at).total_seconds()) < 60
    with db() as session:
        actions = session.scalars(select(AuditEntry).where(AuditEntry.account_id == "acc-firm"))
        [entry] = list(actions)
    assert entry.outcome == "done" and event_id in entry.subject


def test_a_progress_report_is_published_as_its_event_type(
    as_: AsPrincipal, published: RecordingPublisher
) -> None:
    report = {
        "recall_id": "RC-API-1",
        "sequence": 1,
        "period_start": START.isoformat(),
        "period_end": (START + timedelta(days=30)).isoformat(),
        "levels": {"consumer": {"located": 100, "notified": 90, "corrected": {"repair": 40}}},
    }
    response = as_(FIRM).post("/submissions/progress-reports", json=report)
    assert response.status_code == 202, response.text
    [(_, value, _)] = published.records
    assert orjson.loads(value)["type"] == "recall_progress_report"


@pytest.mark.parametrize("principal", [STATION, PROVINCE, PUBLIC])
def test_only_firms_submit(
    as_: AsPrincipal, published: RecordingPublisher, principal: Principal
) -> None:
    response = as_(principal).post("/submissions/recall-notices", json=notice())
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert published.records == []


def test_schema_errors_are_a_422_listing_fields_without_values(
    as_: AsPrincipal, published: RecordingPublisher
) -> None:
    body = notice(target_rate=7, hazard="SECRET-HAZARD-VALUE")
    del body["title"]
    response = as_(FIRM).post("/submissions/recall-notices", json=body)
    assert response.status_code == 422
    problem = response.json()
    fields = {e["field"] for e in problem["errors"]}
    assert {"body.title", "body.target_rate", "body.hazard"} <= fields
    assert "SECRET-HAZARD-VALUE" not in response.text
    assert published.records == []


def test_no_key_is_409_an_unreachable_broker_503_and_both_are_audited(
    as_: AsPrincipal, app: FastAPI, published: RecordingPublisher, db: sessionmaker[Session]
) -> None:
    keyless = Principal("acc-keyless", Role.FIRM, station_id="ST-TY-1", manufacturer_code="x" * 18)
    assert as_(keyless).post("/submissions/recall-notices", json=notice()).status_code == 409
    unregistered = Principal("acc-gone", Role.FIRM, station_id="GONE", manufacturer_code="x" * 18)
    assert as_(unregistered).post("/submissions/recall-notices", json=notice()).status_code == 403
    app.state.intake_publisher = RecordingPublisher(fail=True)
    response = as_(FIRM).post("/submissions/recall-notices", json=notice())
    assert response.status_code == 503
    assert response.json()["type"] == "/problems/intake-unavailable"
    with db() as session:
        outcomes = dict(session.execute(select(AuditEntry.account_id, AuditEntry.outcome)).all())
    assert outcomes == {"acc-keyless": "refused", "acc-gone": "denied", "acc-firm": "refused"}


def test_polling_reads_pending_accepted_and_rejected_for_ones_own_events(
    as_: AsPrincipal, db: sessionmaker[Session], published: RecordingPublisher
) -> None:
    accepted, rejected, unseen = (str(uuid.uuid4()) for _ in range(3))
    stored_event(db, "ST-TY-1", accepted)
    refused_event(db, "ST-TY-1", rejected, offset=7)
    station = as_(STATION)
    assert station.get(f"/submissions/{accepted}").json()["state"] == "accepted"
    body = station.get(f"/submissions/{rejected.upper()}").json()
    assert body["state"] == "rejected" and body["reason"] == "schema"
    assert body["errors"] == [
        {"field": "payload.age", "message": "Input should be a valid integer"}
    ]
    assert '"x"' not in station.get(f"/submissions/{rejected}").text  # never the original
    assert station.get(f"/submissions/{unseen}").json() == {
        "event_id": unseen, "state": "pending", "reason": None, "errors": [], "decided_at": None,
    }  # fmt: skip


def test_a_refusal_is_found_behind_any_number_of_newer_ones(
    as_: AsPrincipal, db: sessionmaker[Session], published: RecordingPublisher
) -> None:
    """The lookup once searched the reporter's newest 500 letters only; now it reads the
    stored event id, on its index, however many letters came after."""
    wanted = str(uuid.uuid4())
    refused_event(db, "ST-TY-1", wanted, offset=1, received_at=START)
    newer_refusals(db, "ST-TY-1", 600, first_offset=2, after=START)
    body = as_(STATION).get(f"/submissions/{wanted}").json()
    assert (body["state"], body["reason"]) == ("rejected", "schema")
    assert body["decided_at"] == START.isoformat().replace("+00:00", "Z")


def test_the_refusal_lookup_is_one_query_on_the_reporter_event_index(
    db: sessionmaker[Session],
) -> None:
    engine = db.kw["bind"]
    with recorded_statements(engine) as seen:
        assert SqlSubmissionReads(db).rejection("ST-TY-1", str(uuid.uuid4())) is None
    [(statement, parameters)] = seen
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    assert any("ix_dead_letters_reporter_event" in str(row[-1]) for row in plan), plan


def test_another_reporters_events_read_pending_and_other_roles_arerefused_event(
    as_: AsPrincipal, db: sessionmaker[Session], published: RecordingPublisher
) -> None:
    event_id = str(uuid.uuid4())
    stored_event(db, "ST-TY-1", event_id)
    refused_event(db, "ST-TY-1", event_id, offset=8)
    assert as_(FIRM).get(f"/submissions/{event_id}").json()["state"] == "pending"
    assert as_(PROVINCE).get(f"/submissions/{event_id}").status_code == 403
    assert as_(PUBLIC).get(f"/submissions/{event_id}").status_code == 403
    assert as_(STATION).get("/submissions/not-a-uuid").status_code == 422
