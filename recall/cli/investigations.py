"""`recall investigations …`: list, inspect and drive defect investigations (缺陷调查).

Decisions (assign, conclude, request a recall) are taken as an API account, `--as ACCOUNT_ID`:
the same scope rule, actor and audit log as the API (`recall.cli.acting`).
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
from recall.cli.acting import AsAccount, RetiredActor
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
    from recall.domain.investigations import Investigation
    from recall.service.ports import Storage

app = typer.Typer(help="Defect investigations (缺陷调查): list, show, assign, conclude, recall.")

STATE_STYLES = {
    "opened": "yellow",
    "assigned": "cyan",
    "concluded": "magenta",
    "recall_requested": "bold red",
}
NEXT_COMMANDS = {
    "assign": "recall investigations assign {id} --as ACCOUNT_ID",
    "conclude": "recall investigations conclude {id} --decision … --reason … --as ACCOUNT_ID",
    "request_recall": "recall investigations request-recall {id} --reason … --as ACCOUNT_ID",
    "attach_evidence": "(new evidence is attached by the stream agent)",
}


class StateChoice(StrEnum):
    OPENED = "opened"
    ASSIGNED = "assigned"
    CONCLUDED = "concluded"
    RECALL_REQUESTED = "recall_requested"


class DecisionChoice(StrEnum):
    DEFECT_CONFIRMED = "defect_confirmed"
    NO_DEFECT = "no_defect"


class RiskChoice(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    SERIOUS = "serious"


InvestigationId = Annotated[str, typer.Argument(help="Investigation id (see `list`).")]
Reason = Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail).")]
NOUN = "investigation"
_VERBS = {
    "assign": "assign experts to",
    "conclude": "conclude",
    "request_recall": "order a recall for",
}


def _state(state: str, decision: str | None = None) -> str:
    label = f"{state} ({decision})" if decision else state
    return f"[{STATE_STYLES.get(state, 'white')}]{label}[/]"


def _next_steps(investigation_id: str, allowed: tuple[str, ...]) -> str:
    if not allowed:
        return "allowed actions: none — nothing more can happen to this investigation"
    steps = [f"{a} → {NEXT_COMMANDS[a].format(id=investigation_id)}" for a in allowed]
    return "allowed actions: " + "; ".join(steps)


@contextmanager
def _refusals() -> Iterator[None]:
    """Turn the domain's and the store's refusals into `fail` with what is possible instead."""
    from recall.domain.errors import DomainError
    from recall.domain.experts import NoEligibleExpert
    from recall.domain.investigations import IllegalInvestigationTransition
    from recall.service.investigations.ports import ConcurrentUpdateError
    from recall.service.investigations.queries import InvestigationNotFoundError

    try:
        yield
    except IllegalInvestigationTransition as error:
        fail(escape(str(error)), _next_steps(error.investigation_id, error.allowed))
    except NoEligibleExpert as error:
        fail(escape(str(error)), "load more experts (`recall registry load`) or lower --size")
    except InvestigationNotFoundError as error:
        fail(escape(str(error)), "recall investigations list")
    except ConcurrentUpdateError as error:
        fail(f"investigation {error} changed meanwhile; nothing was saved", "run the command again")
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
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many rows.")] = 50,
) -> None:
    """Investigations, most recently changed first."""
    from recall.domain.investigations import InvestigationState
    from recall.service.investigations.queries import list_investigations

    check_scope(scope)
    states = [InvestigationState(s.value) for s in state or ()]
    rows = list_investigations(open_storage(), scope=scope, states=states, limit=limit)
    table = Table(title=f"investigations (缺陷调查): {len(rows)}")
    table.add_column("id 编号", no_wrap=True, min_width=36)
    for header in (
        "product 产品",
        "hazard 危害",
        "state 状态",
        "jurisdiction 辖区",
        "experts 专家",
    ):
        table.add_column(header, overflow="fold")
    table.add_column("updated 更新 (UTC)", overflow="fold")
    for row in rows:
        table.add_row(
            row.investigation_id,
            escape(row.product_key),
            row.hazard,
            _state(row.state.value, row.decision),
            row.jurisdiction or "",
            escape(", ".join(row.expert_ids)),
            utc_minutes(row.updated_at),
        )
    console.print(table)
    if not rows:
        console.print("no investigations match; signals open them (`recall worker`)")


@app.command()
def show(investigation_id: InvestigationId) -> None:
    """Head fields, evidence, audit trail (who, when, why) and the allowed next actions."""
    from recall.cli.tiers import print_ownership
    from recall.domain.tiers import SubjectKind
    from recall.service.investigations.queries import get_investigation
    from recall.service.tiers.queries import ownership

    storage = open_storage()
    with _refusals():
        inv = get_investigation(storage, investigation_id)
    console.print(_head(inv))
    console.print(_evidence(inv))
    console.print(_audit(inv))
    print_ownership(ownership(storage, SubjectKind.INVESTIGATION, investigation_id))
    allowed = tuple(a.value for a in inv.allowed_actions())
    console.print(f"next (可执行操作): {escape(_next_steps(inv.investigation_id, allowed))}")


@app.command()
def panels(investigation_id: InvestigationId) -> None:
    """Every panel decision (专家组组成): rule (local_first, or out_of_area 异地专家 for a local
    firm), fallback, and each expert chosen, passed over or excluded, with why."""
    from recall.service.investigations.queries import get_investigation, panel_history

    storage = open_storage()
    with _refusals():
        get_investigation(storage, investigation_id)
        records = panel_history(storage, investigation_id)
    if not records:
        console.print(f"no panel assigned yet to {investigation_id} (尚未组成专家组)")
        return
    for r in records:
        when = utc_minutes(r.at)
        title = f"panel 专家组 #{r.position} — {when} by {escape(r.actor)}, rule 规则 {r.rule}"
        table = Table("expert 专家", "outcome 结果", "why 理由", title=title)
        for kind, label in (("chosen", "chosen 入选"), ("passed_over", "passed over 未选")):
            for m in r.composition.get(kind, []):
                table.add_row(escape(str(m["expert_id"])), label, escape(str(m.get("why", ""))))
        for m in r.composition.get("excluded", []):
            reasons = ", ".join(str(x) for x in m.get("reasons", []))  # type: ignore[attr-defined]
            table.add_row(escape(str(m["expert_id"])), "excluded 回避", escape(reasons))
        console.print(table)
        console.print(f"firm home 企业所在地: {r.home or 'unknown 未知'}")
        if r.fallback:
            console.print(f"[yellow]fallback 回退[/]: {escape(r.fallback)}")


def _head(inv: Investigation) -> Table:
    table = Table("field 字段", "value 值", title=f"investigation 调查 {inv.investigation_id}")
    conclusion = inv.conclusion
    rows = [
        ("product 产品", escape(inv.product_key)),
        ("manufacturer 生产者", inv.manufacturer_id or "unknown"),
        ("hazard 危害", inv.hazard),
        ("category 类别", inv.category),
        ("jurisdiction 辖区", inv.jurisdiction or ""),
        ("seq 序号", str(inv.seq) + (f" (previous {inv.previous_id})" if inv.previous_id else "")),
        ("state 状态", _state(inv.state.value, inv.decision)),
        ("experts 专家组", escape(", ".join(inv.expert_ids)) or "none yet"),
        ("opened 立案", utc_minutes(inv.opened_at)),
    ]
    if conclusion is not None:
        rows += [
            ("risk level 风险等级", conclusion.risk_level or ""),
            ("hazard description 危害描述", escape(conclusion.hazard_description or "")),
            ("conclusion 结论理由", escape(conclusion.reason)),
            ("concluded 结案", utc_minutes(inv.concluded_at)),
        ]
    for field, value in rows:
        table.add_row(field, value)
    return table


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _evidence(inv: Investigation) -> Table:
    table = Table(title=f"evidence 证据 ({len(inv.evidence)})")
    for header in ("id 编号", "kind 类型", "when 时间", "risk 风险", "observed 观测"):
        table.add_column(header)
    for header in ("expected 期望", "threshold 阈值", "statistic 统计量", "method 方法"):
        table.add_column(header)
    table.add_column("window 窗口")
    table.add_column("summary 摘要")
    for e in inv.evidence:
        table.add_row(
            escape(e.evidence_id),
            e.kind.value,
            utc_minutes(e.occurred_at),
            e.risk_level or "",
            _num(e.observed),
            _num(e.expected),
            _num(e.threshold),
            _num(e.statistic),
            escape(e.method or ""),
            escape(e.window or ""),
            escape(e.summary),
        )
    return table


def _audit(inv: Investigation) -> Table:
    table = Table("#", "when 时间", "who 操作人", "action 操作", "state 状态", "why 理由")
    table.title = "audit trail 审计记录"
    for i, a in enumerate(inv.audit):
        moved = f"{a.from_state or '∅'} → {a.to_state}"
        table.add_row(
            str(i), utc_minutes(a.at), escape(a.actor), a.action.value, moved, escape(a.reason)
        )
    return table


@contextmanager
def _deciding(
    account: str | None, retired: str | None, action: str, investigation_id: str
) -> Iterator[tuple[Storage, acting.Actor]]:
    """Act as the account on the investigation, as the API's routes do: refusals explained,
    the scope checked by `decide`, the outcome audited as `investigation.<action>`."""
    from recall.adapters.db.storage import SqlStorage
    from recall.service.investigations import pages
    from recall.service.investigations.queries import get_investigation

    db = sessions(settings())
    actor = acting.acting_as(account, retired, db)
    storage = SqlStorage(db)
    with _refusals(), acting.recorded(actor, f"investigation.{action}", investigation_id):
        found = get_investigation(storage, investigation_id)
        scope = pages.scoped(found.jurisdiction, found.expert_ids)
        verb = _VERBS[action]
        acting.permit(actor, scope, action=verb, noun=NOUN, identifier=investigation_id)
        yield storage, actor


@app.command()
def assign(
    investigation_id: InvestigationId,
    size: Annotated[int, typer.Option("--size", min=1, help="Experts on the panel.")] = 2,
    as_: AsAccount = None,
    actor: RetiredActor = None,
) -> None:
    """Choose an expert panel by the policy (never experts linked to the manufacturer).

    For a case involving a local firm, experts from outside the area come first (异地专家,
    RECALL_EXPERTS_OUT_OF_AREA / RECALL_EXPERTS_MIN_DISTANCE); `panels` shows every decision.
    """
    from recall.domain.experts import Impartiality
    from recall.service.investigations.commands import assign_experts

    cfg = settings()
    rule = Impartiality(cfg.experts_out_of_area, cfg.experts_min_distance)
    with _deciding(as_, actor, "assign", investigation_id) as (storage, who):
        done = assign_experts(
            storage,
            investigation_id,
            actor=who.account_id,
            topics=output_topics(),
            size=size,
            impartiality=rule,
        )
    for line in done.panel.explain():
        console.print(escape(line))
    panel = ", ".join(done.investigation.expert_ids)
    console.print(
        f"assigned (已指派) panel {escape(panel)} to {investigation_id}; "
        f"state 状态: {_state(done.investigation.state.value)}"
    )


@app.command("conclude")
def conclude_(
    investigation_id: InvestigationId,
    *,
    decision: Annotated[DecisionChoice, typer.Option("--decision", help="The panel's decision.")],
    reason: Reason,
    as_: AsAccount = None,
    actor: RetiredActor = None,
    risk_level: Annotated[
        RiskChoice | None,
        typer.Option("--risk-level", help="Needed for defect_confirmed (EU Safety Gate)."),
    ] = None,
    hazard: Annotated[
        str | None, typer.Option("--hazard", help="Hazard description; needed for a defect.")
    ] = None,
) -> None:
    """Record the panel's decision (defect_confirmed needs --risk-level and --hazard)."""
    from recall.domain.investigations import Decision, RiskLevel
    from recall.service.investigations.commands import conclude

    with _deciding(as_, actor, "conclude", investigation_id) as (storage, who):
        inv = conclude(
            storage,
            investigation_id,
            decision=Decision(decision.value),
            reason=reason,
            actor=who.account_id,
            topics=output_topics(),
            risk_level=RiskLevel(risk_level.value) if risk_level else None,
            hazard_description=hazard,
        )
    console.print(f"concluded (已结论) {investigation_id}: {_state(inv.state.value, inv.decision)}")
    allowed = tuple(a.value for a in inv.allowed_actions())
    console.print(f"next (可执行操作): {escape(_next_steps(inv.investigation_id, allowed))}")


@app.command("request-recall")
def request_recall_(
    investigation_id: InvestigationId,
    reason: Reason,
    as_: AsAccount = None,
    actor: RetiredActor = None,
) -> None:
    """Ask the manufacturer to recall; only after a confirmed defect."""
    from recall.service.investigations.commands import request_recall

    with _deciding(as_, actor, "request_recall", investigation_id) as (storage, who):
        inv = request_recall(
            storage, investigation_id, reason=reason, actor=who.account_id, topics=output_topics()
        )
    console.print(
        f"recall requested (已要求召回) for {investigation_id}: {_state(inv.state.value)}"
    )
