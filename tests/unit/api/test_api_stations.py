"""GET /stations and /stations/{id}: regulators see their area's stations with health, a
station itself only; other roles 403 on the list, 404 on an id; pages, window, CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Event, Station
from recall.domain.access import Principal, Role
from tests.support.sql_statements import recorded_statements
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.read_model_seed import seed_read_model
from tests.unit.api.seed import EXPERT, FIRM, NOW, PROVINCE, PUBLIC, SHANGHAI, STATION, TAIYUAN

LAST_SEEN = NOW - timedelta(hours=20)
"""ST-TY-1's last contact as the intake kept it: a resend, after its last stored event."""


def _event(reporter: str, n: int, received: datetime) -> Event:
    return Event(
        reporter_id=reporter,
        event_id=f"ev-{n}",
        type="injury",
        jurisdiction="140105",
        sent_at=received,
        received_at=received,
        source_topic="intake.raw",
        source_partition=0,
        source_offset=100 + n,
        payload={},
    )


@pytest.fixture(autouse=True)
def _seeded(db: sessionmaker[Session]) -> None:
    seed_read_model(db)
    with db.begin() as session:
        for i, days in enumerate((1, 20)):  # one inside the default window, one before
            session.add(_event("ST-TY-1", i, NOW - timedelta(days=days)))
        session.get_one(Station, "ST-TY-1").last_seen_at = LAST_SEEN


def _ids(as_: AsPrincipal, principal: Principal, query: str = "") -> list[str]:
    response = as_(principal).get(f"/stations?limit=500{query}")
    assert response.status_code == 200, response.text
    return [s["station_id"] for s in response.json()["items"]]


def test_regulators_see_their_areas_stations(as_: AsPrincipal) -> None:
    assert _ids(as_, PROVINCE) == ["ST-TY-1", "ST-TY-2"]
    assert _ids(as_, SHANGHAI) == ["ST-SH-1"]
    assert _ids(as_, Principal("acc-c", Role.REGULATOR, region="140106")) == ["ST-TY-2"]
    assert _ids(as_, PROVINCE, "&region=140105") == ["ST-TY-1"]
    assert _ids(as_, PROVINCE, "&sort=-station_id") == ["ST-TY-2", "ST-TY-1"]


def test_health_counts_over_the_window(as_: AsPrincipal) -> None:
    station = as_(TAIYUAN).get("/stations?limit=500").json()["items"][0]
    assert station["station_id"] == "ST-TY-1" and station["jurisdiction"] == "140105"
    assert station["accepted"] == 1
    assert station["rejected"] == {"schema": 3, "unauthenticated": 2}
    assert station["last_seen_at"] == LAST_SEEN.isoformat().replace("+00:00", "Z")
    assert station["last_accepted_at"] == (NOW - timedelta(days=1)).isoformat().replace(
        "+00:00", "Z"
    )
    assert as_(PROVINCE).get("/stations?limit=500").json()["items"][1]["last_seen_at"] is None
    wide = as_(TAIYUAN).get("/stations/ST-TY-1?window_days=30").json()
    assert wide["accepted"] == 2
    assert as_(TAIYUAN).get("/stations?window_days=0").status_code == 422


def test_a_station_sees_itself_only(as_: AsPrincipal) -> None:
    assert _ids(as_, STATION) == ["ST-TY-1"]
    assert as_(STATION).get("/stations/ST-TY-1").status_code == 200
    assert as_(STATION).get("/stations/ST-TY-2").status_code == 404


def test_an_unregistered_station_reads_its_own_health(as_: AsPrincipal) -> None:
    nobody = Principal("acc-nobody", Role.STATION, station_id="NOBODY")
    body = as_(nobody).get("/stations/NOBODY").json()
    assert body["jurisdiction"] is None and body["rejected"] == {"schema": 1}
    assert _ids(as_, nobody) == []  # the register lists registered stations
    assert as_(PROVINCE).get("/stations/NOBODY").status_code == 404


@pytest.mark.parametrize("principal", [EXPERT, FIRM, PUBLIC])
def test_other_roles(as_: AsPrincipal, principal: Principal) -> None:
    assert as_(principal).get("/stations").status_code == 403
    assert as_(principal).get("/stations/ST-TY-1").status_code == 404


def test_hidden_reads_as_missing(as_: AsPrincipal) -> None:
    hidden = as_(SHANGHAI).get("/stations/ST-TY-1")
    missing = as_(SHANGHAI).get("/stations/ST-NONE")
    assert hidden.status_code == missing.status_code == 404
    assert set(hidden.json()) == set(missing.json())


def test_pages_and_csv(as_: AsPrincipal) -> None:
    for sort in ("station_id", "-station_id"):
        seen: list[str] = []
        url: str | None = f"/stations?limit=1&sort={sort}"
        while url:
            body = as_(PROVINCE).get(url).json()
            seen += [s["station_id"] for s in body["items"]]
            url = body["next"]
        assert seen == _ids(as_, PROVINCE, f"&sort={sort}")
    response = as_(PROVINCE).get("/stations?format=csv&limit=1")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][0] == "站点编号 / Station id"
    assert [r[0] for r in rows[1:]] == ["ST-TY-1", "ST-TY-2"]
    assert '{"schema":3,"unauthenticated":2}' in rows[1]


def test_a_page_costs_the_same_statements_for_2_stations_as_for_40(
    as_: AsPrincipal, db: sessionmaker[Session]
) -> None:
    """The health of a page's stations is read in grouped queries, not a few per station."""
    engine = db.kw["bind"]
    with recorded_statements(engine) as few:
        assert len(_ids(as_, PROVINCE)) == 2
    with db.begin() as session:
        for n in range(38):
            station_id = f"ST-TY-{n + 10}"
            session.add(
                Station(
                    station_id=station_id,
                    kind="hospital",
                    name=station_id,
                    jurisdiction="140105",
                    last_seen_at=NOW,
                )
            )
            session.add(_event(station_id, 1000 + n, NOW - timedelta(hours=1)))
    with recorded_statements(engine) as many:
        assert len(_ids(as_, PROVINCE)) == 40
    assert len(many) == len(few), [statement for statement, _ in many]
    with recorded_statements(engine) as one:
        as_(PROVINCE).get("/stations/ST-TY-10")
    assert len(one) <= len(few)
