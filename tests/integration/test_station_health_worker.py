"""Station silence through the real worker: broker → intake → last contact → the `stations`
timer → outbox → a `station_silent` record on the alerts topic, and its resolution.

To see a learned silence in seconds rather than hours, the station's history is a day of one
record a second (stored directly, received in the past), so its cadence is 3,600 an hour and
a silence of a few tens of seconds is already beyond what it makes likely (α = 0.01 per
station-day here); the live records travel the whole pipeline.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import insert, select

from recall.adapters.db.models import Event, Station
from recall.tools.worker_process import WorkerProcess
from tests.support.cases import CHINA_TZ, pick
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.integration


def _heartbeat(station_id: str, jurisdiction: str) -> bytes:
    return orjson.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "schema_version": 1,
            "type": "station_heartbeat",
            "reporter_id": station_id,
            "jurisdiction": jurisdiction,
            "sent_at": datetime.now(CHINA_TZ).isoformat(),
            "payload": {"status": "ok", "software_version": "1.4.2", "queued_reports": 0},
        }
    )


def _history(pipeline: Pipeline, station_id: str, jurisdiction: str) -> None:
    """A day of one record a second, ending a minute ago."""
    end = datetime.now(UTC) - timedelta(minutes=1)
    rows: list[dict[str, Any]] = [
        {
            "reporter_id": station_id,
            "event_id": str(uuid.uuid4()),
            "type": "station_heartbeat",
            "jurisdiction": jurisdiction,
            "sent_at": end - timedelta(seconds=s),
            "received_at": end - timedelta(seconds=s),
            "source_topic": "seeded",
            "source_partition": 0,
            "source_offset": s,
            "payload": {},
        }
        for s in range(1, 86_400)
    ]
    with pipeline.sessions.begin() as session:
        session.execute(insert(Event), rows)


def _last_seen(pipeline: Pipeline, station_id: str) -> datetime | None:
    with pipeline.sessions() as session:
        return session.scalar(select(Station.last_seen_at).where(Station.station_id == station_id))


def _silence_alerts(pipeline: Pipeline, station_id: str) -> list[dict[str, Any]]:
    return [
        a
        for a in map(orjson.loads, pipeline.topic_records("alerts"))
        if a["kind"] == "station_silent" and a["subject"] == station_id
    ]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_station_that_stops_is_alerted_and_resolved_through_the_worker(
    pipeline: Pipeline,
) -> None:
    station = pick(pipeline.registry, "hospital")
    _history(pipeline, station.station_id, station.jurisdiction)
    env = {
        **pipeline.env(),
        "RECALL_AGENTS": "intake,investigations,stations",
        "RECALL_STATION_HEALTH_SECONDS": "1",
        "RECALL_STATION_SILENCE_ALPHA": "0.01",
        "RECALL_STATION_SILENCE_MIN_SECONDS": "0",
        "RECALL_STATION_HISTORY_WEEKS": "1",
        "RECALL_STATION_MIN_HISTORY_DAYS": "0.5",
    }
    worker = WorkerProcess(env, pipeline.workdir / "worker-stations.log")
    worker.start()
    pipeline.workers.append(worker)
    sender = pipeline.sender()
    sender.send(station.station_id, _heartbeat(station.station_id, station.jurisdiction))
    sender.flush()
    pipeline.wait(
        lambda: (
            (_last_seen(pipeline, station.station_id) or datetime.min.replace(tzinfo=UTC))
            > datetime.now(UTC) - timedelta(seconds=30)
        )
    )
    contact = _last_seen(pipeline, station.station_id)
    assert contact is not None

    pipeline.wait(lambda: bool(_silence_alerts(pipeline, station.station_id)), timeout_s=120)
    (firing,) = _silence_alerts(pipeline, station.station_id)
    assert firing["status"] == "firing" and firing["jurisdiction"] == station.jurisdiction
    assert firing["details"]["last_seen_at"] == contact.isoformat()
    # Learned: 3,600 an hour expects 16 records in 16 s; it waited for at least that many.
    assert int(firing["details"]["silent_for"]) >= 10
    assert float(firing["details"]["expected_events"]) >= 10

    sender.send(station.station_id, _heartbeat(station.station_id, station.jurisdiction))
    sender.flush()
    pipeline.wait(lambda: len(_silence_alerts(pipeline, station.station_id)) >= 2, timeout_s=120)
    # Keyed by alert id, the firing and the resolving record may sit on different partitions:
    # their order on the topic is not theirs in time, their `at` is.
    alerts = sorted(
        _silence_alerts(pipeline, station.station_id),
        key=lambda a: datetime.fromisoformat(a["at"]),
    )
    assert [a["status"] for a in alerts] == ["firing", "resolved"]
    assert alerts[1]["alert_id"] != alerts[0]["alert_id"]
