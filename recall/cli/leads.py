"""`recall leads …`: the triage queue of newsroom reports and complaints (信息处置).

A regulator records a lead (a 12315 complaint, a newsroom's report), then accepts it (opens
an investigation with the lead as first evidence), merges it into an open investigation, or
dismisses it with a reason. Recording and deciding act as an API account, `--as ACCOUNT_ID`:
the account's region must cover the lead (and, for a merge, the investigation), the decision
names the account, and the audit log keeps every attempt (`recall.cli.acting`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from recall.cli import acting
from recall.cli.acting import AsAccount
from recall.cli.common import (
    check_scope,
    console,
    fail,
    output_topics,
    sessions,
    settings,
    utc_minutes,
)

if TYPE_CHECKING:
    from recall.adapters.db.lead_store import SqlLeadStorage
    from recall.domain.leads import Lead

app = typer.Typer(
    help="Lead triage (信息处置): record newsroom reports and complaints (12315), or queue the"
    " newsrooms' reports from the record (import-media); then accept (open an investigation),"
    " merge into an open investigation, or dismiss with a reason.",
    no_args_is_help=True,
)
NOUN = "lead"
STATE_STYLES = {"pending": "yellow", "accepted": "green", "merged": "cyan", "dismissed": "dim"}
NEXT = (
    "accept → recall leads accept {id} --reason … --as ACCOUNT_ID; "
    "merge → recall leads merge {id} --into INVESTIGATION_ID --reason … --as ACCOUNT_ID; "
    "dismiss → recall leads dismiss {id} --reason … --as ACCOUNT_ID"
)

LeadId = Annotated[str, typer.Argument(help="Lead id (see `recall leads list`).")]
Reason = Annotated[str, typer.Option("--reason", help="Why (kept with the decision).")]


class SourceChoice(StrEnum):
    MEDIA = "media"
    COMPLAINT = "complaint"


class StateChoice(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    MERGED = "merged"
    DISMISSED = "dismissed"


def _storage() -> SqlLeadStorage:
    from recall.adapters.db.lead_store import SqlLeadStorage

    return SqlLeadStorage(sessions(settings()))


def _state(state: str) -> str:
    return f"[{STATE_STYLES.get(state, 'white')}]{state}[/]"


@contextmanager
def _refusals() -> Iterator[None]:
    """The domain's and the store's refusals as `fail`, with what to do instead."""
    from recall.domain.errors import DomainError
    from recall.domain.investigations import IllegalInvestigationTransition
    from recall.domain.leads import IllegalLeadTransition
    from recall.service.investigations.ports import ConcurrentUpdateError
    from recall.service.investigations.queries import InvestigationNotFoundError
    from recall.service.leads.commands import LeadNotFoundError
    from recall.service.leads.ports import LeadDecidedMeanwhileError

    try:
        yield
    except IllegalLeadTransition as error:
        fail(escape(str(error)), f"recall leads show {error.lead_id}")
    except IllegalInvestigationTransition as error:
        fail(
            escape(str(error)),
            f"merge the lead into it: recall leads merge LEAD_ID --into {error.investigation_id}"
            " --reason … --as ACCOUNT_ID",
        )
    except LeadNotFoundError as error:
        fail(escape(str(error)), "recall leads list")
    except InvestigationNotFoundError as error:
        fail(escape(str(error)), "recall investigations list --state opened --state assigned")
    except (LeadDecidedMeanwhileError, ConcurrentUpdateError) as error:
        fail(f"{error} was decided or changed meanwhile; nothing was saved", "recall leads show")
    except DomainError as error:
        fail(escape(str(error)))


@contextmanager
def _acting(account: str | None, action: str, lead_id: str) -> Iterator[acting.Actor]:
    """Act as the account on the lead: scope checked, attempt audited as `lead.<action>`."""
    from recall.domain.access import Scoped
    from recall.service.leads.queries import get_lead

    actor = acting.acting_as(account, None, sessions(settings()))
    with _refusals(), acting.recorded(actor, f"lead.{action}", lead_id):
        lead = get_lead(_storage(), lead_id)
        acting.permit(
            actor, Scoped(lead.jurisdiction), action=f"{action} a", noun=NOUN, identifier=lead_id
        )
        yield actor


@app.command("list")
def list_(
    scope: Annotated[
        str | None,
        typer.Option("--scope", help="Jurisdiction code (GB/T 2260); covers its sub-areas."),
    ] = None,
    state: Annotated[
        list[StateChoice] | None,
        typer.Option("--state", help="Only these states (repeatable); pending: still to triage."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many rows.")] = 50,
) -> None:
    """The triage queue, newest received first."""
    from recall.domain.leads import LeadState
    from recall.service.leads.queries import list_leads

    check_scope(scope)
    rows = list_leads(
        _storage(), scope=scope, states=[LeadState(s.value) for s in state or ()], limit=limit
    )
    table = Table(title=f"leads (线索): {len(rows)}")
    table.add_column("id 编号", no_wrap=True, min_width=36)
    for header in (
        "source 来源",
        "reference 编号",
        "product 产品",
        "hazard 危害",
        "jurisdiction 辖区",
        "state 状态",
        "received 接收 (UTC)",
    ):
        table.add_column(header, overflow="fold")
    for lead in rows:
        table.add_row(
            lead.lead_id,
            lead.source.value,
            escape(lead.reference),
            escape(lead.product_key),
            lead.hazard,
            lead.jurisdiction,
            _state(lead.state.value),
            utc_minutes(lead.received_at),
        )
    console.print(table)
    if not rows:
        console.print("no leads match; record one with `recall leads record --help`")


@app.command()
def show(lead_id: LeadId) -> None:
    """One lead: what was reported, who recorded it, and the decision (who, when, why)."""
    from recall.service.leads.queries import get_lead

    with _refusals():
        lead = get_lead(_storage(), lead_id)
    _print(lead)


@app.command()
def record(
    *,
    source: Annotated[SourceChoice, typer.Option("--source", help="media or complaint.")],
    reference: Annotated[
        str, typer.Option("--reference", help="The channel's id: 12315 ticket, article id.")
    ],
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", help="Where (GB/T 2260).")],
    category: Annotated[str, typer.Option("--category", help="Product category code.")],
    kind: Annotated[str, typer.Option("--kind", help="Product kind code (taxonomy).")],
    brand: Annotated[str, typer.Option("--brand")],
    model: Annotated[str, typer.Option("--model")],
    hazard: Annotated[str, typer.Option("--hazard", help="Hazard code, e.g. fire, cuts.")],
    summary: Annotated[str, typer.Option("--summary", help="What was reported.")],
    manufacturer: Annotated[
        str | None, typer.Option("--manufacturer", help="Manufacturer's USCC, when known.")
    ] = None,
    received_at: Annotated[
        str | None,
        typer.Option("--received-at", help="ISO-8601 with offset; default: now (UTC)."),
    ] = None,
    as_: AsAccount = None,
) -> None:
    """Record a lead in the triage queue (the same --source/--reference twice: one lead)."""
    from pydantic import ValidationError

    from recall.domain.access import Scoped
    from recall.service.leads.commands import record_lead
    from schemas.leads import LeadReport

    try:
        report = LeadReport.model_validate(
            {
                "source": source.value,
                "reference": reference,
                "jurisdiction": jurisdiction,
                "product": {
                    "category": category,
                    "kind": kind,
                    "brand": brand,
                    "model": model,
                    "manufacturer_code": manufacturer,
                },
                "hazard": hazard,
                "summary": summary,
                "received_at": received_at or datetime.now(UTC).isoformat(),
            }
        )
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        fail(escape(f"the lead is not valid: {problems}"), "fix the option named and run again")
    actor = acting.acting_as(as_, None, sessions(settings()))
    with _refusals(), acting.recorded(actor, "lead.record", report.reference):
        acting.permit(
            actor,
            Scoped(report.jurisdiction),
            action="record a",
            noun=NOUN,
            identifier=report.reference,
        )
        done = record_lead(_storage(), report, actor=actor.account_id)
    word = "recorded (已登记)" if done.created else "already recorded (已存在), unchanged"
    console.print(f"{word}: lead {done.lead.lead_id}")
    _print(done.lead)


@app.command("import-media")
def import_media(
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="At most this many reports per run.")
    ] = 500,
) -> None:
    """Queue the newsrooms' injury reports (stations of kind media) as media leads.

    Reads the record (accepted events), so running it again adds only what is new: each report
    becomes one lead whose reference is its event id. Run it from cron or after `recall worker`.
    """
    from recall.service.leads.commands import import_media_reports

    with _refusals():
        done = import_media_reports(_storage(), limit=limit)
    console.print(f"queued (已入队) {done.created} media lead(s) from newsroom reports")
    for d in done.recorded:
        console.print(f"  {d.lead.lead_id}  {escape(d.lead.product_key)}  {d.lead.hazard}")
    if done.refused:
        console.print(
            f"[yellow]refused (未入队) {len(done.refused)} report(s) that cannot become a lead;"
            " they are not read again — see `recall leads refused`[/yellow]"
        )


@app.command()
def refused(
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many rows.")] = 50,
) -> None:
    """Newsroom reports the import could not turn into leads, and why (newest first).

    Such a report is read no more by the import (it would take a place in every batch); to
    triage it anyway, record a lead by hand with `recall leads record --source media`.
    """
    from recall.service.leads.queries import media_refusals

    rows = media_refusals(_storage(), limit=limit)
    table = Table(title=f"refused newsroom reports (未入队的媒体报告): {len(rows)}")
    table.add_column("event 事件", no_wrap=True, min_width=36)
    table.add_column("refused 拒绝 (UTC)", no_wrap=True)
    table.add_column("why 原因", overflow="fold")
    for row in rows:
        table.add_row(row.event_id, utc_minutes(row.refused_at), escape(row.reason))
    console.print(table)
    if not rows:
        console.print("none: every newsroom report in the record became a lead")


@app.command()
def accept(lead_id: LeadId, reason: Reason, as_: AsAccount = None) -> None:
    """Open an investigation with the lead as its first evidence (立案)."""
    from recall.service.leads.commands import accept_lead

    with _acting(as_, "accept", lead_id) as actor:
        lead, inv = accept_lead(
            _storage(), lead_id, actor=actor.account_id, reason=reason, topics=output_topics()
        )
    console.print(
        f"accepted (已受理) lead {lead.lead_id}: opened investigation {inv.investigation_id}"
        f" — recall investigations show {inv.investigation_id}"
    )


@app.command()
def merge(
    lead_id: LeadId,
    into: Annotated[
        str, typer.Option("--into", help="The open investigation to attach the lead to.")
    ],
    reason: Reason,
    as_: AsAccount = None,
) -> None:
    """Attach the lead as evidence to an open investigation (并案)."""
    from recall.domain.access import Scoped
    from recall.service.investigations.queries import get_investigation
    from recall.service.leads.commands import merge_lead

    with _acting(as_, "merge", lead_id) as actor:
        target = get_investigation(_storage(), into)
        acting.permit(
            actor,
            Scoped(target.jurisdiction),
            action="merge a lead into an",
            noun="investigation",
            identifier=into,
        )
        lead, _ = merge_lead(
            _storage(), lead_id, into, actor=actor.account_id, reason=reason, topics=output_topics()
        )
    console.print(f"merged (已并案) lead {lead.lead_id} into investigation {into}")


@app.command()
def dismiss(lead_id: LeadId, reason: Reason, as_: AsAccount = None) -> None:
    """Close the lead without an investigation (不予立案); the reason is the record."""
    from recall.service.leads.commands import dismiss_lead

    with _acting(as_, "dismiss", lead_id) as actor:
        lead = dismiss_lead(_storage(), lead_id, actor=actor.account_id, reason=reason)
    console.print(f"dismissed (不予立案) lead {lead.lead_id}: {escape(lead.reason or '')}")


def _print(lead: Lead) -> None:
    table = Table("field 字段", "value 值", title=f"lead 线索 {lead.lead_id}")
    rows = (
        ("source 来源", lead.source.value),
        ("reference 编号", lead.reference),
        ("jurisdiction 辖区", lead.jurisdiction),
        ("product 产品", lead.product_key),
        ("hazard 危害", lead.hazard),
        ("category 品类", lead.category),
        ("summary 内容", lead.summary),
        ("received 接收", utc_minutes(lead.received_at)),
        ("recorded by 登记人", f"{lead.recorded_by} at {utc_minutes(lead.recorded_at)}"),
        ("state 状态", lead.state.value),
        ("investigation 调查", lead.investigation_id or ""),
        ("decided by 处置人", f"{lead.decided_by} at {utc_minutes(lead.decided_at)}"),
        ("reason 理由", lead.reason or ""),
    )
    for name, value in rows:
        if value and value != "None at ":
            table.add_row(name, escape(value))
    console.print(table)
    if lead.allowed_actions():
        console.print(f"next (可执行操作): {escape(NEXT.format(id=lead.lead_id))}")
