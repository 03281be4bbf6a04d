"""`recall tiers …`: who owns a signal or an investigation (分级监管) and why; a tier's queue.

Read-only except `escalate`, which runs the worker's escalation check once (the same
deterministic, idempotent step the leader runs on its timer), for an operator or a test clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from recall.cli.common import check_scope, console, fail, open_storage, output_topics, settings

if TYPE_CHECKING:
    from recall.service.tiers.queries import OwnershipView

app = typer.Typer(help="Supervision tiers (分级监管): owners, why they own, escalation.")

TIER_NAMES = {"county": "县级 county", "city": "市级 city", "province": "省级 province"}


class KindChoice(StrEnum):
    SIGNAL = "signal"
    INVESTIGATION = "investigation"


def _rules_path() -> str:
    path = settings().tier_rules_path
    return str(path) if path else "shipped default (recall/service/tiers/default_rules.json)"


@app.command()
def show(
    kind: Annotated[KindChoice, typer.Argument(help="signal or investigation")],
    subject_id: Annotated[str, typer.Argument(help="The signal id or investigation id.")],
) -> None:
    """The owner, its tier, and every assignment and move with its rule and reason."""
    from recall.domain.tiers import SubjectKind
    from recall.service.tiers.queries import ownership

    owned = ownership(open_storage(), SubjectKind(kind.value), subject_id)
    if not owned.moves:
        fail(
            f"no owner recorded for {kind.value} {escape(subject_id)}",
            "owners are assigned when the worker handles the signal (`recall worker`); "
            "check the id with `recall investigations list`",
        )
    print_ownership(owned)


def print_ownership(owned: OwnershipView) -> None:
    """Owner line and the moves table (also used by `recall investigations show`)."""
    tier = TIER_NAMES.get(owned.tier.value if owned.tier else "", "—")
    console.print(
        f"owner 主管机关: {owned.owner or '— (not placed yet 未分派)'}  tier 层级: {tier}"
    )
    table = Table(
        "at 时间 (UTC)",
        "from 原",
        "to 现",
        "rule 规则",
        "by 操作",
        "why 理由",
        title="tier moves 层级流转",
    )
    for m in owned.moves:
        table.add_row(
            m.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            m.from_owner or "—",
            m.to_owner,
            m.rule.value,
            escape(m.actor),
            escape(m.reason),
        )
    console.print(table)


@app.command()
def queue(
    owner: Annotated[str, typer.Argument(help="GB/T 2260 code of the administration.")],
) -> None:
    """Open investigations this administration itself owns, longest waiting first."""
    from recall.service.tiers.queries import owned_queue

    check_scope(owner)
    items = owned_queue(open_storage(), owner)
    table = Table(
        "id 编号", "product 产品", "hazard 危害", "state 状态", "since 起", "why 理由",
        title=f"owned by 主管 {owner}: {len(items)}",
    )  # fmt: skip
    for item in items:
        table.add_row(
            item.investigation_id,
            escape(item.product_key),
            item.hazard,
            item.state,
            item.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            escape(item.why),
        )
    console.print(table)
    if not items:
        console.print(
            "nothing owned here; `recall investigations list --scope CODE` shows the area"
        )


@app.command()
def escalate(
    now: Annotated[
        datetime | None,
        typer.Option(
            "--now", help="Judge deadlines as of this time (UTC if no zone); default now."
        ),
    ] = None,
) -> None:
    """Run the escalation check once: overdue investigations move one tier up, once.

    Each move queues an `escalated` alert for the new owner (published by the worker's outbox).
    """
    from recall.service.tiers.escalate import escalate_overdue
    from recall.service.tiers.rules import TierRulesError, load_rules

    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        rules = load_rules(settings().tier_rules_path)
    except TierRulesError as error:
        fail(escape(str(error)))
    moves = escalate_overdue(open_storage(), moment, rules=rules, topics=output_topics())
    for m in moves:
        console.print(f"{m.subject_id}: {m.from_owner} → {m.to_owner}  {escape(m.reason)}")
    console.print(f"{len(moves)} escalation(s) 上移 (rules: {escape(_rules_path())})")


@app.command()
def rules() -> None:
    """The tier rules in force (the file named by RECALL_TIER_RULES_PATH, or the default)."""
    from recall.service.tiers.rules import TierRulesError, load_rules

    try:
        loaded = load_rules(settings().tier_rules_path)
    except TierRulesError as error:
        fail(escape(str(error)))
    console.print(f"rules 规则: {escape(_rules_path())}")
    for level, tier in loaded.severity.items():
        console.print(f"severity 严重程度: {level.value} risk → at least {tier.value}")
    if loaded.fatal:
        console.print(f"severity 严重程度: a fatal case → at least {loaded.fatal.value}")
    console.print(
        f"regions 跨区域: ≥{loaded.counties_for_city} counties → city; "
        f"≥{loaded.cities_for_province} cities → province"
    )
    home = loaded.firm_home.value if loaded.firm_home else "off"
    console.print(f"firm_home 企业住所地: the firm's home at tier {home}")
    for tier, limits in loaded.deadlines.items():
        console.print(
            f"deadline 时限 at {tier.value}: assign within {limits.opened} days, "
            f"conclude within {limits.assigned} days"
        )
