"""`recall recalls …`: recall implementation and effectiveness (召回实施与效果评估).

Decisions (evaluate, close) are taken as an API account, `--as ACCOUNT_ID`: the same scope
rule, actor and audit log as the API (`recall.cli.acting`).
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from recall.cli import acting
from recall.cli.acting import AsAccount, RetiredActor
from recall.cli.common import (
    check_scope,
    console,
    fail,
    open_storage,
    sessions,
    settings,
    utc_minutes,
)

if TYPE_CHECKING:
    from recall.domain.recalls import Forecast, LevelRates
    from recall.service.ports import Storage
    from recall.service.recalls.queries import RecallDossier

app = typer.Typer(help="Recalls (召回): list, show, evaluate, close, closure report, forecast.")

STATE_STYLES = {
    "announced": "cyan",
    "in_progress": "green",
    "lagging": "bold red",
    "completed": "magenta",
    "evaluated": "blue",
    "closed": "dim",
}
TIMELINESS_STYLES = {"on_time": "green", "late": "red", "overdue": "bold red", "pending": "dim"}


class StateChoice(StrEnum):
    ANNOUNCED = "announced"
    IN_PROGRESS = "in_progress"
    LAGGING = "lagging"
    COMPLETED = "completed"
    EVALUATED = "evaluated"
    CLOSED = "closed"


RecallId = Annotated[str, typer.Argument(help="Recall id (see `recall recalls list`).")]


def _pct(value: float | None, digits: int = 1) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:.{digits}%}"


def _state(state: str, verdict: str | None = None) -> str:
    label = f"{state} ({verdict})" if verdict else state
    return f"[{STATE_STYLES.get(state, 'white')}]{label}[/]"


def _interval(value: tuple[float, float, float] | Forecast | None) -> str:
    if value is None:
        return "—"
    final, low, high = (
        value if isinstance(value, tuple) else (value.final_rate, value.low80, value.high80)
    )
    return f"{final:.1%} [{low:.1%}–{high:.1%}]"


@contextmanager
def _refusals() -> Iterator[None]:
    """The domain's and the store's refusals as `fail` with what to do instead."""
    from sqlalchemy.exc import IntegrityError

    from recall.domain.errors import DomainError
    from recall.domain.recalls import IllegalRecallTransition
    from recall.service.recalls.lookup import RecallNotFoundError
    from recall.service.recalls.ports import ConcurrentRecallUpdateError

    try:
        yield
    except RecallNotFoundError as error:
        fail(escape(str(error)), "recall recalls list")
    except IllegalRecallTransition as error:
        fail(escape(str(error)), "recall recalls show <id> lists the history and state")
    except (ConcurrentRecallUpdateError, IntegrityError):
        fail("the recall changed meanwhile; nothing was saved", "run the command again")
    except DomainError as error:
        fail(escape(str(error)))


@app.command("list")
def list_(
    scope: Annotated[
        str | None,
        typer.Option("--scope", help="Jurisdiction code (GB/T 2260); covers its sub-areas."),
    ] = None,
    state: Annotated[
        list[StateChoice] | None, typer.Option("--state", help="Only these states (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many rows.")] = 100,
) -> None:
    """Recalls with their correction rate, forecast and target, most recently updated first."""
    from recall.service.recalls.queries import list_recalls

    check_scope(scope)
    states = [s.value for s in state or ()]
    rows = list_recalls(open_storage(), scope=scope, states=states, limit=limit)
    table = Table(title=f"recalls (召回): {len(rows)}")
    table.add_column("召回编号 recall", no_wrap=True)
    for header in ("类型 kind", "状态 state", "辖区 area"):
        table.add_column(header)
    for header in ("纠正率 rate", "调整后 adjusted", "预测 forecast (80%)", "目标 target"):
        table.add_column(header, justify="right")
    table.add_column("更新 updated")
    for r in rows:
        table.add_row(
            escape(r.recall_id),
            r.kind,
            _state(r.state, r.verdict),
            r.jurisdiction,
            _pct(r.raw_rate),
            _pct(r.adjusted_rate),
            _interval(r.forecast),
            _pct(r.target_rate, 0),
            utc_minutes(r.updated_at, "—"),
        )
    console.print(table)
    if not rows:
        console.print("no recalls match; firms announce them (`recall station simulate-firms`)")


@app.command()
def show(recall_id: RecallId) -> None:
    """Spec, transitions, reports, rates, forecast, deadlines and post-recall incidents."""
    from recall.service.recalls.queries import recall_dossier

    with _refusals():
        dossier = recall_dossier(open_storage(), recall_id, now=datetime.now(UTC))
    for part in (_spec_table, _history_table, _reports_table, _rates_table):
        console.print(part(dossier))
    console.print(_forecast_text(dossier))
    console.print(_deadline_table(dossier))
    post = dossier.data.post_recall
    if post is not None:
        console.print(
            f"post-recall incidents (召回后事件): before start {post.before} "
            f"(last {post.lookback_days:.0f} days) · after start {post.after}"
        )
    if dossier.data.ineffective is not None:
        for reason in dossier.data.ineffective.reasons:
            console.print(f"[bold red]recall ineffective (召回无效):[/] {escape(reason)}")


def _spec_table(d: RecallDossier) -> Table:
    spec = d.data.spec
    table = Table("field 字段", "value 值", title=f"recall 召回 {escape(spec.recall_id)}")
    rows = [
        ("title 标题", escape(spec.title)),
        (
            "kind 类型",
            str(spec.kind) + (f" ← {spec.investigation_id}" if spec.investigation_id else ""),
        ),
        ("state 状态", _state(d.state, d.verdict)),
        ("product 产品", f"{escape(spec.product_key)} · {spec.category}"),
        ("batches 批次", escape(", ".join(sorted(spec.batches))) or "all"),
        ("firm 企业", escape(spec.firm_id)),
        ("area 辖区", d.jurisdiction),
        ("hazard / risk 危害 / 风险", f"{d.hazard} / {spec.risk_level}"),
        ("affected 涉及", ", ".join(f"{k} {v:,}" for k, v in spec.affected.items())),
        ("remedies 措施", ", ".join(sorted(spec.remedies))),
        ("channels 渠道", ", ".join(sorted(spec.channels))),
        (
            "start → target 期限",
            f"{utc_minutes(spec.start, '—')} → {utc_minutes(spec.target_date, '—')}",
        ),
        (
            "target rate 目标",
            f"{spec.target_rate:.0%} · reports every {spec.reporting_cadence_days} days",
        ),
    ]
    for field, value in rows:
        table.add_row(field, value)
    return table


def _history_table(d: RecallDossier) -> Table:
    table = Table(
        "when 时间", "from → to 状态", "who 操作人", "why 理由", title="transitions 状态变更"
    )
    for t in d.data.history:
        table.add_row(
            utc_minutes(t.when, "—"),
            f"{t.from_state or '—'} → {t.to_state}",
            escape(t.who),
            escape(t.why),
        )
    return table


def _reports_table(d: RecallDossier) -> Table:
    table = Table(title=f"progress reports 进度报告: {len(d.data.reports)}")
    table.add_column("#", justify="right")
    for header in ("period 报告期", "submitted 提交"):
        table.add_column(header)
    for header in ("notified 已通知", "corrected 已纠正", "unreachable 无法联系", "rate 纠正率"):
        table.add_column(header, justify="right")
    total = d.data.spec.total_affected
    for r in d.data.reports:
        table.add_row(
            str(r.sequence),
            f"{r.period_start:%Y-%m-%d} → {r.period_end:%Y-%m-%d}",
            utc_minutes(r.submitted_at, "—"),
            f"{r.notified_total:,}",
            f"{r.corrected_total:,}",
            f"{r.unreachable_total:,}",
            _pct(r.corrected_total / total),
        )
    return table


def _rates_table(d: RecallDossier) -> Table:
    table = Table(
        title="correction rates 纠正率 (raw = corrected ÷ affected; adjusted excludes unreachable)"
    )
    table.add_column("level 层级")
    for header in (
        "affected 涉及",
        "corrected 已纠正",
        "unreachable",
        "raw 原始",
        "adjusted 调整后",
        "reach 通知覆盖",
    ):
        table.add_column(header, justify="right")
    for scope, r in d.rates.items():
        table.add_row(scope, *_rate_cells(r))
    return table


def _rate_cells(r: LevelRates) -> list[str]:
    return [
        f"{r.affected:,}",
        f"{r.corrected:,}",
        f"{r.unreachable:,}",
        _pct(r.raw_rate),
        _pct(r.adjusted_rate),
        _pct(r.reach),
    ]


def _forecast_text(d: RecallDossier) -> str:
    f = d.current_forecast
    if f is None:
        return "forecast (预测): none — no reports and no finished recalls of this category yet"
    target = d.data.spec.target_rate
    verdict = "[red]below target[/]" if f.high80 < target else "[green]target within reach[/]"
    return (
        f"forecast (预测) final rate at day {f.horizon_days:.0f}: [bold]{f.final_rate:.1%}[/] "
        f"(80%: {f.low80:.1%}–{f.high80:.1%}; {f.method}, {f.n_points} report(s)) · "
        f"target {target:.0%}: {verdict}"
    )


def _deadline_table(d: RecallDossier) -> Table:
    data = d.data
    misses = sum(1 for s in data.deadlines if s.timeliness in ("late", "overdue"))
    table = Table(
        "#",
        "due 截止",
        "submitted 提交",
        "status 状态",
        title=f"deadlines 报告期限: {misses} late or overdue of {len(data.deadlines)}",
        caption=f"overdue notices {len(data.notices)} · "
        f"referrals to enforcement {len(data.referrals)}",
    )
    for s in data.deadlines:
        style = TIMELINESS_STYLES.get(s.timeliness, "white")
        table.add_row(
            str(s.expected.sequence),
            utc_minutes(s.expected.due, "—"),
            utc_minutes(s.submitted_at, "—"),
            f"[{style}]{s.timeliness}[/]",
        )
    return table


@contextmanager
def _deciding(
    account: str | None, retired: str | None, action: str, recall_id: str
) -> Iterator[tuple[Storage, acting.Actor]]:
    """Act as the account on the recall, as the API's routes do: refusals explained, the
    scope checked by `decide`, the outcome audited as `recall.<action>`."""
    from recall.adapters.db.storage import SqlStorage
    from recall.service.recalls.pages import scope_of_recall

    db = sessions(settings())
    actor = acting.acting_as(account, retired, db)
    storage = SqlStorage(db)
    with _refusals(), acting.recorded(actor, f"recall.{action}", recall_id):
        scope = scope_of_recall(storage, recall_id)
        acting.permit(actor, scope, action=action, noun="recall", identifier=recall_id)
        yield storage, actor


@app.command()
def evaluate(recall_id: RecallId, as_: AsAccount = None, actor: RetiredActor = None) -> None:
    """Judge a completed recall (effective / partially / ineffective) and record the verdict."""
    from recall.service.recalls import commands

    with _deciding(as_, actor, "evaluate", recall_id) as (storage, who):
        outcome = commands.evaluate(storage, recall_id, actor=who.account_id, now=datetime.now(UTC))
    e = outcome.evaluation
    console.print(f"recall {escape(recall_id)}: completed → [bold]evaluated[/]")
    console.print(f"verdict (评估结论): [bold]{e.verdict}[/]")
    console.print(
        f"raw {_pct(e.raw_rate)} · adjusted {_pct(e.adjusted_rate)} · "
        f"target {_pct(e.target_rate, 0)}"
        + ("" if e.category_percentile is None else f" · percentile {e.category_percentile:.0f}")
    )
    console.print(f"FDA effectiveness-check level: {outcome.fda.level} ({outcome.fda.reason})")
    for reason in e.reasons:
        console.print(f"  • {escape(reason)}")
    console.print(
        f"next: recall recalls close {escape(recall_id)} --as {who.account_id} --reason …"
    )


@app.command()
def close(
    recall_id: RecallId,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail).")],
    as_: AsAccount = None,
    actor: RetiredActor = None,
) -> None:
    """File the closure: evaluated → closed (nothing may change afterwards)."""
    from recall.service.recalls import commands

    with _deciding(as_, actor, "close", recall_id) as (storage, who):
        commands.close(
            storage, recall_id, actor=who.account_id, reason=reason, now=datetime.now(UTC)
        )
    console.print(f"recall {escape(recall_id)}: evaluated → [bold]closed[/]")
    console.print(f"next: recall recalls report {escape(recall_id)} --output closure.html")


@app.command()
def report(
    recall_id: RecallId,
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")] = Path(
        "closure.html"
    ),
    pdf: Annotated[
        Path | None, typer.Option("--pdf", help="Also print a PDF with headless chromium.")
    ] = None,
) -> None:
    """Write the closure report (召回结案报告): one self-contained HTML page."""
    from recall.adapters.reports.closure import render_closure_report
    from recall.service.recalls.queries import closure_data

    with _refusals():
        data = closure_data(open_storage(), recall_id, now=datetime.now(UTC))
    try:
        output.write_text(render_closure_report(data), encoding="utf-8")
    except OSError as error:
        fail(f"cannot write {output}: {error}")
    console.print(f"wrote {output} ({len(data.reports)} reports, {len(data.history)} transitions)")
    if pdf is not None:
        _print_pdf(output, pdf)


def _print_pdf(html: Path, pdf: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        fail("no chromium found to print the PDF", "open the HTML and print it from a browser")
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--print-to-pdf={pdf.resolve()}",
        html.resolve().as_uri(),
    ]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    except (subprocess.SubprocessError, OSError) as error:
        fail(f"chromium could not print the PDF: {error}")
    console.print(f"wrote {pdf}")


@app.command()
def forecast(
    input_path: Annotated[
        Path,
        typer.Option("--input", "-i", help="CSV: recall_id,day,affected,corrected[,category]."),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV to write.")] = Path(
        "forecast.csv"
    ),
) -> None:
    """Forecast each open recall's final rate (80% interval) from a progress CSV."""
    from recall.adapters.progress_csv import ProgressCsvError, forecast_csv
    from recall.domain.errors import DomainError

    if not input_path.is_file():
        fail(f"no such file: {input_path}", "give the progress CSV with --input")
    try:
        rows = forecast_csv(input_path, output)
    except ProgressCsvError as error:
        fail(escape(str(error)), "fix the lines above; nothing was written")
    except (DomainError, OSError) as error:
        fail(escape(str(error)))
    table = Table(title=f"forecast (预测): {len(rows)} recalls → {output}")
    table.add_column("recall_id 召回编号", no_wrap=True)
    for header in ("final_rate 最终纠正率", "low80", "high80"):
        table.add_column(header, justify="right")
    table.add_column("basis 依据")
    for r in rows:
        basis = "finished (observed)" if r.finished else f"{r.method}, {r.n_points} points"
        table.add_row(escape(r.recall_id), _pct(r.final_rate), _pct(r.low80), _pct(r.high80), basis)
    console.print(table)
