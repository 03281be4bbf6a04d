"""Top-level commands: worker, topics, db upgrade, demo."""

from __future__ import annotations

import typer
from rich.table import Table

from recall.cli.common import console, fail, settings


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.command()(topics)
    app.command("db-upgrade")(db_upgrade)
    app.command()(demo)


def worker(
    loglevel: str = typer.Option("warn", help="Faust log level: crit, error, warn, info, debug."),
) -> None:
    """Run a stream worker (intake, persistence); start more for more partitions' worth of load."""
    from recall.logs import configure_logging
    from streams.worker import run_worker

    cfg = settings()
    configure_logging(cfg.log_level, cfg.log_format)
    run_worker(cfg, loglevel=loglevel)


def topics() -> None:
    """Create every declared topic that is missing, and list them."""
    from recall.adapters.kafka.admin import ensure_topics
    from schemas.topics import ALL_TOPICS

    states = ensure_topics(settings())
    table = Table("topic", "partitions", "created now", "purpose")
    for spec, state in zip(ALL_TOPICS, states, strict=True):
        table.add_row(
            spec.name, str(state.partitions), "yes" if state.created else "", spec.purpose
        )
    console.print(table)


def db_upgrade() -> None:
    """Apply database migrations (SQLite by default, PostgreSQL with DATABASE_URL)."""
    from recall.adapters.db.migrate import upgrade

    cfg = settings()
    upgrade(cfg.sqlalchemy_url)
    console.print(f"database at head: {cfg.masked().get('database_url') or cfg.sqlalchemy_url}")


def demo(
    duration: float = typer.Option(120.0, help="Seconds of simulated station traffic."),
    rate: float = typer.Option(100.0, help="Events per second."),
    stations: int = typer.Option(40, help="Stations taking part."),
    keep_running: bool = typer.Option(
        False, help="Leave the broker and worker running afterwards."
    ),
) -> None:
    """Run the whole local loop: broker, worker, registry, simulated stations, then a summary."""
    from recall.tools.demo import DemoOptions, run_demo

    try:
        run_demo(settings(), DemoOptions(duration, rate, stations, keep_running), console)
    except RuntimeError as error:
        fail(str(error), "see .local/worker.log and .local/kafka/broker.log")
