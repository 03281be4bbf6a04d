"""`recall recalls list/show/report/evaluate/close` over a real (SQLite) system of record."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import RecallRow, RecallTransitionRow
from tests.support.cli_accounts import account, audited
from tests.unit.recalls_cli.recalls_cli_support import (
    AFFECTED,
    corrected_at,
    run,
    seed_recall,
    use_database,
)

DONE = "RC-DONE-1"
FINAL = f"{corrected_at(180) / AFFECTED:.1%}"  # 66.5%: the day-180 report
OPEN = "RC-OPEN-1"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    factory = use_database(tmp_path, monkeypatch)
    seed_recall(factory, DONE, days_ago=200, reports=6)  # last period reaches the target date
    seed_recall(factory, OPEN, days_ago=100, reports=3)
    return factory


def _row(db: sessionmaker[Session], recall_id: str) -> RecallRow:
    with db() as session:
        row = session.get(RecallRow, recall_id)
        assert row is not None
        return row


def test_list_shows_rates_forecast_and_filters_by_state(db: sessionmaker[Session]) -> None:
    everything = run("recalls", "list")
    assert everything.exit_code == 0, everything.output
    for text in (DONE, OPEN, "召回编号", "纠正率", "预测", "目标", "completed", "in_progress"):
        assert text in everything.output
    assert FINAL in everything.output
    completed = run("recalls", "list", "--state", "completed", "--scope", "140100")
    assert completed.exit_code == 0
    assert DONE in completed.output
    assert OPEN not in completed.output
    elsewhere = run("recalls", "list", "--scope", "110000")
    assert DONE not in elsewhere.output


def test_show_has_history_reports_rates_forecast_and_deadlines(db: sessionmaker[Session]) -> None:
    result = run("recalls", "show", OPEN)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "announced → in_progress" in out
    assert "first progress report received" in out
    assert "progress reports 进度报告: 3" in out
    assert f"{corrected_at(90) / AFFECTED:.1%}" in out  # raw = adjusted at day 90
    assert "forecast (预测) final rate" in out
    assert "80%" in out
    assert "0 late or overdue of" in out  # every report sent at its deadline
    assert "before start 0" in out


def test_report_writes_html_with_curve(db: sessionmaker[Session], tmp_path: Path) -> None:
    target = tmp_path / "closure.html"
    result = run("recalls", "report", DONE, "--output", str(target))
    assert result.exit_code == 0, result.output
    html = target.read_text(encoding="utf-8")
    assert "<svg" in html
    assert DONE in html
    assert "纠正" in html
    assert FINAL in html
    assert "尚未评估" in html  # not evaluated yet


def test_evaluate_then_close_records_verdict_and_audit(db: sessionmaker[Session]) -> None:
    inspector = account(db, "inspector.li", region="140000")
    result = run("recalls", "evaluate", DONE, "--as", inspector)
    assert result.exit_code == 0, result.output
    assert "verdict (评估结论): effective" in result.output
    assert f"recall recalls close {DONE} --as {inspector} --reason" in result.output
    row = _row(db, DONE)
    assert (row.state, row.verdict) == ("evaluated", "effective")
    closed = run("recalls", "close", DONE, "--as", inspector, "--reason", "report filed")
    assert closed.exit_code == 0, closed.output
    assert _row(db, DONE).state == "closed"
    with db() as session:
        steps = session.scalars(
            select(RecallTransitionRow)
            .where(RecallTransitionRow.recall_id == DONE)
            .order_by(RecallTransitionRow.position)
        ).all()
    assert [s.to_state for s in steps][-2:] == ["evaluated", "closed"]
    assert steps[-2].who == steps[-1].who == inspector  # the account, as the API records it
    assert steps[-2].why.startswith("effective: adjusted rate 66.5%")
    again = run("recalls", "close", DONE, "--as", inspector, "--reason", "again")
    assert again.exit_code == 1
    assert "terminal state" in again.output
    assert [entry[:3] for entry in audited(db, inspector)] == [
        ("recall.evaluate", DONE, "done"),
        ("recall.close", DONE, "done"),
        ("recall.close", DONE, "refused"),
    ]


def test_deciding_needs_an_account_whose_area_holds_the_recall(db: sessionmaker[Session]) -> None:
    shanghai = account(db, "上海", region="310000")
    elsewhere = run("recalls", "evaluate", DONE, "--as", shanghai)
    assert elsewhere.exit_code == 1
    assert f"recall {DONE} (region 140105) is outside the area" in " ".join(
        elsewhere.output.split()
    )
    assert _row(db, DONE).state == "completed"
    assert [entry[:3] for entry in audited(db, shanghai)] == [("recall.evaluate", DONE, "denied")]
    retired = run("recalls", "close", DONE, "--actor", "inspector.li", "--reason", "r")
    assert retired.exit_code == 1 and "--actor was replaced by --as" in retired.output


def test_evaluate_refuses_a_recall_still_in_progress(db: sessionmaker[Session]) -> None:
    result = run("recalls", "evaluate", OPEN, "--as", account(db, "li", region="140100"))
    assert result.exit_code == 1
    assert "is in_progress; cannot move to evaluated" in result.output
    row = _row(db, OPEN)
    assert (row.state, row.verdict) == ("in_progress", None)


def test_unknown_recall_fails_with_a_hint(db: sessionmaker[Session]) -> None:
    result = run("recalls", "show", "RC-NOPE")
    assert result.exit_code == 1
    assert "no recall 'RC-NOPE'" in result.output
    assert "recall recalls list" in result.output
