"""`recall station …`: what a monitoring station, lab or firm does — send events."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from recall.cli import station_keys
from recall.cli.common import console, fail, sessions, settings

if TYPE_CHECKING:
    from recall.config import Settings
    from recall.tools.simulate.events import SimProduct
    from recall.tools.simulate.firms import FirmPlan, FirmRecall, SimFirm

app = typer.Typer(help="Send events as stations do, or simulate many stations at once.")


@app.command()
def send(
    file: str = typer.Argument(
        ..., help="JSON-lines file of station events, or - for standard input."
    ),
    as_server: bool = typer.Option(
        False,
        "--as-server",
        help="On the server only: sign as each line's station with the server's keys"
        " (needs the database and RECALL_SIGNING_SECRET) instead of RECALL_STATION_KEY.",
    ),
    wait: float | None = typer.Option(
        None,
        "--wait",
        min=0.0,
        max=3600.0,
        help="Then ask the API, for up to SECONDS, whether each event was accepted or rejected"
        " (and why); exit 1 if any was rejected, 2 if any is still pending. Needs"
        " RECALL_API_TOKEN (the station account's token).",
    ),
    api: str = typer.Option(
        "http://127.0.0.1:8000", "--api", envvar="RECALL_API_URL", help="The API's base URL."
    ),
) -> None:
    """Sign and publish each line to intake.raw, keyed by its reporter_id.

    A station signs with its own key, RECALL_STATION_KEY (from `recall station key issue`),
    and can send only its own events. With --wait it reads what became of them through the
    API (a station has no database access).
    """
    from recall.adapters.kafka.producer import StationSender
    from schemas.signing import KeySource, NoSigningKeyError

    cfg = settings()
    keys: KeySource | None = None
    if as_server:
        from recall.adapters.db.key_store import server_side_keys

        keys = server_side_keys(sessions(cfg), cfg)
    elif cfg.station_key is None:
        fail(
            "RECALL_STATION_KEY is not set, so events cannot be signed",
            "on the server run `recall station key issue STATION_ID` and set its output as"
            " RECALL_STATION_KEY on this station (or use --as-server on the server itself)",
        )
    token = os.environ.get("RECALL_API_TOKEN")
    if wait is not None and not token:
        fail(
            "--wait reads the outcome through the API, but RECALL_API_TOKEN is not set",
            "set it to the token of this station's account (`recall accounts add`)",
        )
    stream = sys.stdin.buffer if file == "-" else _open(Path(file))
    sender = StationSender(cfg, keys=keys)
    sent = skipped = 0
    event_ids: list[str] = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            parsed = orjson.loads(line)
            reporter = str(parsed["reporter_id"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            console.print(f"[yellow]line {number}: no readable reporter_id; not sent[/]")
            skipped += 1
            continue
        try:
            sender.send(reporter, line.rstrip(b"\r\n"))
        except NoSigningKeyError as error:
            console.print(f"[yellow]line {number}: {escape(str(error))}; not sent[/]")
            skipped += 1
            continue
        sent += 1
        event_ids.append(str(parsed.get("event_id", "")))
    sender.flush()
    sender.close()
    console.print(
        f"sent {sent} event(s) to intake.raw" + (f", skipped {skipped}" if skipped else "")
    )
    if wait is not None and token:
        raise typer.Exit(_feedback(api, token, event_ids, wait))


def _feedback(api: str, token: str, event_ids: list[str], wait: float) -> int:
    import httpx

    from recall.cli.station_feedback import FeedbackError, report_outcomes

    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=api, headers=headers, timeout=10.0) as client:
            return report_outcomes(
                client, event_ids, wait, lambda text: console.print(escape(text))
            )
    except (httpx.HTTPError, FeedbackError) as error:
        fail(f"cannot read the outcome from {api}: {error}")


def _open(path: Path) -> typer.FileBinaryRead:
    try:
        return path.open("rb")  # type: ignore[return-value]
    except OSError as error:
        fail(f"cannot read {path}: {error}")


@app.command()
def simulate(
    stations: int = typer.Option(
        20, "--stations", min=1, help="How many registered stations play."
    ),
    rate: float = typer.Option(
        200.0, "--rate", min=0.1, help="Events per second, all stations together."
    ),
    duration: float = typer.Option(60.0, "--duration", min=0.1, help="Seconds to run."),
    seed: int = typer.Option(
        1, "--seed", help="Random seed: the same seed sends the same traffic."
    ),
    malformed: float = typer.Option(
        0.02, "--malformed", min=0.0, max=1.0, help="Share of deliberately broken events."
    ),
    duplicates: float = typer.Option(
        0.01, "--duplicates", min=0.0, max=1.0, help="Share of resent events."
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Write the traffic report as JSON here."
    ),
) -> None:
    """Play registered stations (hospitals, schools, traffic police, malls, labs, …)."""
    from recall.adapters.db.key_store import server_side_keys
    from recall.adapters.db.registry_store import reporting_population
    from recall.adapters.kafka.producer import StationSender
    from recall.tools.simulate.events import SimProduct, SimStation
    from recall.tools.simulate.traffic import TrafficPlan, run_traffic
    from schemas.signing import NoSigningKeyError

    cfg = settings()
    known_stations, products = reporting_population(sessions(cfg))
    if not known_stations or not products:
        fail("the registry is empty", "recall registry load --sample")
    rng = random.Random(seed)
    chosen = rng.sample(known_stations, min(stations, len(known_stations)))
    plan = TrafficPlan(rate, duration, seed, malformed, duplicates)
    sender = StationSender(cfg, keys=server_side_keys(sessions(cfg), cfg))
    total = int(rate * duration)
    with Progress(
        TextColumn("simulating stations"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("send", total=total)
        try:
            result = run_traffic(
                sender,
                [SimStation(*s) for s in chosen],
                [SimProduct(*p) for p in products],
                plan,
                progress=lambda n: bar.advance(task, n),
            )
        except NoSigningKeyError as error:
            sender.close()
            fail(escape(str(error)), "recall registry load --sample issues keys to new stations")
    sender.close()
    table = Table("sent", "count", title=f"{len(chosen)} stations, {rate:g}/s for {duration:g}s")
    table.add_row("published", f"{result.published:,}")
    table.add_row("valid", f"{result.valid:,}")
    table.add_row("malformed", f"{result.malformed:,}")
    table.add_row("resent (duplicates)", f"{result.duplicates:,}")
    console.print(table)
    if result.send_errors:
        fail(f"{result.send_errors} events could not be delivered to the broker")
    if report is not None:
        report.write_bytes(
            orjson.dumps(
                {
                    "published": result.published,
                    "valid": result.valid,
                    "malformed": result.malformed,
                    "duplicates": result.duplicates,
                    "broken": dict(result.broken),
                }
            )
        )


app.add_typer(station_keys.app, name="key")


@app.command("simulate-firms")
def simulate_firms(
    recalls: int = typer.Option(
        10, "--recalls", min=1, help="How many recalls the firms announce."
    ),
    seed: int = typer.Option(
        1, "--seed", help="Random seed: the same seed builds the same recalls."
    ),
    lagging: float = typer.Option(
        0.3, "--lagging", min=0.0, max=1.0, help="Share of firms that drag their feet."
    ),
    late: float = typer.Option(
        0.2, "--late", min=0.0, max=1.0, help="Share of progress reports sent after the deadline."
    ),
    days: int = typer.Option(
        180, "--days", min=30, max=720, help="The recalls started this many days ago."
    ),
) -> None:
    """Play registered firms: each announces a recall of its own product, then reports progress."""
    from datetime import UTC, datetime

    from recall.adapters.db.key_store import server_side_keys
    from recall.adapters.kafka.producer import StationSender
    from recall.tools.simulate.firms import FirmPlan, firm_recalls

    cfg = settings()
    firms, products = _firm_population(cfg)
    if not firms:
        fail(
            "no firm stations with a manufacturer in the registry", "recall registry load --sample"
        )
    plan = FirmPlan(recalls, seed, lagging, late, days)
    try:
        built = firm_recalls(firms, products, plan, datetime.now(UTC))
    except ValueError as error:
        fail(str(error), "recall registry load --sample")
    errors: list[Exception] = []
    sender = StationSender(cfg, keys=server_side_keys(sessions(cfg), cfg))
    with Progress(
        TextColumn("firms reporting"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task("send", total=sum(len(r.events) for r in built))
        for recall in built:
            for reporter, value in recall.events:
                sender.send(reporter, value, on_error=errors.append)
                bar.advance(task)
        sender.flush()
    sender.close()
    console.print(_firm_summary(built, plan))
    if errors:
        fail(f"{len(errors)} events could not be delivered to the broker")


def _firm_population(cfg: Settings) -> tuple[list[SimFirm], list[SimProduct]]:
    from recall.tools.simulate.population import firm_population

    return firm_population(sessions(cfg))


def _firm_summary(built: list[FirmRecall], plan: FirmPlan) -> Table:
    table = Table(
        "recall 召回编号",
        "firm 企业",
        "reports 报告",
        "late 迟交",
        "rate 纠正率",
        "target 目标",
        "lagging 滞后",
        title=f"{len(built)} recalls started {plan.days} days ago (seed {plan.seed})",
        caption="the worker judges them: `recall recalls list`",
    )
    for r in built:
        table.add_row(
            r.recall_id,
            r.reporter_id,
            str(r.reports),
            str(r.late_reports),
            f"{r.final_rate:.1%}",
            f"{r.target_rate:.0%}",
            "yes" if r.lagging else "",
        )
    return table
