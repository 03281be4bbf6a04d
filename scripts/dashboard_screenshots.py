"""Screenshots of the dashboard's pages in both languages, for docs/dashboard.md.

Run against a running API with data (e.g. `recall demo --keep-running`, which prints a
province regulator's token):

    .venv/bin/python -m scripts.dashboard_screenshots --url http://127.0.0.1:PORT --token rt1_…

Uses the test suite's headless Chromium (Debian's chromium + chromedriver, selenium from the
dev dependencies) and writes docs/images/dashboard-<page>-<lang>.png for every page (detail
pages: the newest open investigation, the recall with most reports, the station with most
rejections, the first city).
"""

from __future__ import annotations

import argparse
import json
import urllib.request
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By

from tests.support.browser import start_chromium, wait_for

LANGS = ("zh_CN", "en")
WIDTH = 1400


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--only", nargs="*", help="page names to take (default: all)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    pages = _pages(args.url, args.token)
    driver = start_chromium()
    try:
        driver.set_window_size(WIDTH, 1000)
        driver.get(f"{args.url}/dashboard/login")
        driver.find_element(By.ID, "token").send_keys(args.token)
        driver.find_element(By.CSS_SELECTOR, "form[action='/dashboard/login'] button").click()
        for name, path in pages.items():
            if args.only and name not in args.only:
                continue
            for lang in LANGS:
                driver.get("about:blank")  # leave the tall page before resizing back
                driver.set_window_size(WIDTH, 1000)
                joiner = "&" if "?" in path else "?"
                driver.get(f"{args.url}{path}{joiner}lang={lang}")
                wait_for(
                    driver, lambda d: d.execute_script("return !!document.body.dataset.ready"), 30
                )
                wait_for(
                    driver,
                    lambda d: d.find_element(By.ID, "live").get_attribute("data-state") == "on",
                    timeout=30,
                )
                height = driver.execute_script("return document.body.scrollHeight")
                driver.set_window_size(WIDTH, min(2600, max(900, int(height))))
                wait_for(driver, lambda d: d.execute_script("return !!document.body.dataset.ready"))
                target = args.out / f"dashboard-{name}-{lang.split('_')[0]}.png"
                driver.save_screenshot(str(target))
                print(target)
    finally:
        driver.quit()


def _pages(url: str, token: str) -> dict[str, str]:
    """Every page, with the richest object of each kind the account sees for the detail pages."""
    pages = {
        "overview": "/dashboard",
        "regions": "/dashboard/regions",
        "investigations": "/dashboard/investigations",
        "recalls": "/dashboard/recalls",
        "stations": "/dashboard/stations",
    }
    investigation = _read(url, token, "/investigations?limit=1&state=opened")["items"]
    if investigation:
        pages["investigation"] = f"/dashboard/investigations/{investigation[0]['investigation_id']}"
    recalls = _read(url, token, "/recalls?limit=200")["items"]
    if recalls:
        busiest = max(recalls, key=lambda r: (r.get("reports") or 0, r.get("raw_rate") or 0))
        pages["recall"] = f"/dashboard/recalls/{busiest['recall_id']}"
    stations = _read(url, token, "/stations?limit=200")["items"]
    if stations:
        worst = max(
            stations, key=lambda s: (sum((s.get("rejected") or {}).values()), s["accepted"])
        )
        pages["station"] = f"/dashboard/stations/{worst['station_id']}"
    cities = sorted({s["jurisdiction"][:4] + "00" for s in stations if s.get("jurisdiction")})
    if cities:
        pages["region"] = f"/dashboard/regions?region={cities[0]}"
    return pages


def _read(url: str, token: str, path: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{url}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body: dict[str, Any] = json.loads(response.read())
    return body


if __name__ == "__main__":
    main()
