"""`recall investigations …` end to end on SQLite: a signal opens one, people drive it."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import InvestigationRow, OutboxRow
from recall.cli.common import sessions
from recall.config import load_settings
from tests.support.cli_accounts import account

from .investigation_seed import PRODUCT, USCC, open_investigation
from .support import Invoke


@pytest.fixture
def db(recall_cli: Invoke) -> sessionmaker[Session]:
    """The CLI's database (after `recall_cli` set the environment), migrated."""
    return sessions(load_settings())


@pytest.fixture
def opened(db: sessionmaker[Session]) -> str:
    return open_investigation(db)


@pytest.fixture
def director(db: sessionmaker[Session]) -> str:
    """The id of a provincial regulator's account: the investigations' region is in its area."""
    return account(db, "省局 director", region="140000")


def _head(db: sessionmaker[Session], investigation_id: str) -> InvestigationRow:
    with db() as session:
        row = session.get(InvestigationRow, investigation_id)
        assert row is not None
        return row


def _outbox(db: sessionmaker[Session]) -> dict[str, dict[str, Any]]:
    with db() as session:
        rows = session.scalars(select(OutboxRow))
        return {r.record_id: {"topic": r.topic, **orjson.loads(r.value)} for r in rows}


def test_list_filters_by_scope_and_state(recall_cli: Invoke, opened: str) -> None:
    city = recall_cli("investigations", "list", "--scope", "140100")
    assert city.exit_code == 0, city.output
    assert opened in city.output
    assert "state 状态" in city.output
    elsewhere = recall_cli("investigations", "list", "--scope", "310000")
    assert opened not in elsewhere.output
    concluded = recall_cli("investigations", "list", "--state", "concluded")
    assert opened not in concluded.output
    bad = recall_cli("investigations", "list", "--scope", "14")
    assert bad.exit_code == 1
    assert "six ASCII digits" in bad.output


def test_show_prints_evidence_audit_and_next_actions(recall_cli: Invoke, opened: str) -> None:
    result = recall_cli("investigations", "show", opened)
    assert result.exit_code == 0, result.output
    out = result.output
    assert PRODUCT in out
    assert USCC in out
    assert "evidence 证据 (1)" in out
    evidence_row = next(line for line in out.splitlines() if "sig-1" in line)
    for cell in ("serious", "7", "1.5", "3", "ears_c2"):
        assert f" {cell} " in evidence_row
    audit_row = next(line for line in out.splitlines() if "risk-agent" in line)
    assert "open" in audit_row
    assert "∅ → opened" in audit_row
    assert "allowed actions: attach_evidence" in out
    assert f"assign → recall investigations assign {opened}" in out


def test_assign_excludes_the_expert_linked_to_the_manufacturer(
    recall_cli: Invoke,
    db: sessionmaker[Session],
    opened: str,
    director: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECALL_EXPERTS_OUT_OF_AREA", "false")  # local-first, as before 异地专家
    result = recall_cli("investigations", "assign", opened, "--as", director)
    assert result.exit_code == 0, result.output
    assert "EXP-001: excluded (conflict_of_interest)" in result.output
    assert "chosen EXP-002: eligible, same jurisdiction, load 0" in result.output
    head = _head(db, opened)
    assert head.state == "assigned"
    assert head.expert_ids == ["EXP-002", "EXP-003"]
    event = _outbox(db)[f"{opened}:1"]
    assert event["topic"] == "investigations.events"
    assert (event["action"], event["actor"], event["state"]) == ("assign", director, "assigned")


def test_assign_prefers_out_of_area_experts_for_a_local_firm(
    recall_cli: Invoke, db: sessionmaker[Session], opened: str, director: str
) -> None:
    """The maker's credit code places it in Taiyuan (140100), the case in 140105: local."""
    result = recall_cli("investigations", "assign", opened, "--as", director)
    assert result.exit_code == 0, result.output
    assert "rule out_of_area" in result.output
    assert _head(db, opened).expert_ids == ["EXP-004", "EXP-003"]  # Shanghai, then fallback
    panels = recall_cli("investigations", "panels", opened)
    assert panels.exit_code == 0, panels.output
    assert "out_of_area" in panels.output
    assert "excluded 回避" in panels.output
    assert "fallback 回退" in panels.output
    assert "140100" in panels.output  # the firm's home


def test_assign_refuses_a_panel_larger_than_the_eligible_pool(
    recall_cli: Invoke, db: sessionmaker[Session], opened: str, director: str
) -> None:
    result = recall_cli("investigations", "assign", opened, "--size", "4", "--as", director)
    assert result.exit_code == 1
    assert "no eligible panel of 4" in result.output
    assert _head(db, opened).state == "opened"


def test_conclude_then_request_recall_writes_events_and_alerts(
    recall_cli: Invoke, db: sessionmaker[Session], opened: str, director: str
) -> None:
    assert recall_cli("investigations", "assign", opened, "--as", director).exit_code == 0
    concluded = recall_cli(
        "investigations", "conclude", opened, "--decision", "defect_confirmed",
        "--reason", "insulation fails GB 4706.1 clause 13", "--risk-level", "serious",
        "--hazard", "live parts reachable when the lid is open", "--as", director,
    )  # fmt: skip
    assert concluded.exit_code == 0, concluded.output
    assert "concluded (defect_confirmed)" in concluded.output
    recalled = recall_cli(
        "investigations", "request-recall", opened, "--reason", "serious risk", "--as", director
    )
    assert recalled.exit_code == 0, recalled.output
    head = _head(db, opened)
    assert (head.state, head.decision, head.risk_level) == (
        "recall_requested",
        "defect_confirmed",
        "serious",
    )
    outbox = _outbox(db)
    actions = [outbox[f"{opened}:{i}"]["action"] for i in range(4)]
    assert actions == ["open", "assign", "conclude", "request_recall"]
    alerts = sorted(v["kind"] for v in outbox.values() if v["topic"] == "alerts")
    assert alerts == ["defect_confirmed", "investigation_opened", "recall_requested"]
    shown = recall_cli("investigations", "show", opened)
    assert "live parts reachable when the lid is open" in shown.output
    assert "allowed actions: none" in shown.output


def test_illegal_transitions_exit_1_with_what_is_allowed(
    recall_cli: Invoke, db: sessionmaker[Session], opened: str, director: str
) -> None:
    early = recall_cli(
        "investigations", "conclude", opened, "--decision", "no_defect", "--reason", "x",
        "--as", director,
    )  # fmt: skip
    assert early.exit_code == 1
    assert "cannot conclude investigation" in early.output
    assert "it is opened; allowed actions: attach_evidence, assign" in early.output
    assert recall_cli("investigations", "assign", opened, "--as", director).exit_code == 0
    first = recall_cli(
        "investigations", "conclude", opened, "--decision", "no_defect", "--reason",
        "tests pass", "--as", director,
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    again = recall_cli(
        "investigations", "conclude", opened, "--decision", "no_defect", "--reason",
        "again", "--as", director,
    )  # fmt: skip
    assert again.exit_code == 1
    assert "it is concluded (no_defect); allowed actions: none" in again.output
    assert "nothing more can happen" in again.output
    recall = recall_cli(
        "investigations", "request-recall", opened, "--reason", "r", "--as", director
    )
    assert recall.exit_code == 1
    assert "cannot request_recall" in recall.output
    assert _head(db, opened).version == 3  # open, assign, conclude: refusals wrote nothing


def test_defect_needs_risk_level_and_unknown_ids_are_refused(
    recall_cli: Invoke, opened: str, director: str
) -> None:
    assert recall_cli("investigations", "assign", opened, "--as", director).exit_code == 0
    missing = recall_cli(
        "investigations", "conclude", opened, "--decision", "defect_confirmed",
        "--reason", "r", "--as", director,
    )  # fmt: skip
    assert missing.exit_code == 1
    assert "defect_confirmed needs a risk_level" in missing.output
    unknown = recall_cli("investigations", "show", "no-such-id")
    assert unknown.exit_code == 1
    assert "no investigation 'no-such-id'" in unknown.output
