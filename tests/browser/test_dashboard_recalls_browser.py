"""The recall pages in headless Chromium, against a real broker, worker, PostgreSQL and API.

Two firms announce a recall each through the intake topic — one in a county, one in a
neighbouring county — and the first sends three progress reports; a hospital reports burns
from the recalled batch before and after the start. The worker validates and stores them like
any station's records. The county's regulator opens Recalls, clicks its recall and sees the
correction curve drawn with one point per report, the forecast band up to the target date and
the report rows; a new injury after the start raises `recall_ineffective`, which appears on the
open page without a reload. The neighbour county's regulator finds neither the recall in its
register nor its page ("not found, or outside your area").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.models import RecallProgressRow, RecallRow
from recall.api.app import create_api
from recall.domain.access import Role
from recall.service.accounts.commands import NewAccount, add_account
from schemas.registry import ProductEntry, RegistryFile, StationEntry
from tests.support.browser import console_errors, serve, sign_in, wait_for
from tests.support.cases import CHINA_TZ, burn_with_batch, progress_report, recall_notice
from tests.support.pipeline import Pipeline

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

OURS, THEIRS = "RC-BROWSER-A", "RC-BROWSER-B"
BATCH = "B2026-07"
AFFECTED = 10_000
CORRECTED = (2_100, 3_300, 3_900)  # cumulative, reports 1..3
LATE_BURNS = (95, 100)  # days after the start: two injuries, then a third with the page open


@dataclass(frozen=True)
class Site:
    url: str
    pipeline: Pipeline
    ours: str  # the county of our recall
    theirs: str  # the neighbour county
    tokens: dict[str, str]


def _firms(registry: RegistryFile) -> tuple[tuple[StationEntry, ProductEntry], ...]:
    """Two firms with a product each, in two counties (of one city when the registry has it)."""
    made = [
        (firm, product)
        for firm in registry.stations
        if firm.kind.value == "firm" and firm.enabled
        for product in registry.products[:1_000]
        if product.manufacturer_code == firm.manufacturer_code
    ]
    first = made[0]
    others = [m for m in made if m[0].jurisdiction != first[0].jurisdiction]
    neighbours = [m for m in others if m[0].jurisdiction[:4] == first[0].jurisdiction[:4]]
    return first, (neighbours or others)[0]


def _account(sessions: sessionmaker[Session], region: str) -> str:
    new = NewAccount(f"regulator {region}", Role.REGULATOR, region=region)
    return add_account(
        SqlAccountStorage(sessions), new, by="cli:test", at=datetime.now(CHINA_TZ)
    ).token


@pytest.fixture
def site(pipeline: Pipeline) -> Iterator[Site]:
    registry = pipeline.registry
    (firm, product), (other_firm, other_product) = _firms(registry)
    hospital = next(s for s in registry.stations if s.kind.value == "hospital" and s.enabled)
    now = datetime.now(CHINA_TZ)
    start = now - timedelta(days=100)
    records = [
        (
            firm,
            recall_notice(firm, product, OURS, start=start, affected=AFFECTED, batches=(BATCH,)),
        ),
        *[
            (firm, progress_report(firm, OURS, k, start=start, corrected=c, located=8_000))
            for k, c in enumerate(CORRECTED, start=1)
        ],
        (other_firm, recall_notice(other_firm, other_product, THEIRS, start=start)),
        (hospital, burn_with_batch(hospital, product, start - timedelta(days=40), BATCH)),
        *[
            (hospital, burn_with_batch(hospital, product, start + timedelta(days=d), BATCH))
            for d in LATE_BURNS
        ],
    ]
    pipeline.start_worker()
    sender = pipeline.sender()
    for station, value in records:
        sender.send(station.station_id, value)
    sender.flush()
    sender.close()
    pipeline.wait_counts(events=len(records), dead_letters=0, duplicates=0)
    pipeline.wait(lambda: _stored(pipeline.sessions), 60)
    tokens = {
        "ours": _account(pipeline.sessions, firm.jurisdiction),
        "theirs": _account(pipeline.sessions, other_firm.jurisdiction),
    }
    with serve(create_api(pipeline.settings, sessions=pipeline.sessions)) as url:
        yield Site(url, pipeline, firm.jurisdiction, other_firm.jurisdiction, tokens)


def _stored(sessions: sessionmaker[Session]) -> bool:
    """Both recalls stored, ours with its three reports and its figures published."""
    with sessions() as session:
        ours, theirs = session.get(RecallRow, OURS), session.get(RecallRow, THEIRS)
        reports = session.query(RecallProgressRow).filter_by(recall_id=OURS).count()
    return bool(ours and theirs and ours.last_effectiveness and reports == len(CORRECTED))


def _ready(page: webdriver.Chrome) -> None:
    wait_for(page, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))


def _register_ids(page: webdriver.Chrome) -> set[str]:
    rows = page.find_elements(By.CSS_SELECTOR, "#register tbody tr[data-recall-id]")
    return {r.get_attribute("data-recall-id") or "" for r in rows}


def _data(page: webdriver.Chrome, element: str, name: str) -> Any:
    return json.loads(page.find_element(By.ID, element).get_attribute(f"data-{name}") or "null")


def test_a_county_opens_its_recall_and_sees_the_curve_band_and_reports(
    site: Site, page: webdriver.Chrome
) -> None:
    sign_in(page, site.url, site.tokens["ours"])
    wait_for(page, lambda d: d.find_element(By.ID, "live").get_attribute("data-state") == "on",
             timeout=60)  # fmt: skip
    page.find_element(By.CSS_SELECTOR, "nav a[href='/dashboard/recalls']").click()
    _ready(page)
    assert _register_ids(page) == {OURS}  # the neighbour's recall is not listed
    page.find_element(By.CSS_SELECTOR, f"#register tr[data-recall-id='{OURS}'] a").click()
    wait_for(page, lambda d: d.find_element(By.ID, "curve-chart").get_attribute("data-drawn"))
    _ready(page)

    # the curve: one point per report, at the rates the firm reported
    points = _data(page, "curve-chart", "points")
    assert set(points) == {"consumer"}  # one supply level: it is the overall curve
    assert [rate for _, rate in points["consumer"]] == pytest.approx(
        [c / AFFECTED for c in CORRECTED]
    )
    chart = page.find_element(By.ID, "curve-chart")
    assert chart.get_attribute("role") == "img"
    assert chart.get_attribute("aria-label")
    assert chart.find_elements(By.CSS_SELECTOR, "svg path")
    # the forecast band from the last report to the target date, never below what is reached
    band = _data(page, "curve-chart", "band")
    assert len(band) > 2
    for _, low, rate, high in band:
        assert CORRECTED[-1] / AFFECTED - 1e-9 <= low <= rate <= high <= 1
    assert "80%" in page.find_element(By.ID, "forecast-note").text
    # the report rows, and the figures beside them
    rows = page.find_elements(By.CSS_SELECTOR, "#reports tbody tr")
    assert [r.get_attribute("data-sequence") for r in rows] == ["1", "2", "3"]
    assert "39" in rows[-1].text  # 3,900 of 10,000 corrected: 39.0 %
    assert page.find_element(By.ID, "f-target").text == "80%"
    before_after = _data(page, "incidents-chart", "periods")
    assert sum(p[1] for p in before_after if not p[3]) == 1
    assert sum(p[1] for p in before_after if p[3]) == len(LATE_BURNS)

    # a third late injury: the post-recall rule fires, and its alert reaches the open page
    hospital = next(s for s in site.pipeline.registry.stations if s.kind.value == "hospital")
    product = _firms(site.pipeline.registry)[0][1]
    sender = site.pipeline.sender()
    occurred = datetime.now(CHINA_TZ) - timedelta(days=1)
    sender.send(hospital.station_id, burn_with_batch(hospital, product, occurred, BATCH))
    sender.flush()
    sender.close()
    alert = wait_for(
        page,
        lambda d: d.find_elements(By.CSS_SELECTOR, "#alerts li[data-kind='recall_ineffective']"),
        timeout=60,
    )
    assert alert[0].is_displayed()
    assert console_errors(page) == []


def test_the_neighbour_county_neither_lists_nor_opens_it(
    site: Site, page: webdriver.Chrome
) -> None:
    sign_in(page, site.url, site.tokens["theirs"])
    page.get(f"{site.url}/dashboard/recalls")
    _ready(page)
    assert _register_ids(page) == {THEIRS}
    page.get(f"{site.url}/dashboard/recalls/{OURS}")
    _ready(page)
    assert page.find_element(By.ID, "title").text == "未找到，或不在您的辖区内"
    assert not page.find_element(By.CSS_SELECTOR, "#recall .grid").is_displayed()
    errors = console_errors(page)  # the API's 404 for the recall is the one expected
    assert all(f"/recalls/{OURS}" in e["message"] and "404" in e["message"] for e in errors)
