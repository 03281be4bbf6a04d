"""`recall intake …`: what the intake accepted, refused and dropped as duplicates."""

from __future__ import annotations

import typer
from rich.table import Table

from recall.cli.common import console, fail, sessions, settings
from recall.config import Settings

app = typer.Typer(help="Inspect the intake: stored events, duplicates and dead letters.")


@app.command()
def summary(
    skip_broker: bool = typer.Option(
        False, "--skip-broker", help="Only the database counts; do not compare with the broker"
    ),
) -> None:
    """Counts from the system of record, then published vs accounted per intake partition.

    Exits 2 when some published records have no outcome yet (a worker is behind or stopped),
    3 when a record has two outcomes (a bug).
    """
    from recall.adapters.db.intake_store import IntakeStore

    cfg = settings()
    counts = IntakeStore(sessions(cfg)).counts()
    table = Table("what", "count", title="intake (信息采集)")
    table.add_row("accepted events (已接收)", f"{counts.events:,}")
    for kind, n in sorted(counts.events_by_type.items()):
        table.add_row(f"  {kind}", f"{n:,}")
    table.add_row("dead letters (拒收)", f"{counts.dead_letters:,}")
    for reason, n in sorted(counts.dead_letters_by_reason.items()):
        table.add_row(f"  {reason}", f"{n:,}")
    table.add_row("duplicates dropped (重复)", f"{counts.duplicates:,}")
    console.print(table)
    if not skip_broker:
        _print_balance(cfg)


def _print_balance(cfg: Settings) -> None:
    """Published (broker offsets) vs accounted (system of record), per intake partition."""
    from recall.adapters.db.intake_store import IntakeStore
    from recall.adapters.kafka.admin import partition_ranges
    from recall.service.intake.accounting import balance
    from schemas.topics import INTAKE_RAW

    topic = cfg.topic_name(INTAKE_RAW.name)
    try:
        ranges = partition_ranges(cfg, topic)
    except Exception as error:  # the broker is optional for the counts above
        fail(
            f"cannot read the offsets of {topic}: {type(error).__name__}",
            "start the broker (`recall broker start`) or pass --skip-broker",
        )
    store = IntakeStore(sessions(cfg))
    accounted = store.accounted(topic, {r.partition: r.start for r in ranges})
    rows = balance([(r.partition, r.start, r.end) for r in ranges], accounted.items())
    table = Table(
        "partition",
        "offsets",
        "published (发送)",
        "accounted (已记录)",
        "unaccounted (未记录)",
        title=f"every record accounted for? ({topic})",
    )
    for row in rows:
        table.add_row(
            str(row.partition),
            f"{row.first_offset:,}–{row.next_offset - 1:,}" if row.published else "–",
            f"{row.published:,}",
            f"{row.accounted:,}",
            "[green]0[/]" if row.balanced else f"[red]{row.unaccounted:,}[/]",
        )
    console.print(table)
    twice = store.positions_in_two_tables(topic)
    published = sum(r.published for r in rows)
    accounted_total = sum(r.accounted for r in rows)
    if twice:
        console.print(f"[red]{twice} records have two outcomes: report this as a bug[/]")
    if published == accounted_total and not twice:
        console.print(f"[green]all {published:,} published records are accounted for[/]")
    else:
        console.print(
            f"{published - accounted_total:,} records not yet accounted for: a running worker"
            " is still behind (check recall_consumer_lag), or the worker is stopped"
        )
        raise typer.Exit(code=3 if twice else 2)
