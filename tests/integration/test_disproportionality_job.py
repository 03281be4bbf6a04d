"""The live disproportionality job through real SQL (SQLite and PostgreSQL).

The appliances category of the CLI test (tests/unit/cli/test_disproportionality_cli.py), in
the job's 90-day window, plus noise the window must drop and a children's category of its own:

    product   electric_shock   burns   mechanical   total
    P              6             4         0          10
    Q              5            40        50          95
    R              5            40        50          95
    TOY (children): choking 5;  DOLL (children): choking 1, mechanical 30

The job stores every pair with at least 3 reports — with the same figures as the report
(`recall risk disproportionality --days 90 --all`) — replaces them whole on a rerun, and the
worker's map is read back from the table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

import streams.agents.disproportionality as disproportionality_agent
from recall.adapters.db.disproportionality_store import SqlLiveDisproportionality
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.event_counts import SqlInjuryCounts
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import Event, ProductDisproportionalityRow
from recall.config import Settings
from recall.service.risk.disproportionality import disproportionality_report
from recall.service.risk.disproportionality_job import run_disproportionality_job
from schemas.common import make_product_key
from streams.agents.disproportionality import DisproportionalityJob
from streams.context import WorkerContext
from streams.metrics import WorkerMetrics

USCC = "91140100MA0L2K3M4J"
P, Q, R = (make_product_key(USCC, "Acme", m) for m in ("K-1", "K-2", "K-3"))
TOY, DOLL = (make_product_key(USCC, "Toyco", m) for m in ("T-1", "T-2"))
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
WINDOW = 90
ELECTRIC = ("electric", "electric_shock")  # electric_shock
HOT = ("hot_object", "burn_scald")  # burns
FALL = ("fall", "fracture")  # mechanical
CHOKE = ("choking", "choking_suffocation")  # choking

_ids = count()


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _injury(
    product: str,
    codes: tuple[str, str],
    *,
    category: str = "appliances",
    days_ago: float = 30,
) -> dict[str, Any]:
    """An injury report row as the store keeps it (only what the grouped query reads varies)."""
    n = next(_ids)
    mechanism, nature = codes
    occurred = NOW - timedelta(days=days_ago)
    return {
        "reporter_id": "HOSP-1",
        "event_id": f"00000000-0000-4000-8000-{n:012d}",
        "type": "injury_report",
        "jurisdiction": "140105",
        "product_key": product,
        "occurred_at": occurred,
        "sent_at": occurred,
        "received_at": occurred,
        "source_topic": "events",
        "source_partition": 0,
        "source_offset": n,
        "payload": {
            "mechanism": mechanism,
            "injury_nature": nature,
            "product": {"category": category},
        },
    }


def _fill(sessions: sessionmaker[Session], mix: list[tuple[str, tuple[str, str], int]]) -> None:
    rows = [
        _injury(product, codes, category="children" if product in (TOY, DOLL) else "appliances")
        for product, codes, k in mix
        for _ in range(k)
    ]
    rows += [_injury(P, HOT, days_ago=WINDOW + 10) for _ in range(20)]  # before the window
    with sessions.begin() as session:
        session.execute(insert(Event), rows)


def _mix() -> list[tuple[str, tuple[str, str], int]]:
    mix = [(P, ELECTRIC, 6), (P, HOT, 4)]
    mix += [(x, code, k) for x in (Q, R) for code, k in ((ELECTRIC, 5), (HOT, 40), (FALL, 50))]
    mix += [(TOY, CHOKE, 5), (DOLL, CHOKE, 1), (DOLL, FALL, 30)]
    return mix


def _stored(sessions: sessionmaker[Session]) -> dict[tuple[str, str], ProductDisproportionalityRow]:
    with sessions() as session:
        rows = session.scalars(select(ProductDisproportionalityRow)).all()
    return {(r.product_key, r.hazard): r for r in rows}


def test_the_job_stores_the_reports_figures_for_pairs_of_three_or_more(
    sessions: sessionmaker[Session],
) -> None:
    _fill(sessions, _mix())
    counts, store = SqlInjuryCounts(sessions), SqlLiveDisproportionality(sessions)
    run = run_disproportionality_job(counts, store, window_days=WINDOW, now=NOW)

    report = disproportionality_report(counts, days=WINDOW, include_all=True, now=NOW)
    expected = {(r.product_key, r.hazard): r for r in report.rows if r.result.table.a >= 3}
    stored = _stored(sessions)
    assert set(stored) == set(expected)
    assert (DOLL, "choking") not in stored, "one report: under 3, not stored"
    assert (run.cases, run.pairs, run.stored) == (report.cases, report.pairs, len(expected))
    assert run.cases == 200 + 36, "the 20 reports before the window are not counted"
    for key, row in stored.items():
        r = expected[key].result
        assert row.category == expected[key].category
        assert row.a == r.table.a
        assert row.expected == pytest.approx(r.table.expected)
        assert row.prr == pytest.approx(r.prr.prr)
        assert row.chi2_yates == pytest.approx(r.prr.chi2_yates)
        assert row.ror_lower == pytest.approx(r.ror.lower)
        assert row.ic025 == pytest.approx(r.ic.ic025)
        assert row.criteria_met == r.criteria_met
        assert (row.window_days, row.computed_at) == (WINDOW, NOW)
    assert stored[P, "electric_shock"].criteria_met == 3
    assert [int(stored[P, "electric_shock"].prr * 100)] == [int((6 / 10) / (10 / 190) * 100)]
    signals = {k for k, r in expected.items() if r.signal}
    assert run.signals == len(signals) == sum(r.criteria_met > 0 for r in stored.values())


def test_a_rerun_replaces_every_row(sessions: sessionmaker[Session]) -> None:
    _fill(sessions, _mix())
    counts, store = SqlInjuryCounts(sessions), SqlLiveDisproportionality(sessions)
    run_disproportionality_job(counts, store, window_days=WINDOW, now=NOW)
    first = _stored(sessions)
    assert (P, "burns") in first  # 4 reports

    with sessions.begin() as session:  # two of P's burns turn out to be something else
        hot = sorted(_event_ids_with(session, P, "hot_object", within=WINDOW))[:2]
        session.execute(delete(Event).where(Event.event_id.in_(hot)))
    later = NOW + timedelta(minutes=5)
    run = run_disproportionality_job(counts, store, window_days=WINDOW, now=later)

    second = _stored(sessions)
    assert (P, "burns") not in second, "fell under 3 reports: gone, not left stale"
    assert set(second) == set(first) - {(P, "burns")}
    assert len(second) == run.stored
    assert {r.computed_at for r in second.values()} == {later}, "no row of the first run left"
    version = store.stored_version()
    assert version == (len(second), later)
    pairs, loaded = store.stored_pairs()
    assert loaded == version and len(pairs) == len(second)


def _event_ids_with(session: Session, product: str, mechanism: str, *, within: int) -> set[str]:
    rows = session.execute(
        select(Event.event_id, Event.payload).where(
            Event.product_key == product, Event.occurred_at >= NOW - timedelta(days=within)
        )
    )
    return {event_id for event_id, payload in rows if payload["mechanism"] == mechanism}


def _context(settings: Settings, sessions: sessionmaker[Session]) -> WorkerContext:
    """A worker's context, minus the registry store (not read here)."""
    return WorkerContext(
        settings=settings, store=cast(Any, None), metrics=WorkerMetrics(), sessions=sessions
    )


def test_the_worker_map_is_built_from_the_table(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _fill(sessions, _mix())
    settings = Settings(state_dir=tmp_path, disproportionality_window_days=WINDOW)
    context = _context(settings, sessions)
    context.refresh_disproportionality()
    assert context.disproportionality == {}, "nothing computed yet"

    run = DisproportionalityJob(context, clock=lambda: NOW)()  # reloads the leader's own map

    stored = _stored(sessions)
    loaded = {(p, h) for p, by_hazard in context.disproportionality.items() for h in by_hazard}
    assert loaded == set(stored)
    evidence = context.disproportionality[P]["electric_shock"]
    row = stored[P, "electric_shock"]
    assert (evidence.hazard, evidence.a, evidence.criteria_met) == ("electric_shock", 6, 3)
    assert (evidence.prr, evidence.ic025, evidence.window_days) == (row.prr, row.ic025, WINDOW)
    registry = context.metrics.registry
    gauge = "recall_disproportionality_pairs"
    assert registry.get_sample_value(gauge, {"kind": "stored"}) == run.stored
    assert registry.get_sample_value(gauge, {"kind": "signals"}) == run.signals

    other = _context(settings, sessions)
    other.refresh_disproportionality()  # another worker, at its registry refresh
    assert other.disproportionality == context.disproportionality


Tick = Callable[[], Coroutine[Any, Any, None]]


class _TimerApp:
    """What `supervised_timer` uses of a Faust app: the timers it registers."""

    def __init__(self) -> None:
        self.timers: dict[str, tuple[float, bool, Tick]] = {}

    def timer(self, seconds: float, *, on_leader: bool, name: str) -> Callable[[Any], Any]:
        def register(fn: Tick) -> Tick:
            self.timers[name] = (seconds, on_leader, fn)
            return fn

        return register


def test_the_timer_runs_on_the_leader_supervised(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _fill(sessions, _mix())
    settings = Settings(state_dir=tmp_path, disproportionality_interval_s=120.0)
    context = _context(settings, sessions)
    app = _TimerApp()
    disproportionality_agent.register(cast(Any, app), context, clock=lambda: NOW)

    seconds, on_leader, tick = app.timers["compute_disproportionality"]
    assert (seconds, on_leader) == (120.0, True)
    asyncio.run(tick())
    runs = context.metrics.registry.get_sample_value(
        "recall_timer_runs_total", {"timer": "compute_disproportionality"}
    )
    assert runs == 1
    assert context.disproportionality[P]["electric_shock"].window_days == 90  # the default
