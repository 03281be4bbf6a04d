"""The Stations pages and the overview's intake panel in headless Chromium, through the real
pipeline: simulated stations send good and broken records to the broker, the worker stores or
dead-letters them in PostgreSQL, and a county regulator reads the result in the dashboard.

What each page must show is derived from the database the worker wrote (never typed in): the
station's refusals by reason, its dead letters, the county's events in the last hour. A
station of the neighbouring county sends at the same time and never appears on the county's
pages, nor in its counts.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.models import DeadLetterRow, Event, Station
from recall.api.app import create_api
from recall.api.dashboard import i18n
from recall.domain.access import Role
from recall.service.accounts.commands import NewAccount, add_account
from recall.tools.simulate.events import Breakage, SimStation, break_event, injury_report
from tests.support.browser import console_errors, serve, sign_in, wait_for
from tests.support.events import CHINA_TZ, population
from tests.support.pipeline import Pipeline

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]
ZH = i18n.language("zh_CN")


@dataclass(frozen=True)
class Site:
    url: str
    pipeline: Pipeline
    ours: SimStation
    theirs: SimStation
    tokens: dict[str, str]


@pytest.fixture
def site(pipeline: Pipeline) -> Iterator[Site]:
    pipeline.start_worker()
    stations, _ = population(pipeline.registry)
    ours = stations[0]
    theirs = next(s for s in stations if s.jurisdiction != ours.jurisdiction)
    tokens = {
        "ours": _account(pipeline.sessions, ours.jurisdiction),
        "theirs": _account(pipeline.sessions, theirs.jurisdiction),
    }
    with serve(create_api(pipeline.settings, sessions=pipeline.sessions)) as url:
        yield Site(url, pipeline, ours, theirs, tokens)


def _account(sessions: sessionmaker[Session], region: str) -> str:
    new = NewAccount(f"regulator {region}", Role.REGULATOR, region=region)
    return add_account(SqlAccountStorage(sessions), new, by="cli:test", at=datetime.now(UTC)).token


def _send(site: Site) -> None:
    """Ours: 6 good, 2 unparseable, 2 with an unknown field; theirs: 4 good, 1 unknown field."""
    _, products = population(site.pipeline.registry)
    rng = random.Random(7)
    now = datetime.now(CHINA_TZ)
    sender = site.pipeline.sender()
    plan = [
        (site.ours, None, 6),
        (site.ours, Breakage.BAD_JSON, 2),
        (site.ours, Breakage.UNKNOWN_FIELD, 2),
        (site.theirs, None, 4),
        (site.theirs, Breakage.UNKNOWN_FIELD, 1),
    ]
    for station, breakage, n in plan:
        for _ in range(n):
            event = injury_report(station, rng.choice(products), rng, now)
            value = orjson.dumps(event) if breakage is None else break_event(event, breakage)
            sender.send(station.station_id, value)
    sender.flush()
    sender.close()
    site.pipeline.wait_counts(events=10, dead_letters=5, duplicates=0)


def _refused(site: Site, station_id: str) -> Counter[str]:
    with site.pipeline.sessions() as session:
        rows = session.execute(
            select(DeadLetterRow.reason, func.count())
            .where(DeadLetterRow.reporter_id == station_id)
            .group_by(DeadLetterRow.reason)
        )
        return Counter({str(reason): int(n) for reason, n in rows})


def _accepted_last_hour(site: Site, region: str) -> int:
    since = datetime.now(UTC) - timedelta(minutes=55)
    with site.pipeline.sessions() as session:
        found = session.scalar(
            select(func.count())
            .select_from(Event)
            .join(Station, Station.station_id == Event.reporter_id)
            .where(Station.jurisdiction == region, Event.received_at >= since)
        )
    return int(found or 0)


def _ready(page: WebDriver) -> None:
    wait_for(page, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))


def _registered_in(site: Site, region: str) -> set[str]:
    with site.pipeline.sessions() as session:
        found = session.scalars(select(Station.station_id).where(Station.jurisdiction == region))
        return set(found)


def _accepted(site: Site, station_id: str) -> int:
    with site.pipeline.sessions() as session:
        found = session.scalar(
            select(func.count()).select_from(Event).where(Event.reporter_id == station_id)
        )
    return int(found or 0)


def test_a_county_sees_its_stations_rejections_traffic_and_dead_letters(
    site: Site, page: webdriver.Chrome
) -> None:
    _send(site)
    refused = _refused(site, site.ours.station_id)
    assert set(refused) == {"malformed_json", "schema"}, refused  # what the worker decided
    sign_in(page, site.url, site.tokens["ours"])

    # The overview: the county's events of the last hour in the intake chart, and its own
    # failing station among the silent or failing ones.
    accepted = _accepted_last_hour(site, site.ours.jurisdiction)
    chart = page.find_element(By.ID, "intake-chart")
    assert chart.get_attribute("data-accepted") == str(accepted) and accepted >= 6
    assert chart.get_attribute("data-rejected") == str(sum(refused.values()))
    assert chart.find_elements(By.CSS_SELECTOR, "svg path")
    legend = chart.get_attribute("textContent") or ""
    assert ZH.gettext("Injury reports") in legend and ZH.gettext("Dead letters") in legend
    troubled = [
        r.get_attribute("data-station-id")
        for r in page.find_elements(By.CSS_SELECTOR, "#troubled tbody tr")
    ]
    summary = page.find_element(By.ID, "troubled-summary").text

    # The list: every row is a station of the county; ours shows its refusals, worst first.
    page.find_element(By.CSS_SELECTOR, "nav a[href='/dashboard/stations']").click()
    _ready(page)
    rows = page.find_elements(By.CSS_SELECTOR, "#stations tbody tr")
    listed = [r.get_attribute("data-station-id") for r in rows]
    assert set(listed) == _registered_in(site, site.ours.jurisdiction)
    assert site.theirs.station_id not in listed
    row = rows[listed.index(site.ours.station_id)]
    cells = row.find_elements(By.TAG_NAME, "td")
    assert cells[5].text == str(sum(refused.values()))
    assert row.get_attribute("data-condition") == "failing"
    conditions = [r.get_attribute("data-condition") or "" for r in rows]
    rank = ["silent", "failing", "ok", "disabled"]
    assert conditions == sorted(conditions, key=rank.index)
    # The overview's panel: the worst six of the same order, and how many of each.
    worst = [i for i, c in zip(listed, conditions, strict=True) if c in ("silent", "failing")]
    assert troubled == worst[:6]
    counts = Counter(conditions)
    assert summary == (
        f"{ZH.gettext('silent')}: {counts['silent']} · {ZH.gettext('failing')}: {counts['failing']}"
    )

    # Its page: the chart's legend names each refusal reason, the dead letters are listed.
    row.find_element(By.TAG_NAME, "a").click()
    _ready(page)
    chart = page.find_element(By.ID, "traffic-chart")
    assert chart.get_attribute("data-reasons") == " ".join(sorted(refused))
    legend = chart.get_attribute("textContent") or ""
    for reason in refused:
        assert ZH.gettext(reason) in legend
    letters = page.find_elements(By.CSS_SELECTOR, "#letters tbody tr")
    shown = Counter(r.find_elements(By.TAG_NAME, "td")[1].text for r in letters)
    assert shown == Counter({ZH.gettext(reason): n for reason, n in refused.items()})
    total = page.find_element(By.ID, "traffic-total").text
    assert f"{ZH.gettext('Accepted')}: {_accepted(site, site.ours.station_id)}" in total
    page.find_element(By.CSS_SELECTOR, "[data-bucket='day']").click()
    wait_for(page, lambda d: d.find_element(By.CSS_SELECTOR, "[data-bucket='day']")
             .get_attribute("aria-pressed") == "true")  # fmt: skip
    assert console_errors(page) == []


def test_a_county_never_sees_the_neighbours_station(site: Site, page: webdriver.Chrome) -> None:
    _send(site)
    sign_in(page, site.url, site.tokens["ours"])
    page.get(f"{site.url}/dashboard/stations/{site.theirs.station_id}")
    _ready(page)
    assert page.find_element(By.ID, "name").text == ZH.gettext("Not found, or outside your area")
    letters = page.find_elements(By.CSS_SELECTOR, "#letters tbody td")
    assert [td.get_attribute("class") for td in letters] == ["empty"]  # none of theirs
    assert page.find_elements(By.CSS_SELECTOR, "p.error")  # the chart: not found
    page.get(f"{site.url}/dashboard/stations")
    _ready(page)
    rows = page.find_elements(By.CSS_SELECTOR, "#stations tbody tr")
    assert site.theirs.station_id not in {r.get_attribute("data-station-id") for r in rows}
