"""The Stations pages and the overview's intake panel: their frames, and the API reads behind
them — a station's traffic per hour or day (GET /stations/{id}/traffic), an area's intake
rate per minute (GET /statistics/intake-rate), a station's condition on GET /stations.

Expected counts are derived from the seeded rows with China's clock (zoneinfo), independently
of the bucketing code; scope: a county never sees another county's station or its traffic.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import DeadLetterRow, Event, Station
from recall.domain.access import Principal, Role
from tests.support.sql_statements import recorded_statements
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.test_dashboard import _signed_in

NOW = datetime.now(UTC).replace(microsecond=0)
SHANGHAI_TIME = ZoneInfo("Asia/Shanghai")
MIN = 1
HOUR = 60
DAY = 24 * HOUR

# station id: (kind, region, enabled, last seen minutes ago or None)
STATIONS = {
    "ST-A": ("hospital", "140105", True, 5),
    "ST-Q": ("media", "140105", True, 8 * DAY),  # quiet for longer than the week: silent
    "ST-B": ("lab", "140106", True, 3),
    "ST-D": ("school", "140106", False, None),  # switched off
    "ST-C": ("school", "310101", True, 2),
}
# (station, event type, minutes ago): inside the last hour, the last 48 h, 30 days, and older
EVENTS = [
    *(("ST-A", "injury_report", m) for m in (5, 12, 12, 30, 90, 600, 1500, 2000, 4000, 10 * DAY)),
    ("ST-A", "station_heartbeat", 20),
    *(("ST-B", "sampling_result", m) for m in (3, 7, 45, 300)),
    ("ST-B", "injury_report", 8),
    *(("ST-C", "injury_report", m) for m in (2, 4, 6, 120)),
    ("ST-A", "injury_report", 40 * DAY),  # outside every chart
    ("ST-Q", "injury_report", 8 * DAY),
]
# (station, reason, minutes ago)
LETTERS = [
    ("ST-A", "schema", 10),
    ("ST-A", "schema", 11),
    ("ST-A", "schema", 700),
    ("ST-A", "unauthenticated", 15),
    ("ST-A", "unauthenticated", 3000),
    ("ST-B", "malformed_json", 8 * DAY),
    ("ST-C", "schema", 1),
    ("ST-C", "schema", 5),
    ("NOBODY", "unknown_reporter", 3),  # no registered station: in nobody's area
]

COUNTY_A = Principal("acc-a", Role.REGULATOR, region="140105")
COUNTY_B = Principal("acc-b", Role.REGULATOR, region="140106")
PROVINCE = Principal("acc-p", Role.REGULATOR, region="140000")
SHANGHAI = Principal("acc-s", Role.REGULATOR, region="310000")
STATION_A = Principal("acc-st", Role.STATION, station_id="ST-A")
EXPERT = Principal("acc-e", Role.EXPERT, expert_id="EXP-1")


def _at(minutes_ago: int) -> datetime:
    return NOW - timedelta(minutes=minutes_ago)


@pytest.fixture(autouse=True)
def _seeded(db: sessionmaker[Session]) -> None:
    # "Now" is each test's own: the API counts from the wall clock when it is asked, and a
    # module-wide moment taken at collection was a whole suite's run (25 min) old by then.
    global NOW  # noqa: PLW0603  # the tests read it as their own moment
    NOW = datetime.now(UTC).replace(microsecond=0)
    with db.begin() as session:
        for station_id, (kind, region, enabled, seen) in STATIONS.items():
            session.add(
                Station(
                    station_id=station_id,
                    kind=kind,
                    name=f"站点 {station_id}",
                    jurisdiction=region,
                    enabled=enabled,
                    last_seen_at=None if seen is None else _at(seen),
                )
            )
        for n, (reporter, kind, ago) in enumerate(EVENTS):
            session.add(
                Event(
                    reporter_id=reporter,
                    event_id=f"ev-{n}",
                    type=kind,
                    jurisdiction=STATIONS[reporter][1],
                    sent_at=_at(ago),
                    received_at=_at(ago),
                    source_topic="intake.raw",
                    source_partition=0,
                    source_offset=n,
                    payload={},
                )
            )
        for n, (reporter, reason, ago) in enumerate(LETTERS):
            session.add(
                DeadLetterRow(
                    source_topic="intake.raw",
                    source_partition=1,
                    source_offset=n,
                    reason=reason,
                    errors=[{"field": "payload.age", "message": "not an integer"}],
                    reporter_id=reporter,
                    received_at=_at(ago),
                    original=b"{}",
                    detail="",
                )
            )


def _key(moment: datetime, width: str) -> str:
    """A moment's bucket as China's clock names it: the expectation, without the code."""
    pattern = {"minute": "%Y-%m-%d %H:%M", "hour": "%Y-%m-%d %H", "day": "%Y-%m-%d"}[width]
    return moment.astimezone(SHANGHAI_TIME).strftime(pattern)


def _prefix(region: str) -> str:
    """A GB/T 2260 code's significant digits: 140000 → 14, 140100 → 1401."""
    while region.endswith("00"):
        region = region[:-2]
    return region


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- a station's traffic -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bucket", "count", "span"), [("hour", 48, 47 * HOUR), ("day", 30, 29 * DAY)]
)
def test_traffic_counts_each_bucket_and_reason_from_the_stored_rows(
    as_: AsPrincipal, bucket: str, count: int, span: int
) -> None:
    response = as_(COUNTY_A).get(f"/stations/ST-A/traffic?bucket={bucket}")
    assert response.status_code == 200, response.text
    body = response.json()
    starts = [_parse(b["start"]) for b in body["buckets"]]
    assert len(starts) == count and body["bucket"] == bucket
    assert starts == sorted(starts) and _parse(body["to"]) > NOW >= starts[-1]
    keys = [_key(s, bucket) for s in starts]
    assert all(_key(s, bucket) == _key(s + timedelta(seconds=1), bucket) for s in starts)
    assert len(set(keys)) == count  # one bucket per hour or China day, none twice

    accepted = Counter(_key(_at(m), bucket) for r, _, m in EVENTS if r == "ST-A")
    refused = Counter((_key(_at(m), bucket), why) for r, why, m in LETTERS if r == "ST-A")
    assert [b["accepted"] for b in body["buckets"]] == [accepted[k] for k in keys]
    for key, row in zip(keys, body["buckets"], strict=True):
        assert row["rejected"] == {why: n for (k, why), n in refused.items() if k == key}
    # Every record younger than the chart's span is in it; none older than 40 days.
    young = [m for r, _, m in EVENTS if r == "ST-A" and m < span]
    assert body["accepted"] >= len(young) and body["accepted"] == sum(accepted[k] for k in keys)
    assert body["reasons"] == sorted({why for r, why, m in LETTERS if r == "ST-A" and m < span})


def test_traffic_over_a_range_and_its_limits(as_: AsPrincipal) -> None:
    start = (NOW - timedelta(days=12)).isoformat()
    end = (NOW - timedelta(days=9)).isoformat()
    body = (
        as_(COUNTY_A)
        .get("/stations/ST-A/traffic", params={"bucket": "day", "from": start, "to": end})
        .json()
    )
    assert len(body["buckets"]) in (3, 4)  # widened to whole China days
    assert body["accepted"] == 1  # the event of 10 days ago
    client = as_(COUNTY_A)
    reversed_range = client.get("/stations/ST-A/traffic", params={"from": end, "to": start})
    assert reversed_range.status_code == 422
    too_long = client.get("/stations/ST-A/traffic", params={"from": "2020-01-01T00:00:00Z"})
    assert too_long.status_code == 422
    assert client.get("/stations/ST-A/traffic?bucket=week").status_code == 422


def test_traffic_is_scoped_like_the_station(as_: AsPrincipal) -> None:
    assert as_(COUNTY_A).get("/stations/ST-A/traffic").status_code == 200
    assert as_(PROVINCE).get("/stations/ST-B/traffic").status_code == 200
    assert as_(STATION_A).get("/stations/ST-A/traffic").status_code == 200
    for principal, station in [
        (COUNTY_A, "ST-B"),
        (COUNTY_B, "ST-A"),
        (SHANGHAI, "ST-A"),
        (STATION_A, "ST-B"),
        (EXPERT, "ST-A"),
    ]:
        hidden = as_(principal).get(f"/stations/{station}/traffic")
        missing = as_(principal).get("/stations/ST-NONE/traffic")
        assert hidden.status_code == missing.status_code == 404, (principal, station)
        assert set(hidden.json()) == set(missing.json())
    assert as_(COUNTY_A).get("/stations/" + "x" * 65 + "/traffic").status_code == 422


def test_traffic_costs_one_query_per_series(as_: AsPrincipal, db: sessionmaker[Session]) -> None:
    """The station's record, then one grouped query for accepted and one for refused."""
    with recorded_statements(db.kw["bind"]) as statements:
        assert as_(COUNTY_A).get("/stations/ST-A/traffic?bucket=day").status_code == 200
    grouped = [s for s, _ in statements if "GROUP BY" in s.upper()]
    assert len(grouped) == 2, grouped


# --- an area's intake rate -----------------------------------------------------------------


@pytest.mark.parametrize("principal", [COUNTY_A, COUNTY_B, PROVINCE, SHANGHAI])
def test_intake_rate_counts_each_minute_by_kind_and_source_in_the_area(
    as_: AsPrincipal, principal: Principal
) -> None:
    response = as_(principal).get("/statistics/intake-rate?minutes=60")
    assert response.status_code == 200, response.text
    body = response.json()
    keys = [_key(_parse(m), "minute") for m in body["minutes"]]
    assert len(keys) == len(set(keys)) == 60
    area = _prefix(principal.region or "")
    mine = {s for s, (_, region, _, _) in STATIONS.items() if region.startswith(area)}
    kinds = {s: STATIONS[s][0] for s in mine}
    source = {"injury_report": "injury_reports", "sampling_result": "purchase_sampling"}

    by_kind: Counter[tuple[str, str]] = Counter()
    by_source: Counter[tuple[str, str]] = Counter()
    for reporter, kind, ago in EVENTS:
        if reporter in mine:
            by_kind[(kinds[reporter], _key(_at(ago), "minute"))] += 1
            by_source[(source.get(kind, "other"), _key(_at(ago), "minute"))] += 1
    refused = Counter(_key(_at(m), "minute") for r, _, m in LETTERS if r in mine)

    expected_kinds = sorted({k for (k, minute) in by_kind if minute in keys})
    assert sorted(body["by_kind"]) == expected_kinds
    for kind, counts in body["by_kind"].items():
        assert counts == [by_kind[(kind, k)] for k in keys], kind
    assert set(body["by_source"]) == {"injury_reports", "purchase_sampling", "other"}
    for name, counts in body["by_source"].items():
        assert counts == [by_source[(name, k)] for k in keys], name
    assert body["rejected"] == [refused[k] for k in keys]
    recent = [r for r, _, m in EVENTS if r in mine and m < 55]
    assert body["accepted_total"] == len(recent) == sum(map(sum, body["by_kind"].values()))
    assert body["rejected_total"] == len([r for r, _, m in LETTERS if r in mine and m < 55])


def test_a_county_never_counts_another_countys_intake(as_: AsPrincipal) -> None:
    a = as_(COUNTY_A).get("/statistics/intake-rate").json()
    b = as_(COUNTY_B).get("/statistics/intake-rate").json()
    province = as_(PROVINCE).get("/statistics/intake-rate").json()
    assert set(a["by_kind"]) == {"hospital"} and set(b["by_kind"]) == {"lab"}
    assert province["accepted_total"] == a["accepted_total"] + b["accepted_total"]
    assert province["rejected_total"] == a["rejected_total"] + b["rejected_total"]
    assert b["rejected_total"] == 0  # ST-A's refusals stay in county A


@pytest.mark.parametrize("principal", [STATION_A, EXPERT])
def test_the_intake_rate_is_for_regulators(as_: AsPrincipal, principal: Principal) -> None:
    assert as_(principal).get("/statistics/intake-rate").status_code == 403
    assert as_(COUNTY_A).get("/statistics/intake-rate?minutes=0").status_code == 422


# --- a station's condition on GET /stations ------------------------------------------------


def test_stations_say_which_are_silent_failing_disabled_or_ok(as_: AsPrincipal) -> None:
    items = as_(PROVINCE).get("/stations?limit=500").json()["items"]
    found = {s["station_id"]: s for s in items}
    assert {s: found[s]["condition"] for s in found} == {
        "ST-A": "failing",  # 5 of 15 records refused this week
        "ST-Q": "silent",  # nothing for eight days
        "ST-B": "ok",  # its refusal is older than the week
        "ST-D": "disabled",
    }
    week = [m for r, _, m in EVENTS if r == "ST-A" and m < 7 * DAY]
    refused = [m for r, _, m in LETTERS if r == "ST-A" and m < 7 * DAY]
    assert found["ST-A"]["share_rejected"] == pytest.approx(
        len(refused) / (len(week) + len(refused))
    )
    # The window ends at the request, seconds after the fixture wrote: a loaded machine moves
    # the figure by those seconds (302402 against 302400 in one run), never by a minute.
    assert found["ST-A"]["silent_after_s"] == pytest.approx(int(5 * 7 * 86400 / len(week)), abs=60)
    assert found["ST-Q"]["silent_after_s"] == 7 * 86400  # nothing accepted: the window
    assert found["ST-Q"]["share_rejected"] is None


# --- the pages -----------------------------------------------------------------------------


def test_the_station_pages_need_a_session(as_: AsPrincipal, app: FastAPI) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(app)
    for path in ("/dashboard/stations", "/dashboard/stations/ST-A"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/dashboard/login"


def test_the_stations_pages_are_in_both_languages(app: FastAPI, db: sessionmaker[Session]) -> None:
    client = _signed_in(app, db, "140105")
    chinese = client.get("/dashboard/stations?lang=zh_CN").text
    assert "<h1>监测站点" in chinese and "最后联系" in chinese
    assert 'aria-current="page">监测站点</a>' in chinese
    english = client.get("/dashboard/stations/ST-A?lang=en").text
    assert "Recent dead letters" in english and 'data-id="ST-A"' in english
    overview = client.get("/dashboard?lang=zh_CN").text
    for panel in ("intake-chart", "troubled", "signals"):
        assert f'id="{panel}"' in overview
    assert "近一小时每分钟接收事件" in overview


def test_a_station_id_in_the_address_is_text_never_markup(
    app: FastAPI, db: sessionmaker[Session]
) -> None:
    client = _signed_in(app, db)
    page = client.get('/dashboard/stations/x"><img src=x onerror=alert(1)>')
    assert page.status_code == 200
    assert "<img src=x" not in page.text
    assert 'data-id="x&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in page.text
    assert client.get("/dashboard/stations/" + "x" * 65).status_code == 404
