"""How long one run of the live disproportionality job takes on a realistic `events` table.

A province's 90 days of injury reports: `--reports` rows (default 300,000) over 10 categories
of 2,000 products each, product popularity Zipf-like (a few products take most reports), each
report's mechanism and injury nature drawn from 12 combinations (9 hazards), plus as many
non-injury events (heartbeats and sampling results the grouped query must skip) and a year of
older injury reports outside the window. One run is what the leader's timer does: the grouped
query, the tables, PRR/ROR/IC for pairs of 3+, the table replaced in one transaction; then
one worker's reload of the map. Printed per run; the spread of `--runs` runs is what to report.

    python -m recall.tools.bench.disproportionality_job --url sqlite:////tmp/dispro.db
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import insert

from recall.adapters.db.disproportionality_store import SqlLiveDisproportionality
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.event_counts import SqlInjuryCounts
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import Event
from recall.service.risk.disproportionality_job import (
    evidence_by_product,
    run_disproportionality_job,
)

CATEGORIES = (
    "children",
    "appliances",
    "electronics",
    "textiles",
    "furniture",
    "vehicles",
    "sports",
    "kitchenware",
    "lighting",
    "personal_care",
)
CODES = (
    ("fall", "fracture"),
    ("hot_object", "burn_scald"),
    ("electric", "electric_shock"),
    ("cut_pierce", "laceration"),
    ("choking", "choking_suffocation"),
    ("fire_flame", "burn_scald"),
    ("chemical", "poisoning"),
    ("caught_in", "crush"),
    ("tip_over", "contusion_abrasion"),
    ("struck_by", "contusion_abrasion"),
    ("ingestion", "foreign_body"),
    ("strangulation", "choking_suffocation"),
)
PRODUCTS_PER_CATEGORY = 2_000
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def fill(url: str, reports: int, seed: int = 7) -> None:
    upgrade(url)
    engine = make_engine(url)
    rng = random.Random(seed)
    cum = list(accumulate(1 / (k + 1) ** 1.1 for k in range(PRODUCTS_PER_CATEGORY)))
    code_cum = list(accumulate(rng.random() + 0.2 for _ in CODES))
    rows: list[dict[str, Any]] = []
    n = 0

    def flush() -> None:
        if not rows:
            return
        with engine.begin() as connection:
            connection.execute(insert(Event), rows)
        rows.clear()

    def add(kind: str, days_ago: float, payload: dict[str, Any], product: str | None) -> None:
        nonlocal n
        n += 1
        at = NOW - timedelta(days=days_ago)
        rows.append(
            {
                "reporter_id": f"st-{n % 81}",
                "event_id": f"00000000-0000-4000-8000-{n:012d}",
                "type": kind,
                "jurisdiction": "140105",
                "product_key": product,
                "occurred_at": at,
                "sent_at": at,
                "received_at": at,
                "source_topic": "events",
                "source_partition": 0,
                "source_offset": n,
                "payload": payload,
            }
        )
        if len(rows) >= 10_000:
            flush()

    for i in range(reports + reports // 3):  # a third more, older than the window
        category = rng.choice(CATEGORIES)
        k = rng.choices(range(PRODUCTS_PER_CATEGORY), cum_weights=cum)[0]
        mechanism, nature = rng.choices(CODES, cum_weights=code_cum)[0]
        days_ago = rng.uniform(0, 90) if i < reports else rng.uniform(91, 365)
        payload = {
            "mechanism": mechanism,
            "injury_nature": nature,
            "product": {"category": category},
        }
        add("injury_report", days_ago, payload, f"uscc/{category}/model-{k}")
        if i % 2 == 0:
            add("station_heartbeat", rng.uniform(0, 90), {}, None)
    flush()
    engine.dispose()


def measure(url: str, runs: int) -> list[tuple[float, float]]:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    counts, store = SqlInjuryCounts(sessions), SqlLiveDisproportionality(sessions)
    out = []
    for i in range(runs):
        started = time.perf_counter()
        run = run_disproportionality_job(
            counts, store, window_days=90, now=NOW + timedelta(minutes=5 * i)
        )
        job_s = time.perf_counter() - started
        started = time.perf_counter()
        pairs, _version = store.stored_pairs()
        evidence_by_product(pairs)
        load_s = time.perf_counter() - started
        print(
            f"run {i + 1}: {run.cases:,} reports, {run.pairs:,} pairs, {run.stored:,} stored,"
            f" {run.signals:,} signals; job {job_s:.2f} s, worker reload {load_s:.2f} s"
        )
        out.append((job_s, load_s))
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--reports", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-fill", action="store_true")
    args = parser.parse_args()
    if not args.no_fill:
        started = time.perf_counter()
        fill(args.url, args.reports)
        print(f"filled in {time.perf_counter() - started:.0f} s")
    figures = measure(args.url, args.runs)
    jobs = [j for j, _ in figures]
    print(
        f"job: min {min(jobs):.2f} s, median {statistics.median(jobs):.2f} s,"
        f" max {max(jobs):.2f} s over {len(jobs)} runs"
    )


if __name__ == "__main__":
    main()
