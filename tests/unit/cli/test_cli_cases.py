"""`recall cases …`: list and show in the account's area, decisions as an account (audited),
refusals that name the allowed actions, the firm's credit record."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recall.cli.common import sessions
from recall.config import load_settings
from tests.support.cli_accounts import account, audited
from tests.unit.cases.case_seed import case, seed_cases

from .support import Invoke

FIRM_TY = "91140105MA0L00001X"
TY = case("R-TY", FIRM_TY, "140105")
SH = case("R-SH", "91310101MA1F00002Y", "310101")


@pytest.fixture
def db(recall_cli: Invoke) -> sessionmaker[Session]:
    factory = sessions(load_settings())
    seed_cases(factory, TY, SH)
    return factory


def test_list_as_an_account_shows_only_its_area(
    recall_cli: Invoke, db: sessionmaker[Session]
) -> None:
    taiyuan = account(db, "太原市局", region="140100")
    shown = recall_cli("cases", "list", "--as", taiyuan)
    assert shown.exit_code == 0, shown.output
    assert TY.case_id in shown.output
    assert SH.case_id not in shown.output
    assert "140105 (county)" in shown.output


def test_show_outside_the_area_is_not_found(recall_cli: Invoke, db: sessionmaker[Session]) -> None:
    shanghai = account(db, "上海市局", region="310000")
    hidden = recall_cli("cases", "show", TY.case_id, "--as", shanghai)
    assert hidden.exit_code == 1
    assert "no referral case" in hidden.output
    shown = recall_cli("cases", "show", TY.case_id)
    assert shown.exit_code == 0
    assert "allowed actions: assign" in shown.output


def test_a_case_is_worked_to_its_outcome_as_an_account(
    recall_cli: Invoke, db: sessionmaker[Session]
) -> None:
    county = account(db, "小店区局", region="140105")
    early = recall_cli("cases", "rectified", TY.case_id, "--reason", "ok", "--as", county)
    assert early.exit_code == 1
    assert "allowed actions: assign, escalate" in early.output
    assert "recall cases assign" in early.output  # what to run instead
    step = recall_cli(
        "cases", "assign", TY.case_id, "--to", "执法二队", "--reason", "ours", "--as", county
    )
    assert step.exit_code == 0, step.output
    done = recall_cli(
        "cases", "penalise", TY.case_id, "--decision-no", "小市监罚〔2026〕3号",
        "--fine-yuan", "20000", "--reason", "逾期未报告", "--as", county,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "credit record" in done.output
    assert [(a, s, o) for a, s, o, _ in audited(db, county)] == [
        ("case.rectified", TY.case_id, "refused"),
        ("case.assign", TY.case_id, "done"),
        ("case.penalise", TY.case_id, "done"),
    ]
    record = recall_cli("cases", "credit", FIRM_TY)
    assert record.exit_code == 0
    assert TY.case_id in record.output
    assert "小市监罚〔2026〕3号" in record.output


def test_an_account_outside_the_area_is_denied_and_audited(
    recall_cli: Invoke, db: sessionmaker[Session]
) -> None:
    shanghai = account(db, "上海市局", region="310000")
    denied = recall_cli("cases", "close", TY.case_id, "--reason", "x", "--as", shanghai)
    assert denied.exit_code == 1
    assert "outside the area" in denied.output
    assert [(a, o) for a, _, o, _ in audited(db, shanghai)] == [("case.close", "denied")]


def test_a_decision_needs_an_account(recall_cli: Invoke, db: sessionmaker[Session]) -> None:
    refused = recall_cli("cases", "close", TY.case_id, "--reason", "x")
    assert refused.exit_code == 1
    assert "--as ACCOUNT_ID is required" in refused.output
