"""`recall accounts …`: the token once on stdout, notes on stderr, never a token in a listing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.cli.main import app
from recall.service.accounts.commands import authenticate
from tests.support.account_scenarios import FIRM_CODE, FIRM_REPORTER, register

from ..cli.support import Invoke

TOKEN = re.compile(r"^rt1_[A-Za-z0-9_-]{16}_[A-Za-z0-9_-]{43}$")


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[SqlAccountStorage]:
    url = f"sqlite:///{tmp_path / 'recall.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    register(sessions)
    yield SqlAccountStorage(sessions)
    engine.dispose()


@pytest.fixture
def accounts_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, storage: SqlAccountStorage
) -> Invoke:
    """`accounts_cli("add", …)` runs `recall accounts add …`; stdout and stderr kept apart."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'recall.db'}")
    monkeypatch.setenv("RECALL_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "240")
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["accounts", *args])

    return invoke


def _account_id(result: Result) -> str:
    found = re.search(r"account (acc-[0-9a-f]{12})", result.stderr)
    assert found, result.stderr
    return found.group(1)


def test_add_prints_the_token_alone_on_stdout_and_warns_on_stderr(
    accounts_cli: Invoke, storage: SqlAccountStorage
) -> None:
    result = accounts_cli(
        "add", "Taiyuan market bureau", "--role", "regulator", "--region", "140100"
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert TOKEN.match(token)
    assert "shown this once" in result.stderr and token not in result.stderr
    principal = authenticate(storage, token)
    assert principal is not None and principal.region == "140100"


def test_add_firm_with_its_reporter_and_code(accounts_cli: Invoke) -> None:
    result = accounts_cli(
        "add", "Firm", "--role", "firm", "--station", FIRM_REPORTER, "--manufacturer", FIRM_CODE
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "regulator"), "needs a region"),
        (("--role", "regulator", "--region", "14"), "six ASCII digits"),
        (("--role", "station", "--station", "NOPE"), "recall registry load FILE"),
        (("--role", "public", "--expert", "EXP-1"), "does not take --expert"),
    ],
)
def test_add_refuses_with_what_to_do_next(
    accounts_cli: Invoke, args: tuple[str, ...], message: str
) -> None:
    result = accounts_cli("add", "x", *args)
    assert result.exit_code == 1
    assert message in result.stderr and "next:" in result.stderr
    assert result.stdout == ""


def test_an_unknown_role_is_refused_by_the_option(accounts_cli: Invoke) -> None:
    result = accounts_cli("add", "x", "--role", "admin")
    assert result.exit_code == 2


def test_list_rotate_disable(accounts_cli: Invoke, storage: SqlAccountStorage) -> None:
    added = accounts_cli("add", "Shanxi", "--role", "regulator", "--region", "140000", "--by", "li")
    account_id, first = _account_id(added), added.stdout.strip()

    listing = accounts_cli("list")
    assert listing.exit_code == 0, listing.output
    assert account_id in listing.stdout and "region=140000" in listing.stdout
    assert first not in listing.stdout and first[4:20] not in listing.stdout

    rotated = accounts_cli("rotate", account_id)
    assert rotated.exit_code == 0, rotated.output
    second = rotated.stdout.strip()
    assert TOKEN.match(second) and second != first
    assert authenticate(storage, first) is None and authenticate(storage, second) is not None

    disabled = accounts_cli("disable", account_id, "--by", "wang")
    assert disabled.exit_code == 0, disabled.output
    assert authenticate(storage, second) is None
    assert accounts_cli("list").exit_code == 1  # no enabled accounts left
    everything = accounts_cli("list", "--all")
    assert "by wang" in everything.stdout

    again = accounts_cli("rotate", account_id)
    assert again.exit_code == 1 and "recall accounts add" in again.stderr


def test_unknown_account_points_at_the_listing(accounts_cli: Invoke) -> None:
    result = accounts_cli("disable", "acc-000000000000")
    assert result.exit_code == 1
    assert "recall accounts list" in result.stderr
