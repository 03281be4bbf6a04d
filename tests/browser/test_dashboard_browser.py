"""The dashboard in headless Chromium, against a real broker, worker, PostgreSQL and API.

A county regulator signs in, watches the overview go live, and sees an investigation opened
in its county arrive without a reload — carried by the real path: the investigation service
writes it with its outbox row, the worker publishes it to `investigations.events`, the API's
live hub reads the topic and streams it to the page. An investigation opened at the same time
in a neighbouring county never reaches that page, not live and not after a reload; the
province regulator sees both. The language switch changes every label.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.storage import SqlStorage
from recall.api.app import create_api, output_topics
from recall.domain.access import Role
from recall.service.accounts.commands import NewAccount, add_account
from recall.service.investigations.signals import handle_signals
from schemas.common import make_product_key
from schemas.risk import SignalRaised
from tests.support.browser import console_errors, serve, sign_in, wait_for
from tests.support.pipeline import Pipeline

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


@dataclass(frozen=True)
class Site:
    url: str
    pipeline: Pipeline
    county_a: str
    county_b: str
    tokens: dict[str, str]
    names: dict[str, str]  # region code → its Chinese name, as the pages show it

    def name(self, code: str) -> str:
        return self.names[code]


@pytest.fixture
def site(pipeline: Pipeline) -> Iterator[Site]:
    pipeline.start_worker()
    sessions = pipeline.sessions
    counties = sorted({s.jurisdiction for s in pipeline.registry.stations})
    county_a = counties[0]
    county_b = next(c for c in counties if c[:4] == county_a[:4] and c != county_a)
    province = county_a[:2] + "0000"
    tokens = {
        "county_a": _account(sessions, county_a),
        "county_b": _account(sessions, county_b),
        "province": _account(sessions, province),
    }
    with serve(create_api(pipeline.settings, sessions=sessions)) as url:
        names = {r.code: r.name_zh for r in pipeline.registry.regions}
        assert names[county_a] != names[county_b]
        yield Site(url, pipeline, county_a, county_b, tokens, names)


def _account(sessions: sessionmaker[Session], region: str) -> str:
    new = NewAccount(f"regulator {region}", Role.REGULATOR, region=region)
    return add_account(SqlAccountStorage(sessions), new, by="cli:test", at=datetime.now(UTC)).token


def _open_investigation(site: Site, region: str, n: int) -> str:
    key = _product_key(site, n)
    signal = SignalRaised(
        signal_id=f"browser-sig-{n}",
        product_key=key,
        hazard="fire",
        category=site.pipeline.registry.products[n].category,
        jurisdiction=region,
        method="live_nb",
        risk_level="serious",
        day=datetime.now(UTC).date().isoformat(),
        observed=9.0,
        expected=1.0,
        threshold=4.0,
        statistic=9.0,
        window="7d",
        explanation=("browser test",),
        trigger_event_id=f"browser-ev-{n}",
        raised_at=datetime.now(UTC),
    )
    outcome = handle_signals(
        SqlStorage(site.pipeline.sessions), [signal], topics=output_topics(site.pipeline.settings)
    )
    assert len(outcome.opened) == 1
    return outcome.opened[0]


def _expected_owner(site: Site, n: int) -> str:
    """How the pages show the owner of product n's serious signal in county A: its city, or
    the province when the product's firm is at home in another city."""
    registry = site.pipeline.registry
    home = {m.credit_code: m.jurisdiction for m in registry.manufacturers}[
        registry.products[n].manufacturer_code
    ]
    if home[:4] == site.county_a[:4]:
        return f"{site.name(site.county_a[:4] + '00')} · 市级"
    return f"{site.name(site.county_a[:2] + '0000')} · 省级"


def _queue_showing(page: webdriver.Chrome, *needles: str) -> str:
    """The queue table's text once it shows every needle (the page reads the API on load)."""

    def text(driver: WebDriver) -> str | None:
        shown: str = driver.find_element(By.ID, "queue").text
        return shown if all(n in shown for n in needles) else None

    shown = wait_for(page, text)
    assert shown is not None  # wait_for returns only a truthy answer
    return shown


def _product_key(site: Site, n: int) -> str:
    product = site.pipeline.registry.products[n]
    return make_product_key(product.manufacturer_code, product.brand, product.model)


def _queue_ids(page: webdriver.Chrome) -> set[str]:
    rows = page.find_elements(By.CSS_SELECTOR, "#queue tbody tr")
    return {r.get_attribute("data-investigation-id") or r.text for r in rows}


def test_a_county_sees_its_new_investigation_live_and_never_its_neighbours(
    site: Site, page: webdriver.Chrome
) -> None:
    sign_in(page, site.url, site.tokens["county_a"])
    wait_for(page, lambda d: d.find_element(By.ID, "live").get_attribute("data-state") == "on",
             timeout=60)  # fmt: skip

    ours = _open_investigation(site, site.county_a, 1)
    theirs = _open_investigation(site, site.county_b, 2)

    arrived = wait_for(
        page,
        lambda d: d.find_elements(By.CSS_SELECTOR, f"#queue tr[data-investigation-id='{ours}']"),
        timeout=60,
    )
    assert arrived[0].is_displayed()
    # Both outbox rows are published by the same worker pass or the next: once ours is on the
    # page, theirs has been on the topic too; a page must not have received it.
    _wait_published(site, theirs)
    assert theirs not in _queue_ids(page)
    page.refresh()  # and read from the API: the neighbour's is not listed either
    listed = _queue_showing(page, _product_key(site, 1))
    assert _product_key(site, 2) not in listed
    assert site.name(site.county_b) not in listed and site.county_b not in listed
    assert console_errors(page) == []


def test_the_province_sees_both_counties(site: Site, page: webdriver.Chrome) -> None:
    _open_investigation(site, site.county_a, 3)
    _open_investigation(site, site.county_b, 4)
    sign_in(page, site.url, site.tokens["province"])
    a, b = site.name(site.county_a), site.name(site.county_b)
    queue = _queue_showing(page, a, b)  # regions by name, not code
    assert a in queue and b in queue
    assert site.county_a not in queue


def test_the_language_switch_changes_every_label(site: Site, page: webdriver.Chrome) -> None:
    sign_in(page, site.url, site.tokens["county_a"])
    assert page.find_element(By.TAG_NAME, "h1").text.startswith("总览")
    assert page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    page.find_element(By.CSS_SELECTOR, ".langs a[lang='en']").click()
    wait_for(page, lambda d: d.find_element(By.TAG_NAME, "h1").text.startswith("Overview"))
    assert page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    headers = [h.text for h in page.find_elements(By.CSS_SELECTOR, "#queue th")]
    assert headers == ["Opened", "Product", "Hazard", "State", "Region"]
    page.find_element(By.CSS_SELECTOR, ".langs a[lang='zh-CN']").click()
    wait_for(page, lambda d: d.find_element(By.TAG_NAME, "h1").text.startswith("总览"))
    assert page.find_element(By.CSS_SELECTOR, "#queue th").text == "立案时间"


def _wait_published(site: Site, investigation_id: str, timeout_s: float = 60) -> None:
    """Until the outbox row of the investigation's opening is marked published."""
    from sqlalchemy import select

    from recall.adapters.db.models import OutboxRow

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with site.pipeline.sessions() as session:
            published = session.scalar(
                select(OutboxRow.published_at).where(OutboxRow.record_id == f"{investigation_id}:0")
            )
        if published is not None:
            return
        time.sleep(0.1)  # polling a condition with a deadline
    raise AssertionError(f"the opening of {investigation_id} was not published in {timeout_s} s")


def _assignable(site: Site) -> int:
    """A registry product whose category has three eligible experts (a panel can be chosen)."""
    registry = site.pipeline.registry
    for n, product in enumerate(registry.products):
        eligible = [
            e
            for e in registry.experts
            if e.active
            and product.category in e.categories
            and product.manufacturer_code not in e.linked_firms
        ]
        if len(eligible) >= 3 and n > 10:
            return n
    raise AssertionError("the test registry has no category with three eligible experts")


def test_open_an_investigation_assign_a_panel_conclude_and_request_a_recall(
    site: Site, page: webdriver.Chrome
) -> None:
    n = _assignable(site)
    ours = _open_investigation(site, site.county_a, n)
    theirs = _open_investigation(site, site.county_b, n + 1)
    sign_in(page, site.url, site.tokens["county_a"])
    page.get(f"{site.url}/dashboard/investigations")
    link = wait_for(
        page,
        lambda d: d.find_elements(By.CSS_SELECTOR, f"tr[data-investigation-id='{ours}'] a"),
    )[0]
    assert not page.find_elements(By.CSS_SELECTOR, f"tr[data-investigation-id='{theirs}']")
    # Owned at a higher tier (docs/tiers.md), and the county still sees it: a serious signal
    # goes to the city, a firm from another city lifts it to the province (both cover it).
    owner = _expected_owner(site, n)
    row = page.find_element(By.CSS_SELECTOR, f"tr[data-investigation-id='{ours}']").text
    assert owner in row
    link.click()

    wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-charts-drawn]"))
    assert page.find_element(By.ID, "product").text == _product_key(site, n)
    assert page.find_elements(By.CSS_SELECTOR, "#series-chart svg")
    assert "browser test" in page.find_element(By.ID, "evidence").text
    assert page.find_element(By.ID, "owner").text == owner
    moves = page.find_element(By.ID, "tier-moves").text  # why it came there, by which rule
    assert owner in moves and ("按企业所在地" in moves or "按严重程度" in moves)
    assign = page.find_element(By.ID, "assign")
    assert assign.is_displayed()
    assign.click()

    def answered(driver: WebDriver) -> str | None:
        text: str = driver.find_element(By.ID, "action-status").text
        return text if text and text != "正在指派…" else None

    status = wait_for(page, answered, timeout=30)
    assert status is not None
    assert status.startswith("已指派专家组"), status
    panel = [e.text for e in page.find_elements(By.CSS_SELECTOR, "#experts li")]
    assert len(panel) == 3
    assert all(expert in status for expert in panel)
    assert "指派专家" in page.find_element(By.ID, "audit").text
    assert "已指派专家" in page.find_element(By.ID, "facts").text  # the state, re-rendered

    # Decide from the page: a confirmed defect (its level and hazard), then a recall requested.
    assert not page.find_element(By.ID, "recall-form").is_displayed()
    form = page.find_element(By.ID, "conclude-form")
    form.find_element(By.CSS_SELECTOR, "input[value='defect_confirmed']").click()
    wait_for(page, lambda d: d.find_element(By.ID, "hazard-description").is_enabled())
    page.find_element(By.ID, "hazard-description").send_keys("外壳过热，可致烫伤")
    page.find_element(By.ID, "conclude-reason").send_keys("实验室复测确认缺陷")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(page, lambda d: "已结论" in d.find_element(By.ID, "facts").text, timeout=30)
    assert page.find_element(By.ID, "decide-status").text == "已记录"
    assert not form.is_displayed()  # concluded: no second conclusion
    recall = page.find_element(By.ID, "recall-form")
    assert recall.is_displayed()
    page.find_element(By.ID, "recall-reason").send_keys("缺陷确认 责令召回")
    recall.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(page, lambda d: "已要求召回" in d.find_element(By.ID, "facts").text, timeout=30)
    audit = page.find_element(By.ID, "audit").text
    assert "实验室复测确认缺陷" in audit and "缺陷确认 责令召回" in audit
    assert not page.find_element(By.ID, "decide").is_displayed()  # nothing left to decide

    page.get(f"{site.url}/dashboard/investigations/{theirs}")  # the neighbour's, by its URL
    wait_for(page, lambda d: d.find_element(By.ID, "product").text == "未找到，或不在您的辖区内")
    assert _product_key(site, n + 1) not in page.page_source
    # 404s by design: the neighbour's investigation, and this test's product, which no
    # registry, score or station report names (its page then says there is nothing to show).
    expected = ("/investigations/", "/products/")
    assert [e for e in console_errors(page) if not any(x in e["message"] for x in expected)] == []
