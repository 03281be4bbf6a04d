"""`recall bench …`: benchmarks that print figures (targets live here, not in unit tests)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from recall.cli.common import console, fail, settings

app = typer.Typer(help="Measure throughput, latency and detection quality; print the figures.")


@app.command()
def intake(
    events: int = typer.Option(100_000, min=1000, help="Events to push through each run."),
    output: Path | None = typer.Option(None, "--output", help="Write the figures as JSON here."),
) -> None:
    """Intake throughput (raw topic → persisted rows) vs a raw aiokafka consume-parse-produce loop."""
    from recall.adapters.broker import local
    from recall.bench.intake import result_json, run_intake_benchmark

    cfg = settings()
    if cfg.uses_local_broker:
        local.start(cfg)
    with Progress(
        TextColumn("producing events"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task("produce", total=events)
        try:
            with console.status("measuring…"):
                result = run_intake_benchmark(cfg, events, lambda n: bar.advance(task, n))
        except RuntimeError as error:
            fail(str(error))
    table = Table("figure", "value", title="intake benchmark (one worker, this machine)")
    table.add_row("events", f"{result.events:,}")
    table.add_row("pipeline events/s (validate → persist)", f"{result.events_per_s:,.0f}")
    table.add_row(
        "ceiling events/s (aiokafka parse → produce)", f"{result.ceiling_events_per_s:,.0f}"
    )
    table.add_row("ratio", f"{result.ratio:.3f}")
    table.add_row("partitions / database", f"{result.partitions} / {result.database}")
    console.print(table)
    if output is not None:
        output.write_bytes(result_json(result))
