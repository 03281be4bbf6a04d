"""`recall bench …`: benchmarks that print figures (targets live here, not in unit tests)."""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Column, Table

from recall.cli.common import console, fail, settings

if TYPE_CHECKING:
    from recall.tools.bench.pipeline import PipelineBenchResult

app = typer.Typer(help="Measure throughput, latency and detection quality; print the figures.")


@app.command()
def intake(
    events: int = typer.Option(
        100_000,
        min=20_000,
        help="Events to push through each run (the ceiling loop needs >= 1 s to be timed).",
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        help="Worker processes running the intake stage in one group (at most the partitions).",
    ),
    runs: int = typer.Option(1, "--runs", min=1, help="Whole measurements; > 1 prints spreads."),
    output: Path | None = typer.Option(None, "--output", help="Write the figures as JSON here."),
) -> None:
    """Intake throughput (raw topic → stored rows) vs a raw aiokafka consume-parse-produce loop.

    Issue 15 asks the intake for >= 0.35 of the ceiling measured in the same run; the ceiling is
    one process, `--workers N` runs the stage in N (the scale-out path)."""
    from recall.adapters.broker import local
    from recall.tools.bench.intake import IntakeBenchResult, result_json, run_intake_benchmark
    from recall.tools.bench.spread import spread

    cfg = settings()
    if workers > cfg.topic_partitions:
        fail(
            f"--workers {workers}: only {cfg.topic_partitions} partitions to share"
            " (raise RECALL_TOPIC_PARTITIONS or use fewer workers)"
        )
    if cfg.uses_local_broker:
        local.start(cfg)
    results: list[IntakeBenchResult] = []
    for run in range(runs):
        with Progress(
            TextColumn(f"run {run + 1}/{runs}: producing events"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("produce", total=events)
            try:
                with console.status(f"measuring {workers} intake worker(s)…"):
                    results.append(
                        run_intake_benchmark(
                            cfg, events, partial(bar.advance, task), workers=workers
                        )
                    )
            except RuntimeError as error:
                fail(str(error))
    table = Table(
        "run",
        "events/s stored (validate → persist)",
        "ceiling events/s (aiokafka parse → produce)",
        "ratio",
        "worker cores",
        title=f"intake benchmark: {workers} worker(s), {events:,} events, this machine",
    )
    for n, r in enumerate(results, 1):
        table.add_row(
            str(n),
            f"{r.events_per_s:,.0f}",
            f"{r.ceiling_events_per_s:,.0f}",
            f"{r.ratio:.3f}",
            f"{r.worker_cores:.2f}",
        )
    console.print(table)
    first = results[0]
    console.print(f"partitions / database: {first.partitions} / {first.database}")
    ratios = spread([r.ratio for r in results])
    verdict = "met" if ratios.low >= 0.35 else "not met"
    console.print(
        f"ratio min / median / max: {ratios.low:.3f} / {ratios.median:.3f} / {ratios.high:.3f}"
        f" (target >= 0.35 in every run: {verdict})"
    )
    if output is not None:
        output.write_bytes(result_json(results))


@app.command()
def detection(
    series: Annotated[
        int, typer.Option("--series", min=1, help="Series simulated per frequency (weekly, daily).")
    ] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same figures.")] = 20240917,
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method",
            "-m",
            help="Only these methods (repeat the option); default all, and `stream_agent`: the "
            "streamed detector run through the risk agent's batch code on canonical records.",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: up to 2).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the figures as JSON here.")
    ] = None,
    by_size: Annotated[
        bool,
        typer.Option(
            "--by-size",
            help="One row per size class of series (mean 1.5 to 60 cases a period), each "
            "calibrated to 1% false alarms on its own, instead of one per frequency.",
        ),
    ] = False,
) -> None:
    """Detection quality on simulated outbreaks: FPR, POD, delay — nominal and at equal FPR 1%.

    Every offline method beside what the live stream runs (`stream`: the registry's replay;
    `stream_agent`: the same detector through the agent's code path). The last lines give the
    stream's gap to the best offline method at 1% false alarms, per frequency."""
    from recall.tools.bench.detection import (
        BENCH_METHODS,
        TARGET_FPR,
        run_detection_benchmark,
        stream_gaps,
        to_json,
    )

    unknown = sorted(set(method or ()) - set(BENCH_METHODS))
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
            methods=tuple(method) if method else BENCH_METHODS,
            workers=workers,
            by_size=by_size,
        )
    at = f"@{TARGET_FPR:.0%}"
    table = Table(
        "frequency",
        Column("size class", no_wrap=True),
        Column("method", no_wrap=True),
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
            r.scenario,
            r.method,
            f"{r.fpr_nominal:.3f}",
            f"{r.pod_nominal:.3f}",
            "–" if r.delay_nominal is None else f"{r.delay_nominal:g}",
            f"{r.fpr_calibrated:.3f}",
            f"{r.pod_calibrated:.3f}",
            "–" if r.delay_calibrated is None else f"{r.delay_calibrated:g}",
        )
    console.print(table)
    for gap in [] if by_size else stream_gaps(results):
        console.print(
            f"{gap.frequency}: the stream (agent path) finds {gap.stream_pod:.1%} at {at} false "
            f"alarms, the best offline method ({gap.best_method}) {gap.best_pod:.1%}: "
            f"{gap.points:+.1f} points (流式检测与最佳离线方法之差)"
        )
    if output is not None:
        output.write_text(to_json(results), encoding="utf-8")
        console.print(f"wrote {output}")


@app.command()
def pipeline(
    events: int = typer.Option(
        50_000,
        min=20_000,
        help="Events for the throughput phase (the ceiling loop needs >= 1 s to be timed).",
    ),
    latency_seconds: float = typer.Option(
        30.0, min=5, help="Seconds of each load point (4 triggers/s: 30 s gives 120)."
    ),
    loads: str = typer.Option(
        "0.25,0.5,0.75", "--loads", help="Fractions of the measured rate for the latency curve."
    ),
    runs: int = typer.Option(1, "--runs", min=1, help="Whole measurements; > 1 prints spreads."),
    output: Path | None = typer.Option(None, "--output", help="Write the figures as JSON here."),
    rate: float | None = typer.Option(
        None,
        "--rate",
        min=1,
        help="Loads as fractions of this many events/s, not of each run's measured rate"
        " (to compare two commits at the same offered load).",
    ),
) -> None:
    """Whole path intake → risk → investigation: throughput vs the aiokafka ceiling, and latency
    from station send to investigation opened at several fractions of the sustainable load."""
    from recall.adapters.broker import local
    from recall.tools.bench.pipeline import result_json, run_pipeline_benchmark

    try:
        fractions = [float(part) for part in loads.split(",") if part.strip()]
    except ValueError:
        fail(f"--loads: comma-separated fractions, e.g. 0.25,0.5,0.75 (got {loads!r})")
    if not fractions or not all(0 < f <= 1 for f in fractions):
        fail(f"--loads: each fraction must be in (0, 1] (got {loads!r})")
    cfg = settings()
    if cfg.uses_local_broker:
        local.start(cfg)
    with console.status("running the pipeline benchmark…") as status:
        try:
            result = run_pipeline_benchmark(
                cfg,
                events,
                latency_seconds,
                status.update,
                fractions,
                runs,
                on_run=None if output is None else partial(_write_runs, output),
                rate=rate,
            )
        except RuntimeError as error:
            fail(str(error))
    rates = Table(
        "run", "events/s intake → risk", "aiokafka ceiling events/s", "sustained / ceiling",
        title=f"pipeline benchmark: sustained rate ({events:,} events, one worker, this machine)",
    )  # fmt: skip
    for i, run in enumerate(result.runs, 1):
        rates.add_row(
            str(i), f"{run.events_per_s:,.0f}", f"{run.ceiling_events_per_s:,.0f}",
            f"{run.ratio:.3f}",
        )  # fmt: skip
    console.print(rates)
    curve = Table(
        "run", "load", "events/s sent", "triggers / opened", "p50", "p95", "p99", "max",
        "worker / bench CPU",
        title="station send → investigation opened, by load (ms)"
        + ("" if rate is None else f"; loads are fractions of {rate:,.0f} events/s (--rate)"),
    )  # fmt: skip
    for i, run in enumerate(result.runs, 1):
        for point in run.points:
            curve.add_row(
                str(i), f"{point.load:.0%}", f"{point.sent_events_per_s:,.0f}",
                f"{point.triggers} / {point.opened}", _ms(point.p50_s), _ms(point.p95_s),
                _ms(point.p99_s), _ms(point.max_s),
                f"{point.worker_cpu:.2f} / {point.producer_cpu:.2f}",
            )  # fmt: skip
    console.print(curve)
    if len(result.runs) > 1:
        spreads = Table("load", "p99 min", "p99 median", "p99 max", title="p99 over the runs (ms)")
        for load, s in zip(result.loads, result.p99_spread, strict=True):
            spreads.add_row(f"{load:.0%}", _ms(s.low), _ms(s.median), _ms(s.high))
        console.print(spreads)
    ratio = result.ratio_spread
    console.print(
        f"sustained / ceiling: {ratio.low:.3f}–{ratio.high:.3f} (target >= 0.15); "
        f"database {result.runs[0].database}"
    )
    if output is not None:
        output.write_bytes(result_json(result))


def _write_runs(output: Path, so_far: PipelineBenchResult) -> None:
    """The runs measured so far, rewritten after each run (a stopped --runs keeps them)."""
    from recall.tools.bench.pipeline import result_json

    output.write_bytes(result_json(so_far))


def _ms(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds * 1000:,.0f}"


@app.command()
def forecast(
    recalls: Annotated[
        int, typer.Option("--recalls", min=10, help="New recalls forecast (history: ≥ 100).")
    ] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same figures.")] = 7,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the figures as JSON here.")
    ] = None,
) -> None:
    """Final-rate forecast from the first 3 reports vs the rate at 540 days, simulated recalls."""
    import json
    import math

    from rich.table import Column

    from recall.tools.bench.forecast import run_forecast_benchmark

    with console.status(f"simulating and forecasting {recalls} recalls…"):
        result = run_forecast_benchmark(recalls, seed)
    table = Table(
        Column("method", no_wrap=True),
        "median |error|",
        "mean |error|",
        "80% coverage",
        "mean 80% width",
        title=(
            f"forecast benchmark (预测基准): {result['n_recalls']} recalls, first "
            f"{result['first_reports']} reports → day {result['horizon_days']}, seed {seed}"
        ),
        caption=f"history: {result['n_history']} simulated finished recalls teach the priors",
    )
    for name, s in result["methods"].items():
        table.add_row(
            name,
            f"{s['median_abs_error']:.3f}",
            f"{s['mean_abs_error']:.3f}",
            "–" if math.isnan(s["coverage80"]) else f"{s['coverage80']:.0%}",
            "–" if math.isnan(s["mean_width80"]) else f"{s['mean_width80']:.3f}",
        )
    console.print(table)
    console.print(
        f"median absolute error (中位绝对误差): [bold]{result['median_abs_error']:.3f}[/] · "
        f"80% interval coverage (覆盖率): [bold]{result['coverage80']:.0%}[/]"
    )
    if output is not None:
        output.write_text(json.dumps(result, indent=2, allow_nan=True), encoding="utf-8")
        console.print(f"wrote {output}")


@app.command()
def restart(
    products: int = typer.Option(
        1_000_000, min=1000, help="Product states on the changelog the worker must replay."
    ),
    store: str | None = typer.Option(
        None,
        "--store",
        help="Table store to measure: memory or rocksdb (default: RECALL_TABLE_STORE).",
    ),
    output: Path | None = typer.Option(None, "--output", help="Write the figures as JSON here."),
) -> None:
    """Seconds until a worker restarted with N products' state processes again; its memory.

    DESIGN §6 asks < 60 s and < 2 GiB for 1,000,000 products.
    """
    from recall.adapters.broker import local
    from recall.tools.bench.restart import result_json, run_restart_benchmark

    cfg = settings()
    if store is not None:
        if store not in ("memory", "rocksdb"):
            fail(f"--store must be memory or rocksdb, not {store!r}")
        cfg = cfg.model_copy(update={"table_store": store})
    if cfg.uses_local_broker:
        local.start(cfg)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task("preparing", total=products)
        try:
            result = run_restart_benchmark(
                cfg,
                products,
                lambda message: bar.update(task, description=message),
                lambda n: bar.advance(task, n),
            )
        except RuntimeError as error:
            fail(str(error))
    table = Table("figure", "value", title="restart with product state (one worker, this machine)")
    table.add_row("product states on the changelog", f"{result.products:,}")
    table.add_row("changelog size (keys + values)", f"{result.changelog_bytes / 2**20:,.0f} MiB")
    table.add_row("table store", result.table_store)
    table.add_row("first start → processing (empty tables)", f"{result.first_start_s:.1f} s")
    table.add_row(
        "cold restart → processing (replay + join + first batch)",
        f"{result.restart_to_processing_s:.1f} s",
    )
    table.add_row("replayed records per second (overall)", f"{result.records_per_s:,.0f}")
    table.add_row("worker resident memory after recovery", f"{result.worker_rss_mib:,.0f} MiB")
    table.add_row("warm restart (same disk) → processing", f"{result.warm_restart_s:.1f} s")
    table.add_row("database", result.database)
    console.print(table)
    if output is not None:
        output.write_bytes(result_json(result))


@app.command()
def takeover(
    states: int = typer.Option(
        1_000_000, "--states", min=1000, help="Product states on the product_to_risk changelog."
    ),
    runs: int = typer.Option(
        1, "--runs", min=1, help="Kill/replace cycles on the same group; > 1 prints spreads."
    ),
    partitions: int | None = typer.Option(
        None,
        "--partitions",
        min=3,
        help="Partitions of the run's topics (RECALL_TOPIC_PARTITIONS).",
    ),
    standbys: int | None = typer.Option(
        None, "--standbys", min=0, help="Standby replicas (RECALL_TABLE_STANDBY_REPLICAS)."
    ),
    output: Path | None = typer.Option(None, "--output", help="Write the figures as JSON here."),
) -> None:
    """Three workers with N product states; kill -9 one: seconds until its partitions process
    again on a survivor, and a new worker's cold start on an empty disk.

    Issue 15 asks < 30 s for the takeover with 1,000,000 states.
    """
    from recall.adapters.broker import local
    from recall.tools.bench.spread import spread
    from recall.tools.bench.takeover import result_json, run_takeover_benchmark

    cfg = settings()
    update: dict[str, int] = {}
    if partitions is not None:
        update["topic_partitions"] = partitions
    if standbys is not None:
        update["table_standby_replicas"] = standbys
    cfg = cfg.model_copy(update=update)
    if cfg.uses_local_broker:
        local.start(cfg)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task("preparing", total=states)
        try:
            result = run_takeover_benchmark(
                cfg,
                states,
                runs,
                lambda message: bar.update(task, description=message),
                lambda n: bar.advance(task, n),
            )
        except RuntimeError as error:
            fail(str(error))
    title = (
        f"takeover: {result.workers} workers, {result.states:,} states, {result.partitions}"
        f" partitions, {result.standby_replicas} standby, session timeout"
        f" {result.session_timeout_s:.0f} s ({result.database}, this machine)"
    )
    table = Table(
        "run",
        "killed partitions",
        Column("takeover", justify="right"),
        Column("survivors' own", justify="right"),
        Column("to standby", justify="right"),
        "new worker's partitions",
        Column("restored", justify="right"),
        Column("cold start", justify="right"),
        Column("copies current", justify="right"),
        title=title,
    )
    for n, cycle in enumerate(result.cycles, 1):
        table.add_row(
            str(n),
            ",".join(map(str, cycle.killed_partitions)),
            f"{cycle.takeover_s:.1f} s",
            f"{cycle.survivors_s:.1f} s",
            f"{cycle.taken_by_standby}/{len(cycle.killed_partitions)}",
            ",".join(map(str, cycle.new_worker_partitions)),
            f"{cycle.new_worker_restored_records:,}",
            f"{cycle.cold_start_s:.1f} s",
            f"+{cycle.settle_s:.1f} s",
        )
    console.print(table)
    console.print(
        f"changelog written in {result.seed_s:.1f} s; three workers settled (standby copies"
        f" current) and processing {result.first_start_s:.1f} s after start"
    )
    if len(result.cycles) > 1:
        for name, values in (
            ("takeover", [c.takeover_s for c in result.cycles]),
            ("cold start", [c.cold_start_s for c in result.cycles]),
        ):
            s = spread(values)
            console.print(f"{name}: {s.low:.1f}–{s.high:.1f} s (median {s.median:.1f})")
    worst = max(c.takeover_s for c in result.cycles)
    verdict = "[green]met[/]" if worst < 30 else "[red]not met[/]"
    console.print(f"takeover < 30 s (issue 15): {verdict} (worst {worst:.1f} s)")
    if output is not None:
        output.write_bytes(result_json(result))


@app.command()
def state(
    products: int = typer.Option(1_000_000, min=1000, help="Products to hold in memory."),
    output: Path | None = typer.Option(None, "--output", help="Write the figures as JSON here."),
) -> None:
    """Memory of the per-product risk state (product_to_risk) and its decode/encode rate."""
    from recall.tools.bench.state import result_json, run_state_benchmark

    with Progress(
        TextColumn("building states"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task("states", total=products)
        result = run_state_benchmark(products, lambda n: bar.advance(task, n))
    table = Table("figure", "value", title="per-product risk state (in process)")
    table.add_row("products held", f"{result.products:,}")
    table.add_row("bytes per product (key + value + dict slot)", f"{result.bytes_per_product:,.0f}")
    table.add_row("projected for 1,000,000 products", f"{result.projected_gib_for_1m:.2f} GiB")
    table.add_row("mean serialised state", f"{result.mean_value_bytes:,.0f} bytes")
    table.add_row(
        "decode + encode per second (changelog replay cost)", f"{result.decode_encode_per_s:,.0f}"
    )
    console.print(table)
    if output is not None:
        output.write_bytes(result_json(result))


@app.command("api")
def api_(
    events: Annotated[int, typer.Option(min=10_000, help="Station events to load.")] = 1_000_000,
    investigations: Annotated[
        int, typer.Option(min=600, help="Investigations to open (10 pages of the queue).")
    ] = 10_000,
    recalls: Annotated[int, typer.Option(min=10, help="Recalls with their reports.")] = 1_000,
    requests: Annotated[
        int, typer.Option(min=100, help="Timed requests per probe and run (p99 needs >= 1,000).")
    ] = 2_000,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Clients asking at the same time.")
    ] = 4,
    runs: Annotated[int, typer.Option(min=1, help="Measurements, for the spread.")] = 3,
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir",
            help="Where the bench's own PostgreSQL lives; kept, so the next run skips the load.",
        ),
    ] = Path(".local/bench-api"),
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the figures as JSON here.")
    ] = None,
) -> None:
    """Regulator API requests/s and latency on a loaded PostgreSQL (its own, never DATABASE_URL).

    Loads --events station events, --recalls recalls and --investigations investigations through
    the production code paths into a throw-away cluster in --data-dir (minutes, once), starts
    `recall api`, then times the investigation queue and recall pages --runs times.
    """
    from recall.tools.bench.api import (
        TARGET_P99_MS,
        BenchError,
        ProbeFigures,
        result_json,
        run_api_benchmark,
    )
    from recall.tools.bench.api_data import DataPlan

    plan = DataPlan(events=events, investigations=investigations, recalls=recalls)
    totals = {"events": events, "investigations": investigations,
              "assignments": int(investigations * plan.assigned_share)}  # fmt: skip
    with Progress(
        TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def advance(stage: str, n: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=totals.get(stage))
            bar.advance(tasks[stage], n)

        def report(number: int, figures: list[ProbeFigures]) -> None:
            slowest = max(f.p99_ms for f in figures)
            bar.console.print(f"run {number}: slowest p99 {slowest:.0f} ms")

        try:
            result = run_api_benchmark(
                plan,
                requests=requests,
                concurrency=concurrency,
                runs=runs,
                data_dir=data_dir,
                progress=advance,
                on_run=report,
            )
        except (BenchError, RuntimeError) as error:
            fail(str(error), f"see {data_dir / 'api.log'} and {data_dir / 'postgres'}")
    loaded = result.loaded
    console.print(
        f"PostgreSQL holds {loaded.events:,} events, {loaded.dead_letters:,} dead letters,"
        f" {loaded.recalls:,} recall notices and reports, {loaded.investigations:,} investigations"
        f" ({loaded.assigned:,} assigned, {loaded.concluded:,} concluded)"
        + (f"; loaded in {result.load_s:,.0f} s" if result.load_s is not None else "; reused")
    )
    table = Table(
        "probe", "req/s", "p50 ms", "p95 ms", "p99 ms",
        title=f"regulator API, {concurrency} concurrent clients, {len(result.runs)} runs:"
        " min / median / max",
    )  # fmt: skip
    for name in result.probe_names:
        cells = []
        for figure in ("requests_per_s", "p50_ms", "p95_ms", "p99_ms"):
            low, mid, high = result.spread(name, figure)
            cells.append(f"{low:,.0f} / {mid:,.0f} / {high:,.0f}")
        table.add_row(name, *cells)
    console.print(table)
    worst = max(result.spread(name, "p99_ms")[2] for name in result.probe_names)
    verdict = "[green]met[/]" if worst < TARGET_P99_MS else "[red]missed[/]"
    console.print(
        f"target p99 < {TARGET_P99_MS:.0f} ms in every run: {verdict} (worst {worst:.0f} ms)"
    )
    if output is not None:
        output.write_bytes(result_json(result))


@app.command()
def stations(
    seeds: Annotated[
        int, typer.Option("--seeds", min=3, help="Simulated months (seeds 1..N), for the spread.")
    ] = 3,
    days: Annotated[int, typer.Option("--days", min=7, max=120, help="Days judged.")] = 30,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the figures as JSON here.")
    ] = None,
) -> None:
    """Station silence on a simulated month of 81 stations: false alarms and detection delay."""
    from recall.tools.bench.stations import BOUND_PER_81_PER_WEEK, quantile, result_json, run_bench
    from streams.agents.stations import health_rules

    cfg = settings()
    rule = health_rules(cfg).silence
    with console.status(f"simulating {seeds} month(s) of 81 stations…"):
        weeks = cfg.station_history_weeks
        runs = run_bench(list(range(1, seeds + 1)), rule, days=days, weeks=weeks)
    table = Table("seed", "false alarms", "per station-day", "per 81 stations per week",
                  title=f"normal traffic, {days} days, alpha {rule.alpha:g}")  # fmt: skip
    for run in runs:
        table.add_row(
            str(run.seed), str(run.false_alarms), f"{run.per_station_day:.5f}",
            f"{run.per_81_per_week:.2f}",
        )  # fmt: skip
    console.print(table)
    rates = [r.per_81_per_week for r in runs]
    mean = sum(rates) / len(rates)
    verdict = "[green]met[/]" if max(rates) < BOUND_PER_81_PER_WEEK else "[red]missed[/]"
    console.print(
        f"false alarms per 81 stations per week: mean {mean:.2f}, min {min(rates):.2f},"
        f" max {max(rates):.2f}; bound < {BOUND_PER_81_PER_WEEK:g} in every run: {verdict}"
    )
    delays = Table("station kind", "stops", "median h", "p90 h", "not within 60 days",
                   title="detection delay: a station stops at a random moment")  # fmt: skip
    by_kind: dict[str, list[float]] = {}
    for run in runs:
        for kind, values in run.delays_by_kind().items():
            by_kind.setdefault(kind, []).extend(values)
    for kind, values in by_kind.items():
        missed = sum(1 for v in values if v == float("inf"))
        delays.add_row(
            kind, str(len(values)), f"{quantile(values, 0.5):.1f}", f"{quantile(values, 0.9):.1f}",
            str(missed),
        )  # fmt: skip
    console.print(delays)
    if output is not None:
        output.write_bytes(result_json(runs))


@app.command()
def webhooks(
    events: Annotated[
        int, typer.Option("--events", min=5_000, help="Intake events per run (with and without).")
    ] = 20_000,
    alerts: Annotated[
        int, typer.Option("--alerts", min=200, help="Alerts delivered per deliveries run.")
    ] = 2_000,
    runs: Annotated[int, typer.Option("--runs", min=3, help="Runs of each measurement.")] = 3,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the figures as JSON here.")
    ] = None,
) -> None:
    """Webhook deliveries/s to a local receiver; intake events/s with and without a slow one."""
    from recall.adapters.broker import local
    from recall.tools.bench.webhooks import SLOW_S, Spread, result_json, run_webhook_benchmark

    cfg = settings()
    if cfg.uses_local_broker:
        local.start(cfg)
    with console.status("measuring…") as status:
        try:
            result = run_webhook_benchmark(
                cfg, events=events, alerts=alerts, runs=runs, progress=status.update
            )
        except RuntimeError as error:
            fail(str(error))

    def row(name: str, spread: Spread) -> list[str]:
        figures = ", ".join(f"{r:,.0f}" for r in spread.runs)
        return [name, figures, f"{spread.median:,.0f}", f"{spread.low:,.0f}–{spread.high:,.0f}"]

    table = Table("figure", "runs", "median", "spread", title="webhooks benchmark (this machine)")
    table.add_row(*row("deliveries/s to a local receiver", result.deliveries_per_s))
    table.add_row(*row("intake events/s, no receiver", result.intake_without))
    table.add_row(*row(f"intake events/s, a {SLOW_S:g} s receiver", result.intake_with_slow))
    table.add_row(*row("worker CPU µs/event, no receiver", result.cpu_without))
    table.add_row(*row(f"worker CPU µs/event, a {SLOW_S:g} s receiver", result.cpu_with_slow))
    console.print(table)
    console.print(
        f"slow receiver accepted per run: {', '.join(map(str, result.slow_deliveries))}"
        f" (it was busy all along); {result.events:,} events, {result.database}"
    )
    inside = result.intake_with_slow.median >= result.intake_without.low
    verdict = (
        "[green]inside the spread of the runs without[/]"
        if inside
        else "[yellow]below every run without[/]"
    )
    console.print(f"intake with ÷ without a slow receiver (medians): {result.ratio:.3f}, {verdict}")
    console.print(
        f"worker CPU per event with ÷ without (medians): {result.cpu_ratio:.3f}"
        " (the rate moves with whatever else the machine runs; the CPU per event hardly)"
    )
    if output is not None:
        output.write_bytes(result_json(result))


@app.command()
def fusion(
    products: Annotated[
        int, typer.Option("--products", min=20, help="Simulated products per run.")
    ] = 400,
    days: Annotated[int, typer.Option("--days", min=90, help="Days simulated per run.")] = 180,
    runs: Annotated[int, typer.Option("--runs", min=1, help="Runs (seeds seed, seed+1, …).")] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same figures.")] = 20261130,
    budget: Annotated[
        float,
        typer.Option("--budget", min=0.1, help="Investigations opened, per true defect (K / D)."),
    ] = 1.0,
) -> None:
    """Fused live score vs each part alone, at the same number of investigations opened."""
    from recall.tools.bench.fusion import (
        FOUND_SOON_DAYS,
        FOUND_WITHIN_DAYS,
        run_fusion_benchmark,
        spread,
    )

    results = []
    with Progress(
        TextColumn("replaying days through assess"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("days", total=runs * days)
        for n in range(runs):

            def advance(day: int, done: int = n * days) -> None:
                bar.update(task, completed=done + day)

            results.append(
                run_fusion_benchmark(products, days, seed + n, progress=advance, budget=budget)
            )
    k = ", ".join(f"{r.k} (of {r.defects} defects)" for r in results)
    table = Table(
        "method 方法",
        "opened 立案",
        "found 发现 (per run)",
        f"found ≤ {FOUND_SOON_DAYS} d",
        f"found ≤ {FOUND_WITHIN_DAYS} d",
        "median delay d (per run)",
        title=f"fused-score benchmark (融合评分基准): {products} products x {days} days, "
        f"seeds {seed}..{seed + runs - 1}",
        caption=f"K = investigations opened per method (true defects x {budget:g}): {k}",
    )
    for s in spread(results):
        table.add_row(
            s.method,
            " / ".join(map(str, s.opened)),
            " / ".join(map(str, s.found)) + f"  ({min(s.found)}–{max(s.found)})",
            " / ".join(map(str, s.found_soon)),
            " / ".join(map(str, s.found_early)),
            " / ".join("–" if d is None else f"{d:g}" for d in s.median_delay),
        )
    console.print(table)
