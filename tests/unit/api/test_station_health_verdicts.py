"""GET /stations shows the station-health verdicts the alerts announce, where they exist.

The `stations` stage stores its verdicts (`station_health`); the list and a station's page
read them, so "silent" on the page is `station_silent` on the alerts topic and "failing" is
`station_feed_poor` — not a second rule that could disagree (the page adds: never heard from
is silent, and failing also over the reader's window). A station not judged yet keeps the
window's first rule (tests/unit/api/test_dashboard_stations.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Station, StationHealthRow
from recall.domain.access import Principal, Role
from tests.unit.api.conftest import AsPrincipal

PROVINCE = Principal("acc-p", Role.REGULATOR, region="140000")


def _health(station_id: str, *, silent: bool, poor: bool, now: datetime) -> StationHealthRow:
    return StationHealthRow(
        station_id=station_id,
        state="silent" if silent else "well",
        silent_since=now - timedelta(hours=3) if silent else None,
        feed="poor" if poor else "ok",
        feed_since=now if poor else None,
        learned=True,
        expected_events=20.0 if silent else 0.5,
        probability=1e-9 if silent else 0.6,
        rejected_share=0.3 if poor else 0.0,
        updated_at=now,
    )


def test_the_list_follows_the_stored_verdicts(as_: AsPrincipal, db: sessionmaker[Session]) -> None:
    now = datetime.now(UTC)
    with db.begin() as session:
        for station_id, last_seen in (
            ("ER-1", now - timedelta(hours=3)),  # quiet three hours: silent for its cadence
            ("LAB-1", now - timedelta(days=3)),  # quiet three days: well for its cadence
            ("MALL-1", now - timedelta(minutes=2)),
            ("NEW-1", None),
            ("IDLE-1", None),
        ):
            session.add(
                Station(
                    station_id=station_id,
                    kind="hospital",
                    name=station_id,
                    jurisdiction="140105",
                    last_seen_at=last_seen,
                )
            )
        session.add(_health("ER-1", silent=True, poor=False, now=now))
        session.add(_health("LAB-1", silent=False, poor=False, now=now))
        session.add(_health("MALL-1", silent=False, poor=True, now=now))
        session.add(_health("IDLE-1", silent=False, poor=False, now=now))
    items = as_(PROVINCE).get("/stations?limit=500").json()["items"]
    found = {s["station_id"]: s for s in items}
    assert {s: (found[s]["condition"], found[s]["silent_after_s"]) for s in found} == {
        "ER-1": ("silent", None),
        "LAB-1": ("ok", None),  # the window's rule would call three quiet days silent
        "MALL-1": ("failing", None),
        "NEW-1": ("silent", 7 * 86400),  # not judged yet: the window's rule
        "IDLE-1": ("silent", None),  # judged, never heard from: no alert, but silent here
    }
    one = as_(PROVINCE).get("/stations/ER-1").json()
    assert one["condition"] == "silent"
