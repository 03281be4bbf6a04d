"""The browser, its driver and the app's own assets end to end: the API served by uvicorn over
the session's PostgreSQL, its CDN-free `/docs` page loaded in headless Chromium, Swagger UI
rendered from `/docs/assets` with operations listed and nothing failing in the console."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.api.app import create_api
from recall.config import load_settings
from tests.support.browser import console_errors, serve, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture
def api_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """Base URL of the regulator API on a fresh, migrated database."""
    upgrade(database_url)
    sessions = make_session_factory(make_engine(database_url))
    settings = load_settings(database_url=database_url, state_dir=tmp_path)
    with serve(create_api(settings, sessions=sessions)) as url:
        yield url


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_docs_page_renders_from_the_apps_own_assets(
    api_url: str, page: webdriver.Chrome
) -> None:
    page.get(f"{api_url}/docs")

    operation = wait_for(
        page, expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".opblock"))
    )

    assert page.title.endswith("— API")
    assert operation.is_displayed()
    assert page.find_elements(By.CSS_SELECTOR, ".opblock-summary-path[data-path='/healthz']")
    assert console_errors(page) == []
