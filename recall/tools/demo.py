"""`recall demo`: the whole local loop in one command, with counts that must add up.

It also serves the regulator API (`recall api` on 127.0.0.1, the port `RECALL_DEMO_API_PORT`
or a free one), creates one demo account per role and prints how to reach it as each role.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.broker import local
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.intake_store import IntakeCounts, IntakeStore
from recall.adapters.db.key_store import server_side_keys
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.regions import SqlRegions
from recall.adapters.db.registry_store import load_registry, reporting_population
from recall.adapters.kafka.admin import ensure_topics
from recall.adapters.kafka.producer import StationSender
from recall.config import Settings
from recall.tools.api_process import ApiProcess, free_port
from recall.tools.bench.lag import committed_lag
from recall.tools.demo_accounts import DemoAccount, curl_line, demo_accounts
from recall.tools.demo_summary import print_loop_summary
from recall.tools.registry.sample import generate
from recall.tools.simulate.events import SimProduct, SimStation
from recall.tools.simulate.firms import FirmPlan, firm_recalls
from recall.tools.simulate.traffic import TrafficPlan, TrafficReport, run_traffic
from recall.tools.worker_process import WorkerProcess, wait_for


@dataclass(frozen=True, slots=True)
class DemoOptions:
    duration_s: float
    rate_per_s: float
    stations: int
    keep_running: bool
    api_port: int | None = None


def run_demo(settings: Settings, options: DemoOptions, console: Console) -> None:
    if settings.uses_local_broker:
        with console.status("starting the local Apache Kafka broker…"):
            local.start(settings)
        console.print(f"[green]✓[/] broker at {settings.bootstrap_servers}")
    upgrade(settings.sqlalchemy_url)
    sessions = make_session_factory(make_engine(settings.sqlalchemy_url))
    store = IntakeStore(sessions)
    if not store.reporters() or not SqlRegions(sessions).region_names(None):
        # Also when a demo database from before the registry named its regions is reused:
        # loading is insert-or-update, so what the earlier demo stored stays.
        load_registry(sessions, generate())
        console.print("[green]✓[/] sample registry loaded (stations, 1,285 manufacturers, …)")
    ensure_topics(settings)
    before = store.counts()
    worker = WorkerProcess({}, settings.state_dir / "worker.log")
    worker.start()
    console.print(
        f"[green]✓[/] worker started (pid {worker.pid}); log: {settings.state_dir}/worker.log"
    )
    api = ApiProcess("127.0.0.1", _api_port(options), settings.state_dir / "api.log")
    started_at = datetime.now(UTC)
    try:
        with console.status("starting the regulator API…"):
            api.start()
        console.print(
            f"[green]✓[/] API at {api.url} (pid {api.pid}); log: {settings.state_dir}/api.log"
        )
        accounts = demo_accounts(sessions, at=started_at)
        sent = _simulate(settings, options, sessions, console)
        firm_events = _play_firms(settings, sessions, console)
        sent.published += firm_events
        sent.valid += firm_events
        after = _drain(store, before, sent, worker, console)
        with console.status("waiting for risk assessment, investigations and recalls…"):
            wait_for(lambda: _downstream_done(settings), 120)
    finally:
        if not options.keep_running:
            api.stop()
            worker.stop()
    _print_summary(console, sent, before, after)
    print_loop_summary(console, sessions, started_at)
    _print_access(console, api.url, accounts, running=options.keep_running)
    if not options.keep_running and settings.uses_local_broker:
        local.stop(settings)
        console.print("broker, worker and API stopped (use --keep-running to leave them up)")


def _api_port(options: DemoOptions) -> int:
    if options.api_port is not None:
        return options.api_port
    configured = os.environ.get("RECALL_DEMO_API_PORT")
    return int(configured) if configured else free_port()


def _print_access(
    console: Console, url: str, accounts: list[DemoAccount], *, running: bool
) -> None:
    """How to reach the API as each role (tokens in clear: a local demo only)."""
    table = Table("role", "scope", "token (demo only)", title=f"regulator API (监管接口) at {url}")
    for account in accounts:
        table.add_row(account.role.value, account.scope, account.token or "— (no account)")
    console.print(table)
    console.print(
        f"OpenAPI: {url}/openapi.json · docs: {url}/docs · Atom: {url}/public/recalls.atom"
    )
    console.print(
        f"dashboard (监管看板): {url}/dashboard — sign in with a regulator's token above"
        " (with --keep-running it stays up)",
        highlight=False,
    )
    for account in accounts:
        console.print(f"# {account.role.value} ({account.scope})", highlight=False)
        console.print(curl_line(url, account), highlight=False, soft_wrap=True)
    if not running:
        console.print("(the API stops with the demo; `recall demo --keep-running` leaves it up)")


def _simulate(
    settings: Settings, options: DemoOptions, sessions: sessionmaker[Session], console: Console
) -> TrafficReport:
    stations, products = reporting_population(sessions)
    chosen = random.Random(1).sample(stations, min(options.stations, len(stations)))
    plan = TrafficPlan(options.rate_per_s, options.duration_s, seed=random.randrange(1 << 30))
    sender = StationSender(settings, keys=server_side_keys(sessions, settings))
    columns = (
        TextColumn("stations reporting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("send", total=int(plan.rate_per_s * plan.duration_s))
        report = run_traffic(
            sender,
            [SimStation(*s) for s in chosen],
            [SimProduct(*p) for p in products],
            plan,
            progress=lambda n: bar.advance(task, n),
        )
    sender.close()
    return report


def _play_firms(settings: Settings, sessions: sessionmaker[Session], console: Console) -> int:
    """Firms announce recalls of their own products and report progress (some lag, some late)."""
    from recall.tools.simulate.population import firm_population

    firms, products = firm_population(sessions)
    if not firms:
        return 0
    plan = FirmPlan(recalls=8, seed=random.randrange(1 << 20), lagging=0.35, late=0.2, days=150)
    built = firm_recalls(firms, products, plan, datetime.now(UTC))
    sender = StationSender(settings, keys=server_side_keys(sessions, settings))
    count = 0
    for recall in built:
        for reporter, value in recall.events:
            sender.send(reporter, value)
            count += 1
    sender.flush()
    sender.close()
    console.print(f"[green]✓[/] {len(built)} firms announced recalls and sent {count} reports")
    return count


def _downstream_done(settings: Settings) -> bool:
    return all(committed_lag(settings, t) == 0 for t in ("events.canonical", "risk.signals"))


def _accounted(before: IntakeCounts, now: IntakeCounts) -> int:
    return (
        (now.events - before.events)
        + (now.dead_letters - before.dead_letters)
        + (now.duplicates - before.duplicates)
    )


def _drain(
    store: IntakeStore,
    before: IntakeCounts,
    sent: TrafficReport,
    worker: WorkerProcess,
    console: Console,
) -> IntakeCounts:
    with console.status("waiting for the worker to store everything…"):
        done = wait_for(
            lambda: _accounted(before, store.counts()) >= sent.published or not worker.running(),
            180,
        )
    if not worker.running():
        raise RuntimeError(f"the worker stopped unexpectedly:\n{worker.log_tail()}")
    if not done:
        console.print("[yellow]not everything was stored within 3 minutes[/]")
    return store.counts()


def _print_summary(
    console: Console, sent: TrafficReport, before: IntakeCounts, after: IntakeCounts
) -> None:
    accepted = after.events - before.events
    rejected = after.dead_letters - before.dead_letters
    duplicates = after.duplicates - before.duplicates
    table = Table("", "sent by stations", "seen by recall-tracker", title="demo summary (演示汇总)")
    table.add_row(
        "published (发送)", f"{sent.published:,}", f"{accepted + rejected + duplicates:,}"
    )
    table.add_row("accepted (接收)", f"{sent.valid:,}", f"{accepted:,}")
    table.add_row("rejected → dead letters (拒收)", f"{sent.malformed:,}", f"{rejected:,}")
    table.add_row("duplicates dropped (重复)", f"{sent.duplicates:,}", f"{duplicates:,}")
    console.print(table)
    reasons = {
        r: n - before.dead_letters_by_reason.get(r, 0)
        for r, n in after.dead_letters_by_reason.items()
    }
    console.print(
        "dead letters by reason: " + ", ".join(f"{r}={n}" for r, n in sorted(reasons.items()) if n)
    )
    ok = sent.published == accepted + rejected + duplicates
    verdict = "[green]counts add up[/]" if ok else "[red]counts do NOT add up[/]"
    console.print(
        f"{verdict}: published {sent.published:,} = accepted {accepted:,} "
        f"+ rejected {rejected:,} + duplicates {duplicates:,}"
    )
    if not ok:
        raise RuntimeError("published ≠ accepted + rejected + duplicates")
