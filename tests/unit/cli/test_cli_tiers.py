"""`recall tiers …` and the owner in `recall investigations show`, on SQLite."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import InvestigationRow, OutboxRow
from recall.cli.common import sessions
from recall.config import load_settings

from .investigation_seed import open_investigation
from .support import Invoke


@pytest.fixture
def db(recall_cli: Invoke) -> sessionmaker[Session]:
    return sessions(load_settings())


@pytest.fixture
def opened(db: sessionmaker[Session]) -> str:
    """Opened by a serious-risk signal in 140105: the default rules give it to the city."""
    return open_investigation(db)


def _owner(db: sessionmaker[Session], investigation_id: str) -> InvestigationRow:
    with db() as session:
        row = session.get(InvestigationRow, investigation_id)
        assert row is not None
        return row


def test_show_names_the_owner_and_why(recall_cli: Invoke, opened: str) -> None:
    result = recall_cli("tiers", "show", "investigation", opened)
    assert result.exit_code == 0, result.output
    assert "140100" in result.output and "市级 city" in result.output
    assert "severity" in result.output and "serious" in result.output
    detail = recall_cli("investigations", "show", opened)
    assert "owner 主管机关: 140100" in detail.output
    signal = recall_cli("tiers", "show", "signal", "sig-1")
    assert signal.exit_code == 0 and "140100" in signal.output


def test_an_unknown_subject_says_what_to_do(recall_cli: Invoke) -> None:
    result = recall_cli("tiers", "show", "investigation", "nope")
    assert result.exit_code != 0
    assert "no owner recorded" in result.output and "recall worker" in result.output


def test_the_queue_lists_what_the_administration_owns(recall_cli: Invoke, opened: str) -> None:
    assert opened in recall_cli("tiers", "queue", "140100").output
    assert opened not in recall_cli("tiers", "queue", "140000").output  # area ≠ ownership
    assert recall_cli("tiers", "queue", "14").exit_code != 0


def test_escalate_moves_once_when_the_deadline_has_passed(
    recall_cli: Invoke, db: sessionmaker[Session], opened: str
) -> None:
    since = _owner(db, opened).owner_since
    assert since is not None
    due = since + timedelta(days=10)  # the city's "opened" deadline
    early = recall_cli("tiers", "escalate", "--now", (due - timedelta(minutes=1)).isoformat())
    assert "0 escalation(s)" in early.output, early.output
    on_time = recall_cli("tiers", "escalate", "--now", due.isoformat())
    assert "1 escalation(s)" in on_time.output and "140100 → 140000" in on_time.output
    again = recall_cli("tiers", "escalate", "--now", due.isoformat())
    assert "0 escalation(s)" in again.output
    assert _owner(db, opened).owner == "140000"
    with db() as session:  # the province is told once, on the alerts topic
        told = [json.loads(r.value) for r in session.scalars(select(OutboxRow))]
    (alert,) = [a for a in told if a.get("kind") == "escalated"]
    assert alert["jurisdiction"] == "140000" and alert["details"]["from_owner"] == "140100"


def test_rules_come_from_the_configured_file(
    recall_cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "serious risk → at least city" in recall_cli("tiers", "rules").output
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"severity": {"high": "province"}}))
    monkeypatch.setenv("RECALL_TIER_RULES_PATH", str(path))
    assert "high risk → at least province" in recall_cli("tiers", "rules").output
    path.write_text('{"severity": {"high": "nation"}}')
    bad = recall_cli("tiers", "rules")
    assert bad.exit_code != 0 and "invalid" in bad.output
