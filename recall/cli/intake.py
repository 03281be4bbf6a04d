"""`recall intake …`: what the intake accepted, refused and dropped as duplicates."""

from __future__ import annotations

import typer
from rich.table import Table

from recall.cli.common import console, sessions, settings

app = typer.Typer(help="Inspect the intake: stored events, duplicates and dead letters.")


@app.command()
def summary() -> None:
    """Counts from the system of record (every rejection keeps its reason)."""
    from recall.adapters.db.intake_store import IntakeStore

    counts = IntakeStore(sessions(settings())).counts()
    table = Table("what", "count", title="intake (信息采集)")
    table.add_row("accepted events (已接收)", f"{counts.events:,}")
    for kind, n in sorted(counts.events_by_type.items()):
        table.add_row(f"  {kind}", f"{n:,}")
    table.add_row("dead letters (拒收)", f"{counts.dead_letters:,}")
    for reason, n in sorted(counts.dead_letters_by_reason.items()):
        table.add_row(f"  {reason}", f"{n:,}")
    table.add_row("duplicates dropped (重复)", f"{counts.duplicates:,}")
    console.print(table)
