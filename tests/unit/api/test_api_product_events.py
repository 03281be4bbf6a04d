"""GET /products/{key} `events`: the product's events per China day, in the caller's area only.

Days are China days: an injury at 23:30 Beijing time (15:30 UTC) and one at 00:30 the next
morning (16:30 UTC, the same UTC date) fall on two different bars.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Event
from recall.domain.traffic import CHINA
from recall.service.readmodel.product_series import DAYS
from tests.unit.api.conftest import AsPrincipal
from tests.unit.api.read_model_seed import TY_REGISTERED, seed_read_model
from tests.unit.api.seed import FIRM, PROVINCE, SHANGHAI, TAIYUAN

NOW = datetime.now(UTC)
DAY_BEFORE = (NOW.astimezone(CHINA) - timedelta(days=2)).replace(
    hour=0, minute=0, second=0, microsecond=0
)
LATE = DAY_BEFORE.replace(hour=23, minute=30)  # Beijing 23:30 the day before yesterday
EARLY = LATE + timedelta(hours=1)  # Beijing 00:30 yesterday, same UTC date; both in the past


def _event(n: int, at: datetime, jurisdiction: str, kind: str = "injury_report") -> Event:
    return Event(
        reporter_id="st-er-1",
        event_id=f"ev-{n}",
        type=kind,
        jurisdiction=jurisdiction,
        product_key=TY_REGISTERED,
        occurred_at=at,
        sent_at=at,
        received_at=at,
        source_topic="intake.raw",
        source_partition=0,
        source_offset=n,
        content_hash=None,
        payload={},
    )


@pytest.fixture(autouse=True)
def _seeded(db: sessionmaker[Session]) -> None:
    seed_read_model(db)
    with db.begin() as session:
        session.add_all(
            [
                _event(1, LATE, "140105"),
                _event(2, EARLY, "140105"),
                _event(3, EARLY + timedelta(minutes=5), "140105", "sampling_result"),
                _event(4, EARLY, "140202"),  # Datong: the province's, not Taiyuan's
                _event(5, EARLY, "310101"),  # Shanghai: nobody's here
                _event(6, NOW - timedelta(days=DAYS + 3), "140105"),  # before the window
            ]
        )


def _series(as_: AsPrincipal, who: object) -> dict[str, object]:
    body = as_(who).get(f"/products/{TY_REGISTERED}").json()  # type: ignore[arg-type]
    events: dict[str, object] = body["events"]
    return events


def test_events_are_counted_per_china_day_in_the_callers_area(as_: AsPrincipal) -> None:
    series = _series(as_, TAIYUAN)
    days = [datetime.fromisoformat(str(d)) for d in series["days"]]  # type: ignore[attr-defined]
    assert len(days) == DAYS
    assert all(d.astimezone(CHINA).hour == 0 for d in days)  # midnight in Beijing
    counts: dict[str, list[int]] = series["counts"]  # type: ignore[assignment]
    late = days.index(LATE.replace(hour=0, minute=0).astimezone(UTC))
    assert counts["injury_report"][late] == 1
    assert counts["injury_report"][late + 1] == 1  # EARLY: the next China day
    assert counts["sampling_result"][late + 1] == 1
    assert sum(counts["injury_report"]) == 2  # not Datong's, Shanghai's, or the old one
    assert series["truncated"] is False


def test_the_province_counts_its_cities_and_others_get_no_series(as_: AsPrincipal) -> None:
    counts: dict[str, list[int]] = _series(as_, PROVINCE)["counts"]  # type: ignore[assignment]
    assert sum(counts["injury_report"]) == 3  # Taiyuan's two and Datong's
    firm = as_(FIRM).get(f"/products/{TY_REGISTERED}").json()
    assert firm["events"] is None  # like the signal history: regulators only
    assert as_(SHANGHAI).get(f"/products/{TY_REGISTERED}").status_code == 404


def test_a_scores_trend_is_its_week_against_the_week_before(
    as_: AsPrincipal, db: sessionmaker[Session]
) -> None:
    """GET /scores `trend`: this week's events against the week before, in the caller's area."""
    with db.begin() as session:
        session.add_all(
            [
                _event(20, NOW - timedelta(days=9), "140105"),  # the week before
                _event(21, NOW - timedelta(days=10), "140202"),  # the week before, Datong
            ]
        )
    # LATE and EARLY (two days ago, yesterday): this week; ev-6: months ago, in neither.

    def trend(who: object) -> dict[str, int]:
        items = as_(who).get("/scores").json()["items"]  # type: ignore[arg-type]
        found: dict[str, int] = next(s for s in items if s["product_key"] == TY_REGISTERED)["trend"]
        return found

    assert trend(TAIYUAN) == {"last_7_days": 3, "previous_7_days": 1}
    assert trend(PROVINCE) == {"last_7_days": 4, "previous_7_days": 2}
    firm = as_(FIRM).get("/scores").json()["items"]
    assert all(s["trend"] is None for s in firm)  # regulators only
