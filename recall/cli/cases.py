"""`recall cases …`: enforcement referral cases (移送执法案件) from the command line.

A referral to enforcement (a firm that misses its progress reports or refuses a recall) opens
a case owned by an enforcement administration at the right tier (docs/cases.md). Decisions —
assign, rectified, penalise, close — are taken as an API account, `--as ACCOUNT_ID`: the same
scope rule, actor and audit log as the API (`recall.cli.acting`). `list` and `show` with
`--as` see what that account sees; without it, `--scope` narrows (server-side operator use).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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
    open_storage,
    output_topics,
    sessions,
    settings,
    utc_minutes,
)

if TYPE_CHECKING:
    from recall.domain.cases import ReferralCase
    from recall.service.ports import Storage

app = typer.Typer(
    help="Enforcement referral cases (移送执法案件): list, show, assign, rectified, penalise,"
    " close; a firm's credit record (信用记录).",
    no_args_is_help=True,
)

STATE_STYLES = {
    "opened": "yellow",
    "assigned": "cyan",
    "rectified": "green",
    "penalised": "bold red",
    "closed_without_action": "magenta",
}
STATE_LABELS = {
    "opened": "已立案",
    "assigned": "调查中",
    "rectified": "已整改",
    "penalised": "已处罚",
    "closed_without_action": "不予处罚/撤案",
}
NEXT_COMMANDS = {
    "assign": "recall cases assign {id} --to HANDLER --reason … --as ACCOUNT_ID",
    "rectified": "recall cases rectified {id} --reason … --as ACCOUNT_ID",
    "penalise": (
        "recall cases penalise {id} --decision-no … --fine-yuan N --reason … --as ACCOUNT_ID"
    ),
    "close": "recall cases close {id} --reason … --as ACCOUNT_ID",
    "escalate": "(automatic one tier up when the deadline passes)",
}
NOUN = "case"


class StateChoice(StrEnum):
    OPENED = "opened"
    ASSIGNED = "assigned"
    RECTIFIED = "rectified"
    PENALISED = "penalised"
    CLOSED_WITHOUT_ACTION = "closed_without_action"


CaseId = Annotated[str, typer.Argument(help="Case id, RC-… (see `recall cases list`).")]
Reason = Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail).")]
ReadAs = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Read as this account (acc-…): only the cases its region covers.",
        show_default=False,
    ),
]


def _state(state: str) -> str:
    return f"[{STATE_STYLES.get(state, 'white')}]{state} {STATE_LABELS.get(state, '')}[/]"


def _next_steps(case_id: str, allowed: tuple[str, ...]) -> str:
    if not allowed:
        return "allowed actions: none — the outcome is final"
    return "allowed actions: " + "; ".join(
        f"{a} → {NEXT_COMMANDS[a].format(id=case_id)}" for a in allowed
    )


@contextmanager
def _refusals() -> Iterator[None]:
    """The domain's and the store's refusals as `fail`, with what is possible instead."""
    from recall.domain.cases import CaseError, IllegalCaseTransition
    from recall.service.cases.ports import CaseNotFoundError, ConcurrentCaseUpdateError

    try:
        yield
    except IllegalCaseTransition as error:
        fail(escape(str(error)), escape(_next_steps(error.case_id, error.allowed)))
    except CaseNotFoundError as error:
        fail(escape(str(error)), "recall cases list --as ACCOUNT_ID")
    except ConcurrentCaseUpdateError as error:
        fail(f"case {error} changed meanwhile; nothing was saved", "run the command again")
    except CaseError as error:
        fail(escape(str(error)))


def _reader_scope(account: str | None, scope: str | None) -> str | None:
    """The area a read covers: the account's region (narrowed by --scope inside it)."""
    check_scope(scope)
    if account is None:
        return scope
    from recall.domain.jurisdiction import covers

    actor = acting.acting_as(account, None, sessions(settings()))
    region = actor.principal.region
    if region is None:
        fail(f"account {escape(account)} is not a regulator's: cases are read by regulators")
    if scope is not None and not covers(region, scope):
        fail(f"--scope {scope} lies outside the area of account {escape(account)} ({region})")
    return scope or region


@app.command("list")
def list_(
    as_: ReadAs = None,
    scope: Annotated[
        str | None, typer.Option("--scope", help="Jurisdiction code (GB/T 2260) of the owners.")
    ] = None,
    state: Annotated[
        list[StateChoice] | None, typer.Option("--state", help="Only these states (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many rows.")] = 50,
) -> None:
    """Cases owned in the area, most recently changed first, with their deadlines."""
    from recall.domain.cases import CaseState
    from recall.service.cases.queries import list_cases

    area = _reader_scope(as_, scope)
    states = [CaseState(s.value) for s in state or ()]
    rows = list_cases(open_storage(), scope=area, states=states, limit=limit)
    table = Table(title=f"referral cases (移送执法案件): {len(rows)}")
    table.add_column("id 编号", no_wrap=True)
    for header in ("firm 企业", "recall 召回", "grounds 事由", "state 状态", "owner 主管"):
        table.add_column(header, overflow="fold")
    table.add_column("deadline 期限 (UTC)", overflow="fold")
    for c in rows:
        table.add_row(
            c.case_id,
            escape(c.firm_code),
            escape(c.recall_id),
            c.grounds.value,
            _state(c.state.value),
            f"{c.owner} ({c.tier.value})",
            utc_minutes(c.deadline),
        )
    console.print(table)
    if not rows:
        console.print("no cases match; referrals open them (`recall worker`, deadline check)")


@app.command()
def show(case_id: CaseId, as_: ReadAs = None) -> None:
    """Head, evidence, audit trail (who, when, why, owner) and the allowed next actions."""
    from recall.domain.jurisdiction import covers
    from recall.service.cases.queries import get_case

    area = _reader_scope(as_, None)
    with _refusals():
        case = get_case(open_storage(), case_id)
    if area is not None and not covers(area, case.owner):  # as the API: not found
        fail(f"no referral case {case_id!r}", "recall cases list --as ACCOUNT_ID")
    console.print(_head(case))
    console.print(_audit(case))
    allowed = tuple(a.value for a in case.allowed_actions())
    console.print(f"next (可执行操作): {escape(_next_steps(case.case_id, allowed))}")


def _head(case: ReferralCase) -> Table:
    table = Table("field 字段", "value 值", title=f"referral case 移送执法案件 {case.case_id}")
    rows = [
        ("firm 企业 (credit code)", escape(case.firm_code)),
        ("recall 召回", escape(case.recall_id)),
        ("grounds 移送事由", case.grounds.value),
        ("state 状态", _state(case.state.value)),
        ("owner 主管机关", f"{case.owner} ({case.tier.value} tier)"),
        ("deadline 办结期限", utc_minutes(case.deadline)),
        ("escalations 升级次数", str(case.escalations)),
        ("assignee 承办人", escape(case.assignee or "none yet")),
        ("opened 立案", utc_minutes(case.opened_at)),
        ("evidence 证据", escape("\n".join(case.evidence))),
    ]
    if case.outcome_reason:
        rows.append(("outcome reason 结论理由", escape(case.outcome_reason)))
    if case.penalty is not None:
        p = case.penalty
        rows.append(("penalty 处罚", escape(f"{p.decision_no}; fine ¥{p.fine_yuan}; {p.measures}")))
    for field, value in rows:
        table.add_row(field, value)
    return table


def _audit(case: ReferralCase) -> Table:
    table = Table(
        "#", "when 时间", "who 操作人", "action 操作", "state 状态", "owner 主管", "why 理由"
    )
    table.title = "audit trail 审计记录"
    for i, a in enumerate(case.audit):
        moved = f"{a.from_state or '∅'} → {a.to_state}"
        table.add_row(
            str(i),
            utc_minutes(a.at),
            escape(a.actor),
            a.action.value,
            moved,
            a.owner,
            escape(a.reason),
        )
    return table


@contextmanager
def _deciding(account: str | None, action: str, case_id: str) -> Iterator[tuple[Storage, str]]:
    """Act as the account on the case, as the API does: the case's owner must lie in the
    account's area, the outcome audited as `case.<action>`."""
    from recall.adapters.db.storage import SqlStorage
    from recall.domain.access import Scoped
    from recall.service.cases.queries import get_case

    db = sessions(settings())
    actor = acting.acting_as(account, None, db)
    storage = SqlStorage(db)
    with _refusals(), acting.recorded(actor, f"case.{action}", case_id):
        found = get_case(storage, case_id)
        acting.permit(
            actor, Scoped(region=found.owner), action=action, noun=NOUN, identifier=case_id
        )
        yield storage, actor.account_id


def _done(case: ReferralCase, what: str) -> None:
    console.print(f"{what} {case.case_id}: {_state(case.state.value)}")
    if case.outcome is not None:
        console.print(f"credit record (信用记录) written for firm {escape(case.firm_code)}")
    allowed = tuple(a.value for a in case.allowed_actions())
    console.print(f"next (可执行操作): {escape(_next_steps(case.case_id, allowed))}")


@app.command()
def assign(
    case_id: CaseId,
    to: Annotated[str, typer.Option("--to", help="Handler: officer or team (承办人).")],
    reason: Reason,
    as_: AsAccount = None,
) -> None:
    """Name who handles the case at the owning administration (under investigation 调查中)."""
    from recall.service.cases import commands

    with _deciding(as_, "assign", case_id) as (storage, who):
        case = commands.assign(
            storage, case_id, assignee=to, reason=reason, actor=who, topics=output_topics()
        )
    _done(case, "assigned (已指派)")


@app.command()
def rectified(case_id: CaseId, reason: Reason, as_: AsAccount = None) -> None:
    """Outcome: the firm rectified (整改到位); goes to its credit record."""
    from recall.service.cases import commands

    with _deciding(as_, "rectified", case_id) as (storage, who):
        case = commands.rectified(
            storage, case_id, reason=reason, actor=who, topics=output_topics()
        )
    _done(case, "rectified (已整改)")


@app.command()
def penalise(
    case_id: CaseId,
    decision_no: Annotated[
        str, typer.Option("--decision-no", help="Penalty decision number (处罚决定书文号).")
    ],
    fine_yuan: Annotated[int, typer.Option("--fine-yuan", min=0, help="Fine in yuan (罚款).")],
    reason: Reason,
    measures: Annotated[
        str, typer.Option("--measures", help="Other measures (没收违法所得, 责令停产停业, …).")
    ] = "",
    as_: AsAccount = None,
) -> None:
    """Outcome: an administrative penalty (行政处罚); goes to the firm's credit record."""
    from recall.domain.cases import CaseError, Penalty
    from recall.service.cases import commands

    with _refusals():
        try:
            penalty = Penalty(decision_no, fine_yuan, measures)
        except CaseError as error:
            fail(escape(str(error)), "pass --decision-no as on the decision document")
    with _deciding(as_, "penalise", case_id) as (storage, who):
        case = commands.penalise(
            storage, case_id, penalty=penalty, reason=reason, actor=who, topics=output_topics()
        )
    _done(case, "penalised (已处罚)")


@app.command()
def close(case_id: CaseId, reason: Reason, as_: AsAccount = None) -> None:
    """Outcome: closed without action (不予处罚 / 撤案), with the reason."""
    from recall.service.cases import commands

    with _deciding(as_, "close", case_id) as (storage, who):
        case = commands.close(storage, case_id, reason=reason, actor=who, topics=output_topics())
    _done(case, "closed without action (不予处罚/撤案)")


@app.command()
def credit(
    firm: Annotated[str, typer.Argument(help="The firm's unified social credit code.")],
    as_: ReadAs = None,
) -> None:
    """The firm's credit record (信用记录): every case outcome, oldest first."""
    from recall.domain.jurisdiction import covers
    from recall.service.cases.queries import credit_records

    area = _reader_scope(as_, None)
    records = [
        r
        for r in credit_records(open_storage(), firm.strip().upper())
        if area is None or covers(area, r.owner)
    ]
    table = Table(title=f"credit record 信用记录 {escape(firm)}: {len(records)}")
    for header in ("when 时间", "case 案件", "recall 召回", "outcome 结果", "penalty 处罚"):
        table.add_column(header, overflow="fold")
    table.add_column("owner 主管")
    table.add_column("why 理由", overflow="fold")
    for r in records:
        penalty = f"{r.penalty.decision_no}; ¥{r.penalty.fine_yuan}" if r.penalty else ""
        table.add_row(
            utc_minutes(r.at),
            r.case_id,
            escape(r.recall_id),
            _state(r.outcome.value),
            escape(penalty),
            r.owner,
            escape(r.reason),
        )
    console.print(table)
    if not records:
        console.print("no enforcement outcomes on record for this firm")
