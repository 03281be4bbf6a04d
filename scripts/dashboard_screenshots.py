"""Screenshots of the dashboard's pages in both languages, for docs/dashboard.md.

Run against a running API with data (e.g. `recall demo --keep-running`, which prints a
province regulator's token):

    .venv/bin/python -m scripts.dashboard_screenshots --url http://127.0.0.1:PORT --token rt1_…

Uses the test suite's headless Chromium (Debian's chromium + chromedriver, selenium from the
dev dependencies) and writes docs/images/dashboard-<page>-<lang>.png.
"""

from __future__ import annotations

import argparse
import json
import urllib.request
from pathlib import Path

from selenium.webdriver.common.by import By

from tests.support.browser import start_chromium, wait_for

PAGES = {"overview": "/dashboard", "investigations": "/dashboard/investigations"}
LANGS = ("zh_CN", "en")
CHARTS_DRAWN = (By.CSS_SELECTOR, "body[data-charts-drawn]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    driver = start_chromium()
    try:
        driver.set_window_size(1400, 1000)
        driver.get(f"{args.url}/dashboard/login")
        driver.find_element(By.ID, "token").send_keys(args.token)
        driver.find_element(By.CSS_SELECTOR, "form[action='/dashboard/login'] button").click()
        pages = dict(PAGES)
        pages["investigation"] = _first_investigation(args.url, args.token)
        for name, path in pages.items():
            for lang in LANGS:
                driver.get("about:blank")  # leave the tall page before resizing back
                driver.set_window_size(1400, 1000)
                driver.get(f"{args.url}{path}?lang={lang}")
                if name != "investigations":
                    wait_for(driver, lambda d: d.find_elements(*CHARTS_DRAWN))
                wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "tbody:empty"))
                wait_for(
                    driver,
                    lambda d: d.find_element(By.ID, "live").get_attribute("data-state") == "on",
                    timeout=30,
                )
                height = driver.execute_script("return document.body.scrollHeight")
                driver.set_window_size(1400, min(2400, max(900, int(height))))
                target = args.out / f"dashboard-{name}-{lang.split('_')[0]}.png"
                driver.save_screenshot(str(target))
                print(target)
    finally:
        driver.quit()


def _first_investigation(url: str, token: str) -> str:
    """The dashboard address of the newest open investigation the account sees."""
    request = urllib.request.Request(
        f"{url}/investigations?limit=1&state=opened", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    return f"/dashboard/investigations/{body['items'][0]['investigation_id']}"


if __name__ == "__main__":
    main()
