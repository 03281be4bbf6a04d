"""Headless Chromium for the browser tests: Debian's `chromium` driven through its
`chromedriver` by selenium, plus the app served by uvicorn on a free loopback port.

The browser resolves no host but `localhost` (`--host-resolver-rules`): an asset asked of a CDN
fails to load and shows up in `console_errors`, so "served by the app" is checked, not assumed.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import uvicorn
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from recall.tools.api_process import free_port

__all__ = ["BrowserMissingError", "console_errors", "serve", "start_chromium", "wait_for"]

T = TypeVar("T")
WINDOW = (1400, 900)
# Loopback only: a request to any other host fails (shown as a console error) instead of
# leaving the machine; Chromium's own background traffic goes nowhere either.
HOST_RULES = "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"


class BrowserMissingError(RuntimeError):
    """Debian's chromium or chromium-driver is not installed."""


def _find(*names: str) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


def chromium_options(binary: str) -> webdriver.ChromeOptions:
    """Headless, the window size the dashboard is laid out for, console logs kept."""
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    options.add_argument("--headless=new")
    if os.geteuid() == 0:  # Chromium refuses to sandbox itself as root
        options.add_argument("--no-sandbox")
    options.add_argument("--disable-dev-shm-usage")  # containers give /dev/shm 64 MB
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    options.add_argument(f"--host-resolver-rules={HOST_RULES}")
    options.add_argument("--no-first-run")
    options.add_argument("--disable-extensions")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


def start_chromium() -> webdriver.Chrome:
    """A new headless Chromium session; `BrowserMissingError` names the make target to run."""
    binary = _find("chromium", "chromium-browser")
    driver_path = _find("chromedriver")
    if binary is None or driver_path is None:
        found = {"chromium": binary, "chromedriver": driver_path}
        missing = " and ".join(name for name, path in found.items() if path is None)
        raise BrowserMissingError(
            f"{missing} not found on PATH: run `make system-deps`"
            " (Debian's chromium and chromium-driver)"
        )
    driver = webdriver.Chrome(options=chromium_options(binary), service=Service(driver_path))
    driver.set_page_load_timeout(30)
    return driver


_NOT_YET = (NoSuchElementException, StaleElementReferenceException)
"""While a page is being replaced, an element found a moment ago can be gone: not yet, retry."""


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], T], timeout: float = 10.0) -> T:
    """`condition(driver)` once truthy (polled by selenium, no sleeps), else TimeoutException.

    `condition` is any callable of the driver, e.g. `lambda d: d.find_elements(By.CSS_SELECTOR,
    "canvas")` or `expected_conditions.presence_of_element_located((By.ID, "map"))`.
    """
    waited: T = WebDriverWait(driver, timeout, ignored_exceptions=_NOT_YET).until(condition)
    return waited


def console_errors(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """The console's SEVERE entries since the last call (failed loads, uncaught exceptions)."""
    # selenium declares get_log without types
    entries: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return [entry for entry in entries if entry.get("level") == "SEVERE"]


@contextmanager
def serve(app: Any, *, started_within_s: float = 30.0) -> Iterator[str]:
    """`app` (ASGI) served by uvicorn in a thread on a free loopback port; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + started_within_s
    while not server.started:  # uvicorn's own flag: no event to wait on
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def sign_in(page: WebDriver, url: str, token: str, *, lang: str = "zh_CN") -> None:
    """A fresh session through the dashboard's own sign-in form, then the overview, loaded."""
    page.delete_all_cookies()
    page.get(f"{url}/dashboard/login?lang={lang}")
    page.find_element(By.ID, "token").send_keys(token)
    page.find_element(By.CSS_SELECTOR, "form[action='/dashboard/login'] button").click()
    wait_ready(page)


def wait_ready(page: WebDriver, timeout: float = 30.0) -> None:
    """Until the page's `Dashboard.ready` mark: every part of its first view read and drawn.

    Only after a navigation away from a page without the mark (the sign-in form, about:blank):
    a page that already has it answers at once."""
    wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-ready]"), timeout)
