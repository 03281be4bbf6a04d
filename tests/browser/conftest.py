"""One headless Chromium for the whole browser-test session (starting one takes a second or
two); `tests.support.browser` has `wait_for`, `console_errors` and `serve`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver

from recall.config import Settings
from tests.support.browser import BrowserMissingError, console_errors, start_chromium
from tests.support.pipeline import Pipeline


@pytest.fixture(scope="session")
def browser() -> Iterator[webdriver.Chrome]:
    """Headless Debian Chromium via chromedriver, 1400x900, loopback-only name resolution."""
    try:
        driver = start_chromium()
    except BrowserMissingError as missing:
        pytest.fail(str(missing), pytrace=False)
    yield driver
    driver.quit()


@pytest.fixture
def page(browser: webdriver.Chrome) -> webdriver.Chrome:
    """The session's browser on a blank page, with no cookies and an empty console log: what one
    test signed in as or printed does not leak into the next (same-origin storage does)."""
    browser.get("about:blank")
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    console_errors(browser)  # reading the log empties it
    return browser


@pytest.fixture
def pipeline(broker_settings: Settings, database_url: str, tmp_path: Path) -> Iterator[Pipeline]:
    """An isolated pipeline (own topics, database, registry; workers on demand), as in
    tests/integration: the dashboard tests drive the whole system, browser included."""
    p = Pipeline.create(broker_settings, database_url, tmp_path)
    yield p
    p.close()
