"""Risk by region in headless Chromium, against a real broker, worker, PostgreSQL and API.

Signals sit in two counties of Taiyuan and one of Datong (cities of one province). The
province regulator sees both cities by name, drills province → city by clicking the heat
map's label, city → county with the keyboard (a focused link and Enter), and back up and down
again by clicking the breadcrumbs and the table; the county shows its own signals. A county
regulator's page never shows another county: not its name, not its signals, not by its
address, not live — while its own new signal arrives live (topic → worker and live hub).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from kafka import KafkaProducer
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.models import RiskSignalRow
from recall.adapters.db.read_model_rows import signal_row
from recall.api.app import create_api
from recall.domain.access import Role
from recall.service.accounts.commands import NewAccount, add_account
from schemas.risk import SignalRaised
from schemas.topics import RISK_SIGNALS
from tests.support.browser import console_errors, serve, sign_in, wait_for
from tests.support.pipeline import Pipeline

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]
CATEGORIES = ("appliances", "children", "electronics")


@dataclass(frozen=True)
class Site:
    url: str
    pipeline: Pipeline
    province: str
    county_a: str  # in city A
    county_a2: str  # its neighbour in city A
    county_b: str  # in city B
    names: dict[str, str]
    signals: dict[str, list[SignalRaised]]
    tokens: dict[str, str]

    def city(self, county: str) -> str:
        return county[:4] + "00"


def _signal(tag: str, county: str, n: int, *, days_ago: int) -> SignalRaised:
    raised = datetime.now(UTC) - timedelta(days=days_ago, minutes=n)
    return SignalRaised(
        signal_id=f"br-{tag}-{county}-{n}",
        product_key=f"91{county}MA0000000X/acme/{tag}-{county}-{n}",
        hazard="fire",
        category=CATEGORIES[n % len(CATEGORIES)],
        jurisdiction=county,
        method="live_nb",
        risk_level=("medium", "high", "serious")[n % 3],
        day=raised.date().isoformat(),
        observed=6.0,
        expected=1.0,
        threshold=3.0,
        statistic=6.0,
        window="7d",
        explanation=("browser test",),
        trigger_event_id=f"ev-{tag}-{county}-{n}",
        raised_at=raised,
    )


@pytest.fixture
def site(pipeline: Pipeline) -> Iterator[Site]:
    pipeline.start_worker()
    sessions = pipeline.sessions
    names = {r.code: r.name_zh for r in pipeline.registry.regions}
    counties = sorted(c for c in names if not c.endswith("00"))
    county_a = counties[0]
    county_a2 = next(c for c in counties if c[:4] == county_a[:4] and c != county_a)
    county_b = next(c for c in counties if c[:4] != county_a[:4])
    signals = {
        county: [_signal("seed", county, n, days_ago=2 + 9 * n) for n in range(count)]
        for county, count in ((county_a, 4), (county_a2, 3), (county_b, 5))
    }
    with sessions.begin() as session:
        session.add_all(RiskSignalRow(**signal_row(s)) for ss in signals.values() for s in ss)
    province = county_a[:2] + "0000"
    tokens = {r: _account(sessions, r) for r in (province, county_a)}
    with serve(create_api(pipeline.settings, sessions=sessions)) as url:
        yield Site(url, pipeline, province, county_a, county_a2, county_b, names, signals, tokens)


def _account(sessions: sessionmaker[Session], region: str) -> str:
    new = NewAccount(f"regulator {region}", Role.REGULATOR, region=region)
    return add_account(SqlAccountStorage(sessions), new, by="cli:test", at=datetime.now(UTC)).token


def _ready(page: WebDriver, region: str) -> None:
    """Until the page of `region` has loaded (its URL, and the first view drawn or failed)."""
    wait_for(page, lambda d: f"region={region}" in d.current_url, timeout=20)
    wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-ready]"), timeout=20)


def _parts(page: WebDriver) -> list[str]:
    """The regions the table lists (its row headers), as shown."""
    return [th.text for th in page.find_elements(By.CSS_SELECTOR, "#children tbody th")]


def _crumbs(page: WebDriver) -> list[str]:
    return [li.text for li in page.find_elements(By.CSS_SELECTOR, "#crumbs li")]


def _latest(page: WebDriver) -> str:
    """The latest-signals table's text once it has loaded."""
    shown = wait_for(page, lambda d: d.find_element(By.ID, "latest").text or None)
    assert shown is not None  # wait_for returns only a truthy answer
    return shown


def _load_ms(page: WebDriver) -> float:
    measured: float = page.execute_script(
        "return performance.getEntriesByName('dashboard-ready')[0].startTime"
    )
    return measured


def test_a_province_drills_from_province_to_county(site: Site, page: webdriver.Chrome) -> None:
    city_a, city_b = site.city(site.county_a), site.city(site.county_b)
    sign_in(page, site.url, site.tokens[site.province])
    page.find_element(By.CSS_SELECTOR, "nav a[href='/dashboard/regions']").click()
    wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-ready]"), timeout=20)
    print(f"risk by region, province page ready in {_load_ms(page):.0f} ms")
    parts = _parts(page)
    assert site.names[city_a] in parts and site.names[city_b] in parts
    heat = page.find_element(By.ID, "heatmap")
    labels = {t.text: t for t in heat.find_elements(By.CSS_SELECTOR, "svg text") if t.text}
    assert site.names[city_a] in labels and site.names[city_b] in labels
    row = page.find_element(By.CSS_SELECTOR, f"#children tr[data-region='{city_a}']")
    expected_a = len(site.signals[site.county_a]) + len(site.signals[site.county_a2])
    assert row.find_elements(By.TAG_NAME, "td")[0].text == str(expected_a)

    labels[site.names[city_a]].click()  # the heat map's label: province → city
    _ready(page, city_a)
    assert _crumbs(page) == [site.names[site.province], site.names[city_a]]
    assert set(_parts(page)) >= {site.names[site.county_a], site.names[site.county_a2]}
    assert site.names[site.county_b] not in _parts(page)

    link = page.find_element(By.CSS_SELECTOR, f"#children a[data-region='{site.county_a}']")
    link.send_keys(Keys.ENTER)  # focus the link and press Enter: city → county
    _ready(page, site.county_a)
    assert _crumbs(page)[-1] == site.names[site.county_a]
    assert page.find_element(By.ID, "region-name").text == (
        f"{site.names[site.county_a]} ({site.county_a})"
    )
    latest = _latest(page)
    assert all(s.product_key in latest for s in site.signals[site.county_a])
    assert not any(s.product_key in latest for s in site.signals[site.county_a2])

    page.find_element(By.CSS_SELECTOR, f"#crumbs a[data-region='{site.province}']").click()
    _ready(page, site.province)
    page.find_element(By.CSS_SELECTOR, f"#children a[data-region='{city_b}']").click()
    _ready(page, city_b)
    page.find_element(By.CSS_SELECTOR, f"#children a[data-region='{site.county_b}']").click()
    _ready(page, site.county_b)
    shown = _latest(page)
    assert all(s.product_key in shown for s in site.signals[site.county_b])
    assert console_errors(page) == []


def test_a_county_never_sees_another_county(site: Site, page: webdriver.Chrome) -> None:
    sign_in(page, site.url, site.tokens[site.county_a])
    wait_for(page, lambda d: d.find_element(By.ID, "live").get_attribute("data-state") == "on",
             timeout=60)  # fmt: skip
    page.get(f"{site.url}/dashboard/regions")
    wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-ready]"), timeout=20)
    assert _parts(page) == [site.names[site.county_a]]
    wait_for(page, lambda d: d.find_element(By.ID, "live").get_attribute("data-state") == "on",
             timeout=60)  # fmt: skip
    others = [site.county_a2, site.county_b]
    _never_shows(page, site, others)

    ours = _signal("live", site.county_a, 0, days_ago=0)
    theirs = _signal("live", site.county_a2, 0, days_ago=0)
    _publish(site, theirs, ours)  # the neighbour's first
    wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR,
             f"#latest tr[data-signal-id='{ours.signal_id}']"), timeout=60)  # fmt: skip
    _projected(site, theirs, ours)  # both were on the topic; the page got one
    assert not page.find_elements(By.CSS_SELECTOR, f"tr[data-signal-id='{theirs.signal_id}']")
    page.refresh()
    wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-ready]"), timeout=20)
    assert ours.product_key in page.find_element(By.ID, "latest").text
    _never_shows(page, site, others)
    assert theirs.product_key not in page.page_source

    page.get(f"{site.url}/dashboard/regions?region={site.county_a2}")  # by its address
    wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-ready]"), timeout=20)
    assert page.find_element(By.ID, "region-name").text == "未找到，或不在您的辖区内"
    _never_shows(page, site, others, typed=site.county_a2)
    page.get(f"{site.url}/dashboard/regions?region={site.province}")  # narrowed to its own
    _ready(page, site.province)
    assert _parts(page) == [site.names[site.county_a]]
    _never_shows(page, site, others)


def _never_shows(
    page: WebDriver, site: Site, counties: list[str], typed: str | None = None
) -> None:
    """No name, code or signal of `counties` in the page (the code `typed` in the address is
    echoed: the page says that region is not found)."""
    source = page.page_source
    for county in counties:
        assert site.names[county] not in source, county
        assert county == typed or county not in source, county
        assert not any(s.product_key in source for s in site.signals[county]), county


def _publish(site: Site, *signals: SignalRaised) -> None:
    """Onto `risk.signals` as the risk agents write them: the worker projects them into
    SQL, the API's live hub streams them to the pages that may see them."""
    settings = site.pipeline.settings
    producer = KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, acks="all", **settings.kafka_client_options()
    )
    topic = settings.topic_name(RISK_SIGNALS.name)
    for signal in signals:
        producer.send(
            topic, key=signal.product_key.encode(), value=signal.model_dump_json().encode()
        )
        producer.flush()
    producer.close()


def _projected(site: Site, *signals: SignalRaised) -> None:
    ids = {s.signal_id for s in signals}

    def stored() -> bool:
        with site.pipeline.sessions() as session:
            found = session.scalars(
                select(RiskSignalRow.signal_id).where(RiskSignalRow.signal_id.in_(ids))
            ).all()
        return set(found) == ids

    site.pipeline.wait(stored, timeout_s=60)
