"""`recall readmodel …`: rebuild the SQL read model from the topics, or show what it holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from recall.cli.common import console, fail, sessions, settings

if TYPE_CHECKING:
    from recall.config import Settings
    from recall.service.readmodel.ports import ReadModel

app = typer.Typer(
    help="Read model (查询视图): risk scores, signals and alerts kept in SQL for the API."
)


@dataclass
class RebuildSummary:
    read: int = 0
    projected: int = 0
    dead: int = 0

    @property
    def skipped(self) -> int:
        return self.read - self.projected - self.dead


@app.command()
def rebuild(
    batch: int = typer.Option(500, min=1, max=5000, help="Records per transaction."),
) -> None:
    """Empty risk_scores, risk_signals and alerts, then replay their topics from the start.

    Safe beside running workers: every write is idempotent (a score only replaces an older
    one, signals and alerts are inserted once by id), so the projectors and the rebuild may
    write the same records in any order.
    """
    from kafka.errors import KafkaError

    from recall.adapters.db.read_model import SqlReadModel
    from recall.adapters.kafka.admin import partition_ranges
    from streams.agents.project import SOURCES

    cfg = settings()
    model = SqlReadModel(sessions(cfg))
    topics = [cfg.topic_name(source.spec.name) for source in SOURCES]
    try:
        total = sum(r.end - r.start for t in topics for r in partition_ranges(cfg, t))
        model.clear()
        summary = _replay_all(cfg, model, batch, total)
    except Exception as error:  # an outage: say so; anything else is a bug, shown whole
        if not model.is_transient(error) and not isinstance(error, OSError | KafkaError):
            raise
        fail(
            escape(f"{type(error).__name__}: {error}"),
            "run `recall readmodel rebuild` again once the broker and database answer",
        )
    table = Table("figure", "records", title="read model rebuilt (查询视图已重建)")
    table.add_row("read (读取)", f"{summary.read:,}")
    table.add_row("projected (写入)", f"{summary.projected:,}")
    table.add_row("skipped as older or known (跳过)", f"{summary.skipped:,}")
    table.add_row("unreadable, dead (无法读取)", f"{summary.dead:,}")
    console.print(table)
    _print_status(model)


def _replay_all(cfg: Settings, model: ReadModel, batch: int, total: int) -> RebuildSummary:
    from pydantic import ValidationError
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from recall.adapters.kafka.replay import replay
    from streams.agents.project import SOURCES, Record, write_records

    summary = RebuildSummary()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as progress:
        task = progress.add_task("replaying", total=total)
        # Signals first: a score of a product outside the registry takes its region from them.
        for source in sorted(SOURCES, key=lambda s: s.table != "risk_signals"):
            topic = cfg.topic_name(source.spec.name)
            progress.update(task, description=f"replaying {escape(topic)}")
            for records in replay(cfg, topic, batch=batch):
                parsed: list[Record] = []
                for record in records:
                    try:
                        parsed.append(source.parse(record))
                    except ValidationError:  # dead-lettered by the projector already
                        summary.dead += 1
                outcome = write_records(model, parsed)
                summary.read += len(records)
                summary.projected += outcome.projected
                progress.advance(task, len(records))
    return summary


@app.command()
def status() -> None:
    """Rows and newest record time of each read-model table."""
    from recall.adapters.db.read_model import SqlReadModel

    _print_status(SqlReadModel(sessions(settings())))


def _print_status(model: ReadModel) -> None:
    table = Table("table", "rows", "newest (UTC)", title="read model (查询视图)")
    for entry in model.status():
        newest = entry.newest.isoformat(timespec="seconds") if entry.newest else "—"
        table.add_row(entry.table, f"{entry.rows:,}", newest)
    console.print(table)
