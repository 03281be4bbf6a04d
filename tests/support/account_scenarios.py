"""One run through the SQL account store, shared by the SQLite unit test and the PostgreSQL one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.models import Account, Expert, Station
from recall.domain.access import Principal, Role
from recall.service.accounts.commands import (
    AuthFailure,
    InvalidAccountError,
    NewAccount,
    add_account,
    audit,
    check_token,
    disable_account,
    list_accounts,
    rotate_token,
)
from recall.service.accounts.ports import AuditOutcome

STATION, FIRM_REPORTER, FIRM_CODE = "HOSP-140105-001", "FIRM-1", "91140100MA0000000X"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def register(sessions: sessionmaker[Session]) -> None:
    """A hospital station, a firm reporter and an expert, as `recall registry load` stores them."""
    with sessions.begin() as session:
        session.add_all(
            [
                Station(station_id=STATION, kind="hospital", name="H", jurisdiction="140105"),
                Station(
                    station_id=FIRM_REPORTER,
                    kind="firm",
                    name="F",
                    jurisdiction="140100",
                    manufacturer_code=FIRM_CODE,
                ),
                Expert(
                    expert_id="EXP-1",
                    name="E",
                    jurisdiction="140000",
                    categories=[],
                    linked_firms=[],
                ),
            ]
        )


def run_account_lifecycle(sessions: sessionmaker[Session]) -> None:
    """Add every role, authenticate, rotate, disable, audit: what is stored is what comes back."""
    register(sessions)
    store = SqlAccountStorage(sessions)
    new = [
        NewAccount("Shanxi", Role.REGULATOR, region="140000"),
        NewAccount("Expert", Role.EXPERT, expert_id="EXP-1"),
        NewAccount("Hospital", Role.STATION, station_id=STATION),
        NewAccount("Firm", Role.FIRM, station_id=FIRM_REPORTER, manufacturer_code=FIRM_CODE),
        NewAccount("Anyone", Role.PUBLIC),
    ]
    issued = [
        add_account(store, n, by="cli:li", at=T0 + timedelta(minutes=i)) for i, n in enumerate(new)
    ]
    views = list_accounts(store)
    assert [v.name for v in views] == [n.name for n in new]
    assert views[0].created_at == T0 and views[0].created_by == "cli:li"
    for account, token in zip(views, (i.token for i in issued), strict=True):
        found = check_token(store, token)
        assert found.principal is not None and found.principal.account_id == account.account_id
    assert check_token(store, issued[3].token).principal == Principal(
        issued[3].account.account_id,
        Role.FIRM,
        station_id=FIRM_REPORTER,
        manufacturer_code=FIRM_CODE,
    )
    try:
        add_account(store, NewAccount("x", Role.STATION, station_id="NOPE"), by="cli:li", at=T0)
    except InvalidAccountError:
        pass
    else:
        raise AssertionError("an unregistered station was accepted")

    regulator = issued[0].account.account_id
    rotated = rotate_token(store, regulator, by="cli:li", at=T0 + timedelta(hours=1))
    assert check_token(store, issued[0].token).failure is AuthFailure.UNKNOWN
    assert check_token(store, rotated.token).principal is not None
    assert rotated.account.rotated_at == T0 + timedelta(hours=1)

    disabled = disable_account(store, regulator, by="cli:wang", at=T0 + timedelta(hours=2))
    assert disabled.disabled_at == T0 + timedelta(hours=2) and disabled.disabled_by == "cli:wang"
    assert check_token(store, rotated.token).failure is AuthFailure.DISABLED
    with sessions() as session:
        row = session.get(Account, regulator)
        assert row is not None and row.token_sha256 != rotated.token

    audit(
        store,
        account_id=regulator,
        action="recalls.close",
        subject="rec-1",
        outcome=AuditOutcome.DENIED,
        at=T0 + timedelta(hours=3),
    )
    with store.transaction() as unit:
        log = unit.audit.recent()
        mine = unit.audit.recent(account_id=regulator)
    assert [r.action for r in log[:3]] == ["recalls.close", "accounts.disable", "accounts.rotate"]
    assert len(log) == 8
    assert [(r.subject, r.outcome, r.at) for r in mine] == [
        ("rec-1", AuditOutcome.DENIED, T0 + timedelta(hours=3))
    ]
