"""The accounts service on in-memory storage: tokens shown once, scopes checked, all audited."""

from __future__ import annotations

import pytest

from recall.domain.access import Principal, Role
from recall.service.accounts.commands import (
    AccountDisabledError,
    AuthFailure,
    InvalidAccountError,
    NewAccount,
    UnknownAccountError,
    add_account,
    audit,
    authenticate,
    check_token,
    disable_account,
    list_accounts,
    rotate_token,
)
from recall.service.accounts.ports import AuditOutcome

from .builders import EXPERT, FIRM_CODE, FIRM_REPORTER, STATION, at, storage

BY = "cli:li"


def test_add_returns_the_token_once_and_stores_only_its_digest() -> None:
    store = storage()
    issued = add_account(
        store, NewAccount("Taiyuan city", Role.REGULATOR, region="140100"), by=BY, at=at(0)
    )
    stored = store.state.accounts.accounts[issued.account.account_id]
    assert issued.token not in repr(issued)
    assert issued.token not in repr(stored)
    assert stored.token_sha256 != issued.token and len(stored.token_sha256) == 64
    assert authenticate(store, issued.token) == Principal(
        issued.account.account_id, Role.REGULATOR, region="140100"
    )
    [entry] = store.state.audit.records
    assert (entry.account_id, entry.action, entry.subject, entry.outcome) == (
        BY,
        "accounts.add",
        issued.account.account_id,
        AuditOutcome.DONE,
    )
    assert entry.detail == "role=regulator region=140100"


@pytest.mark.parametrize(
    ("new", "principal_fields"),
    [
        (NewAccount("e", Role.EXPERT, expert_id=EXPERT), {"expert_id": EXPERT}),
        (NewAccount("s", Role.STATION, station_id=STATION), {"station_id": STATION}),
        (
            NewAccount("f", Role.FIRM, station_id=FIRM_REPORTER, manufacturer_code=FIRM_CODE),
            {"station_id": FIRM_REPORTER, "manufacturer_code": FIRM_CODE},
        ),
        (NewAccount("p", Role.PUBLIC), {}),
    ],
)
def test_every_role_authenticates_as_its_principal(
    new: NewAccount, principal_fields: dict[str, str]
) -> None:
    store = storage()
    issued = add_account(store, new, by=BY, at=at(0))
    expected = Principal(issued.account.account_id, new.role, **principal_fields)
    assert authenticate(store, issued.token) == expected


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (NewAccount("r", Role.REGULATOR), "needs a region .give --region"),
        (NewAccount("r", Role.REGULATOR, region="140005"), "county digits without city"),
        (NewAccount("r", Role.REGULATOR, region="1401"), "six ASCII digits"),
        (
            NewAccount("r", Role.REGULATOR, region="140100", station_id=STATION),
            "does not take --station .it takes --region",
        ),
        (NewAccount("p", Role.PUBLIC, region="140100"), "it takes no scope option"),
        (NewAccount("e", Role.EXPERT), "needs a expert_id .give --expert"),
        (NewAccount("e", Role.EXPERT, expert_id="EXP-404"), "not in the expert registry"),
        (NewAccount("s", Role.STATION, station_id="NOPE"), "recall registry load FILE"),
        (NewAccount("s", Role.STATION, station_id="OFF-1"), "disabled in the registry"),
        (NewAccount("s", Role.STATION, station_id=FIRM_REPORTER), "create a firm account"),
        (NewAccount("f", Role.FIRM, manufacturer_code=FIRM_CODE), "firm account needs --station"),
        (
            NewAccount("f", Role.FIRM, station_id=STATION, manufacturer_code=FIRM_CODE),
            "is a hospital station, not a firm's reporter",
        ),
        (
            NewAccount("f", Role.FIRM, station_id=FIRM_REPORTER, manufacturer_code="X" * 18),
            "belongs to manufacturer",
        ),
        (NewAccount("  ", Role.PUBLIC), "name must be 1 to 200"),
    ],
)
def test_a_role_takes_exactly_its_fields_and_registered_ids(new: NewAccount, message: str) -> None:
    store = storage()
    with pytest.raises(InvalidAccountError, match=message):
        add_account(store, new, by=BY, at=at(0))
    assert store.state.accounts.accounts == {} and store.state.audit.records == []


def test_by_must_fit_the_audit_log() -> None:
    with pytest.raises(InvalidAccountError, match="--by must be 1 to 64"):
        add_account(storage(), NewAccount("p", Role.PUBLIC), by="x" * 65, at=at(0))


def test_check_token_says_why_a_token_fails() -> None:
    store = storage()
    issued = add_account(store, NewAccount("p", Role.PUBLIC), by=BY, at=at(0))
    token_id = issued.token[4:20]
    wrong_secret = issued.token[:-4] + ("AAAA" if not issued.token.endswith("AAAA") else "BBBB")
    unknown = "rt1_" + "Z" * 16 + issued.token[20:]
    assert check_token(store, "Bearer nonsense").failure is AuthFailure.MALFORMED
    assert check_token(store, unknown).failure is AuthFailure.UNKNOWN
    failed = check_token(store, wrong_secret)
    assert (failed.failure, failed.token_id, failed.principal) == (
        AuthFailure.WRONG_SECRET,
        token_id,
        None,
    )
    assert check_token(store, issued.token).failure is None


def test_disable_stops_the_token_for_good_and_is_audited() -> None:
    store = storage()
    issued = add_account(store, NewAccount("p", Role.PUBLIC), by=BY, at=at(0))
    account_id = issued.account.account_id
    view = disable_account(store, account_id, by="cli:wang", at=at(5))
    assert (view.enabled, view.disabled_by, view.disabled_at) == (False, "cli:wang", at(5))
    assert authenticate(store, issued.token) is None
    assert check_token(store, issued.token).failure is AuthFailure.DISABLED
    with pytest.raises(AccountDisabledError, match="stays disabled"):
        disable_account(store, account_id, by=BY, at=at(6))
    with pytest.raises(AccountDisabledError, match="recall accounts add"):
        rotate_token(store, account_id, by=BY, at=at(6))
    assert [r.action for r in store.state.audit.records] == ["accounts.add", "accounts.disable"]


def test_rotate_gives_a_new_token_and_the_old_one_stops_working() -> None:
    store = storage()
    first = add_account(store, NewAccount("p", Role.PUBLIC), by=BY, at=at(0))
    second = rotate_token(store, first.account.account_id, by=BY, at=at(1))
    assert second.token != first.token
    assert second.account.rotated_at == at(1)
    assert authenticate(store, first.token) is None
    assert check_token(store, first.token).failure is AuthFailure.UNKNOWN
    principal = authenticate(store, second.token)
    assert principal is not None and principal.account_id == first.account.account_id


def test_unknown_accounts_are_named_with_where_to_look() -> None:
    with pytest.raises(UnknownAccountError, match="see `recall accounts list`"):
        disable_account(storage(), "acc-nope", by=BY, at=at(0))
    with pytest.raises(UnknownAccountError):
        rotate_token(storage(), "acc-nope", by=BY, at=at(0))


def test_list_is_oldest_first_and_carries_no_token() -> None:
    store = storage()
    later = add_account(store, NewAccount("b", Role.PUBLIC), by=BY, at=at(2))
    earlier = add_account(store, NewAccount("a", Role.PUBLIC), by=BY, at=at(1))
    views = list_accounts(store)
    assert [v.name for v in views] == ["a", "b"]
    assert all(t not in repr(views) for t in (later.token, earlier.token))


def test_audit_writes_one_record_with_the_outcome() -> None:
    store = storage()
    record = audit(
        store,
        account_id="acc-1",
        action="investigations.conclude",
        subject="inv-9",
        outcome=AuditOutcome.DENIED,
        at=at(3),
        detail="outside scope",
    )
    assert store.state.audit.recent(account_id="acc-1") == [record]
    assert store.state.audit.recent(account_id="acc-2") == []
