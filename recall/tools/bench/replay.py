"""How fast `recall replay` re-assesses a stored history (events/s), run twice.

`--events` injury reports (default 100,000) over a year, spread over `--products` products
(default 2,000) reported by 81 stations, dispositions mostly minor (80% treated, 12% observed,
7% hospitalised, 1% died), each received 1 to 600 minutes after it occurred; stored in the
`events` table, then replayed through the SQL adapters twice: the first run writes every
product's score, the second finds them equal and writes none (idempotence, at the same speed).

    python -m recall.tools.bench.replay --url sqlite:////tmp/replay.db
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import Event
from recall.adapters.db.replay_store import SqlReplaySource, SqlReplayTarget
from recall.service.risk.replay import ReplayRules, replay

DISPOSITIONS = ("treated_released", "observed", "hospitalised", "died")
WEIGHTS = (80, 12, 7, 1)
START = datetime(2025, 1, 1, tzinfo=UTC)


def rows(events: int, products: int, seed: int = 1) -> list[dict[str, Any]]:
    """The stored history, as `events` rows."""
    rng = random.Random(seed)
    keys = [f"unknown/acme/k-{i}" for i in range(products)]
    out = []
    for i in range(events):
        occurred = START + timedelta(seconds=rng.randrange(0, 365 * 86_400))
        received = occurred + timedelta(minutes=rng.randrange(1, 600))
        payload = {
            "occurred_at": occurred.isoformat(),
            "disposition": rng.choices(DISPOSITIONS, WEIGHTS)[0],
            "injury_nature": "burn_scald",
            "body_part": "hand",
            "age_years": rng.randrange(1, 90),
            "mechanism": "hot_object",
            "product": {"category": "kitchenware"},
        }
        out.append(
            {
                "reporter_id": f"H{i % 81}",
                "event_id": str(uuid.UUID(int=i + 1, version=4)),
                "type": "injury_report",
                "jurisdiction": "140105",
                "product_key": rng.choice(keys),
                "occurred_at": occurred,
                "sent_at": received,
                "received_at": received,
                "source_topic": "intake.raw",
                "source_partition": i % 12,
                "source_offset": i,
                "content_hash": None,
                "payload": payload,
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", required=True, help="an empty database (SQLite or PostgreSQL)")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=2_000)
    args = parser.parse_args()
    upgrade(args.url)
    sessions = make_session_factory(make_engine(args.url))
    history = rows(args.events, args.products)
    clock = time.perf_counter()
    with sessions.begin() as session:
        for start in range(0, len(history), 5_000):
            session.execute(insert(Event), history[start : start + 5_000])
    print(f"stored {len(history):,} events in {time.perf_counter() - clock:.1f} s")
    for run in ("first", "second"):
        summary = replay(
            SqlReplaySource(sessions),
            SqlReplayTarget(sessions),
            ReplayRules(),
            started_at=datetime.now(UTC),
        )
        print(
            f"{run} run: {summary.events:,} events, {summary.products:,} products, "
            f"{summary.signals_now:,} signals, {summary.scores_written:,} scores written, "
            f"{summary.seconds:.1f} s, {summary.events_per_second:,.0f} events/s"
        )


if __name__ == "__main__":
    main()
