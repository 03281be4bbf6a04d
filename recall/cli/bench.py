"""`recall bench …`: benchmarks that print figures (targets live here, not in unit tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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


@app.command()
def detection(
    series: Annotated[
        int, typer.Option("--series", min=1, help="Series simulated per frequency (weekly, daily).")
    ] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same figures.")] = 20240917,
    method: Annotated[
        list[str] | None,
        typer.Option("--method", "-m", help="Only these methods (repeat the option); default all."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: up to 2).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the figures as JSON here.")
    ] = None,
) -> None:
    """Detection quality on simulated outbreaks: FPR, POD, delay — nominal and at equal FPR 1%."""
    from recall.bench.detection import TARGET_FPR, run_detection_benchmark, to_json
    from recall.domain.risk.detectors import METHOD_NAMES

    unknown = sorted(set(method or ()) - set(METHOD_NAMES))
    if unknown:
        fail(f"unknown method(s): {', '.join(unknown)}", "recall signals methods")
    with Progress(
        TextColumn("simulating and scoring series"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("score", total=2 * series)
        results = run_detection_benchmark(
            series,
            seed,
            lambda done: bar.update(task, completed=done),
            methods=tuple(method) if method else METHOD_NAMES,
            workers=workers,
        )
    at = f"@{TARGET_FPR:.0%}"
    table = Table(
        "frequency",
        "method",
        "FPR",
        "POD",
        "median delay",
        f"FPR {at}",
        f"POD {at}",
        f"delay {at}",
        title=f"detection benchmark (检测基准): {series} series per frequency, seed {seed}",
        caption="nominal: each method's own threshold; @1%: recalibrated to 1% false positives",
    )
    for r in results:
        table.add_row(
            r.frequency,
            r.method,
            f"{r.fpr_nominal:.3f}",
            f"{r.pod_nominal:.3f}",
            "–" if r.delay_nominal is None else f"{r.delay_nominal:g}",
            f"{r.fpr_calibrated:.3f}",
            f"{r.pod_calibrated:.3f}",
            "–" if r.delay_calibrated is None else f"{r.delay_calibrated:g}",
        )
    console.print(table)
    if output is not None:
        output.write_text(to_json(results), encoding="utf-8")
        console.print(f"wrote {output}")
