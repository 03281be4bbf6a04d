"""`--as ACCOUNT_ID`: the CLI decides as an API account — the same scope rule, the same actor in
the decision, the same audit-log entries as the API — and says what to do when it cannot."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import InvestigationRow
from recall.adapters.db.storage import SqlStorage
from recall.api.app import create_api
from recall.api.auth import current_principal
from recall.cli.common import sessions
from recall.config import load_settings
from recall.domain.access import Principal, Role
from recall.service.investigations.queries import get_investigation
from tests.support.cli_accounts import account, audited

from .investigation_seed import open_investigation
from .support import Invoke


@pytest.fixture
def db(recall_cli: Invoke) -> sessionmaker[Session]:
    """The CLI's database (after `recall_cli` set the environment), migrated."""
    return sessions(load_settings())


@pytest.fixture
def opened(db: sessionmaker[Session]) -> str:
    return open_investigation(db)


def _version(db: sessionmaker[Session], investigation_id: str) -> int:
    with db() as session:
        return session.get_one(InvestigationRow, investigation_id).version


def test_the_cli_and_the_api_record_a_decision_alike(
    recall_cli: Invoke,
    db: sessionmaker[Session],
    opened: str,
) -> None:
    director = account(db, "省局 director", region="140000")
    assert recall_cli("investigations", "assign", opened, "--as", director).exit_code == 0
    api = create_api(load_settings(), sessions=db)
    api.dependency_overrides[current_principal] = lambda: Principal(
        director, Role.REGULATOR, region="140000"
    )
    body = {"decision": "no_defect", "reason": "tests pass"}
    concluded = TestClient(api).post(f"/investigations/{opened}/conclude", json=body)
    assert concluded.status_code == 200, concluded.text
    assert audited(db, director) == [
        ("investigation.assign", opened, "done", None),  # the CLI
        ("investigation.conclude", opened, "done", None),  # the API
    ]
    trail = get_investigation(SqlStorage(db), opened).audit
    assert [(a.action.value, a.actor) for a in trail[1:]] == [
        ("assign", director),
        ("conclude", director),
    ]


def test_no_account_no_decision_and_a_hint(
    recall_cli: Invoke,
    db: sessionmaker[Session],
    opened: str,
) -> None:
    named = account(db, "zhang", region="140000")
    gone = account(db, "li", region="140000", disabled=True)
    cases = {
        ("--as", "acc-nope"): ["no account with the id 'acc-nope'", "recall accounts add"],
        ("--as", "zhang"): [f"the account named 'zhang' has the id {named}: pass that"],
        ("--as", gone): ["was disabled by test", "create one with"],
        (): ["--as ACCOUNT_ID is required", "recall accounts list"],
        ("--actor", "zhang"): ["--actor was replaced by --as", "--as ACCOUNT_ID"],
    }
    for options, expected in cases.items():
        result = recall_cli("investigations", "assign", opened, *options)
        assert result.exit_code == 1, (options, result.output)
        out = " ".join(result.output.split())
        for text in expected:
            assert text in out, (options, out)
    assert _version(db, opened) == 1  # nothing was assigned
    assert audited(db, named) == audited(db, gone) == []  # no one to audit as


def test_an_account_that_may_not_act_is_denied_and_audited(
    recall_cli: Invoke,
    db: sessionmaker[Session],
    opened: str,
) -> None:
    shanghai = account(db, "上海", region="310000")
    expert = account(db, "expert", Role.EXPERT, expert_id="EXP-002")
    elsewhere = recall_cli("investigations", "assign", opened, "--as", shanghai)
    assert elsewhere.exit_code == 1
    out = " ".join(elsewhere.output.split())
    assert f"investigation {opened} (region 140105) is outside the area of account" in out
    assert "whose region covers it" in out
    role = recall_cli(
        "investigations", "conclude", opened, "--decision", "no_defect", "--reason", "r",
        "--as", expert,
    )  # fmt: skip
    assert role.exit_code == 1
    out = " ".join(role.output.split())
    assert "is an expert account: only regulators may conclude an investigation" in out
    assert _version(db, opened) == 1
    [(action, subject, outcome, detail)] = audited(db, shanghai)
    assert (action, subject, outcome) == ("investigation.assign", opened, "denied")
    assert detail is not None and "outside the area" in detail
    assert [e[:3] for e in audited(db, expert)] == [("investigation.conclude", opened, "denied")]


def test_refusals_and_missing_objects_are_audited_as_the_api_would(
    recall_cli: Invoke,
    db: sessionmaker[Session],
    opened: str,
) -> None:
    director = account(db, "director", region="140100")  # a city covers its counties
    early = recall_cli(
        "investigations", "request-recall", opened, "--reason", "r", "--as", director
    )
    assert early.exit_code == 1 and "cannot request_recall" in early.output
    missing = recall_cli("investigations", "assign", "no-such-id", "--as", director)
    assert missing.exit_code == 1 and "recall investigations list" in missing.output
    [refused, denied] = audited(db, director)
    assert refused[:3] == ("investigation.request_recall", opened, "refused")
    assert refused[3] is not None and "cannot request_recall" in refused[3]
    assert denied[:3] == ("investigation.assign", "no-such-id", "denied")


def test_the_roles_that_decide_are_the_apis() -> None:
    from recall.api.routes import investigations, recalls
    from recall.cli.acting import ACTING_ROLES

    assert ACTING_ROLES == investigations.ACTING == recalls.ACTING
