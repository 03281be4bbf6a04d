"""`recall replay`: re-assess the stored events with today's risk rules, alerting nobody."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from recall.cli.common import console, fail, sessions, settings
from schemas.common import ProductCategory

if TYPE_CHECKING:
    from recall.adapters.db.replay_store import SqlReplaySource, SqlReplayTarget
    from recall.service.risk.replay import ReplayRules, ReplaySummary, ReplayWindow, SignalOutcome


def register(app: typer.Typer) -> None:
    app.command("replay")(replay_command)


def replay_command(
    since: Annotated[
        datetime | None,
        typer.Option(help="Only events received at or after this time (UTC without an offset)."),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option(help="Only events received before this time (UTC without an offset)."),
    ] = None,
    category: Annotated[
        ProductCategory | None, typer.Option(help="Only products of this category.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compute and report; write nothing.")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(help="Write each signal outcome (new, stored, gone) here as JSON lines."),
    ] = None,
    batch: Annotated[
        int, typer.Option(min=1, max=100_000, help="Events per assessment (the live agent: 1000).")
    ] = 1000,
) -> None:
    """Re-assess the stored events with today's risk rules, at bulk speed, alerting nobody.

    Reads the `events` table in arrival order (receipt time, then source position) and runs
    the risk agent's own parser and rules over it, per-product states rebuilt in memory
    (empty at --since: baselines are learned from the window). Then:

    \b
    - scores that differ from the read model's are written to risk_scores, stamped with the
      replay's start (a live score updated later still wins); --dry-run writes none;
    - signals the rules raise now are compared with risk_signals and only REPORTED
      (new / stored / gone; --report FILE): never stored, never produced.

    Never produces to Kafka; never writes risk_signals, alerts, outbox rows, webhooks or
    investigations; never touches the worker's live per-product states (product_to_risk).
    An operator command (database credentials, no regional scoping): docs/streams.md, Replay.
    """
    from recall.adapters.db.disproportionality_store import SqlLiveDisproportionality
    from recall.adapters.db.errors import is_transient
    from recall.adapters.db.registry_store import units_in_use
    from recall.adapters.db.replay_store import SqlReplaySource, SqlReplayTarget
    from recall.service.risk.disproportionality_job import evidence_by_product
    from recall.service.risk.replay import ReplayRules, ReplayWindow

    cfg = settings()
    window = ReplayWindow(_utc(since), _utc(until), category.value if category else None)
    if window.since and window.until and window.since >= window.until:
        fail("--since must be before --until")
    started_at = datetime.now(UTC)
    try:
        db = sessions(cfg)
        pairs, _ = SqlLiveDisproportionality(db).stored_pairs()
        rules = ReplayRules(
            units=units_in_use(db),
            disproportionality=evidence_by_product(pairs),
            max_age_days=math.ceil(cfg.event_max_age_days),  # as the worker reads it
        )
        source, target = SqlReplaySource(db), SqlReplayTarget(db)
        with _report_file(report) as write:
            summary = _run(source, target, rules, window, started_at, dry_run, batch, write)
    except Exception as error:  # an outage: say so; anything else is a bug, shown whole
        if not is_transient(error) and not isinstance(error, OSError):
            raise
        fail(
            escape(f"{type(error).__name__}: {error}"),
            "run `recall replay` again once the database answers: it writes only scores, "
            "which a second run finds equal",
        )
    _print(summary, report)


def _run(
    source: SqlReplaySource,
    target: SqlReplayTarget,
    rules: ReplayRules,
    window: ReplayWindow,
    started_at: datetime,
    dry_run: bool,
    batch: int,
    write: Callable[[SignalOutcome], None] | None,
) -> ReplaySummary:
    """The replay under a progress bar: events done of the window's, events/s, time left."""
    import time

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from recall.service.risk.replay import replay

    total = source.count(window)
    with Progress(
        TextColumn("replaying events (重放事件)"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("replay", total=total, rate="")
        clock, done = time.perf_counter(), 0

        def advance(events: int) -> None:
            nonlocal done
            done += events
            seconds = time.perf_counter() - clock
            rate = f"{done / seconds:,.0f} events/s" if seconds > 0 else ""
            progress.update(task, advance=events, rate=rate)

        return replay(
            source,
            target,
            rules,
            started_at=started_at,
            window=window,
            dry_run=dry_run,
            batch=batch,
            progress=advance,
            report=write,
        )


@contextmanager
def _report_file(path: Path | None) -> Iterator[Callable[[SignalOutcome], None] | None]:
    """A writer of signal outcomes as JSON lines, or None without --report."""
    if path is None:
        yield None
        return
    with path.open("wb") as out:

        def write(outcome: SignalOutcome) -> None:
            line = {"status": outcome.status, "signal_id": outcome.signal_id}
            line["product_key"] = outcome.product_key
            record = outcome.record.model_dump(mode="json") if outcome.record else None
            out.write(orjson.dumps({**line, "record": record}) + b"\n")

        yield write


def _utc(moment: datetime | None) -> datetime | None:
    """A time without an offset is UTC, as every stored time is."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _print(summary: ReplaySummary, report: Path | None) -> None:
    title = "replay (重放) — dry run, nothing written" if summary.dry_run else "replay (重放)"
    table = Table("figure", "count", title=title)
    table.add_row("events read (读取事件)", f"{summary.events:,}")
    table.add_row("  unreadable (无法解析)", f"{summary.unreadable:,}")
    table.add_row("  set aside as late or future (迟到/未来)", f"{summary.set_aside:,}")
    table.add_row("  failed assessment (评估失败)", f"{summary.failed:,}")
    table.add_row("products (产品)", f"{summary.products:,}")
    table.add_row("signals the rules raise now (现规则信号)", f"{summary.signals_now:,}")
    table.add_row("signals stored (已存信号)", f"{summary.signals_stored:,}")
    table.add_row("  new: raised now, not stored (新增)", f"{summary.signals_new:,}")
    table.add_row("  gone: stored, not raised now (不再触发)", f"{summary.signals_gone:,}")
    table.add_row("scores changed (评分变化)", f"{summary.scores_changed:,}")
    table.add_row("scores written (评分写入)", f"{summary.scores_written:,}")
    table.add_row("seconds (秒)", f"{summary.seconds:,.1f}")
    table.add_row("events/s (事件/秒)", f"{summary.events_per_second:,.0f}")
    console.print(table)
    if report is not None:
        console.print(f"signal outcomes: {escape(str(report))}")
    console.print("no signal, alert, webhook or investigation was produced (未发出任何告警)")
